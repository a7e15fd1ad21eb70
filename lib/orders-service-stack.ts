import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ORDER_CHANGES_INDEX } from '../lambdas/adapters/order-changes';
import { ORDER_EVENT_SOURCE } from '../lambdas/domain/events';
import { MAX_MIN_VERSION_WAIT_MS } from '../lambdas/use-cases/order-queries';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type AuthMode, type OrdersApiAuth, validateJwtIssuer } from './api-auth';
import { grantOnIndex, grantOnTable } from './grants';
import { OrderReadModel } from './order-read-model';
import { OrdersAlarms, type OrdersAlarmsProps } from './orders-alarms';
import { OrdersDashboard } from './orders-dashboard';
import { AUTH_MODE_ENV, ORDER_ROUTES } from './order-routes';
import { OrdersUserPool } from './orders-user-pool';
import { durableTable } from './durable-table';
import { OPS_OUTPUTS } from './ops-outputs';
import { ServiceFunction } from './service-function';
import { TransactionalOutbox } from './transactional-outbox';

export interface OrdersServiceStackProps extends StackProps {
  /**
   * What happens to the Orders and idempotency tables, the read model and the user pool (every
   * user account) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long an Idempotency-Key binds its first outcome. CONTRACT.md promises at least 24 hours.
   * @default Duration.hours(24)
   */
  readonly idempotencyTtl?: Duration;
  /** @default 4 (see `TransactionalOutboxProps.pendingIndexShards`) */
  readonly pendingIndexShards?: number;
  /**
   * An opt-in wait for the read model on reads with `X-Min-Version`: the read model is polled
   * for up to this long to reach the version asked, and only then does the write model answer.
   * It spares strongly consistent reads of the Orders table at the price of latency, and
   * `412 VERSION_AHEAD` comes only after the wait. A whole number of milliseconds, at most
   * 5 seconds (the read function times out after 10).
   * @default Duration.millis(0) - no wait: the write model answers such a read at once, with
   * one strongly consistent read
   */
  readonly minVersionWait?: Duration;
  /**
   * How far back the reconciler's audit looks for changed orders.
   * @default Duration.hours(24)
   */
  readonly auditWindow?: Duration;
  /**
   * Who may call the API: every route has a JWT authorizer unless this is `'none'`.
   * - `'cognito'`: a user pool this stack creates (a `staff` group, an `orders/staff` scope, an
   *   app client) issues the tokens;
   * - `{ issuer, audience }`: tokens from any OpenID Connect issuer you name;
   * - `'none'`: no authorizer and every request is treated as staff. Anyone who can reach the URL
   *   can read and change every order: only for experiments; synth warns.
   * @default 'cognito'
   */
  readonly auth?: OrdersApiAuth;
  /**
   * The SNS topic that pages: every alarm of the stack sends its ALARM and OK state changes to it.
   * Pass a topic from another stack, or one you subscribe people and tools to.
   * @default - no actions: alarms change state in CloudWatch only (and on the dashboard)
   */
  readonly alarmTopic?: ITopic;
  /**
   * The same as `alarmTopic`, by ARN (`cdk deploy -c alarmTopicArn=arn:aws:sns:...`). Give one or
   * the other, not both.
   * @default - no actions
   */
  readonly alarmTopicArn?: string;
  /** @default - see each `OrdersAlarmsProps` default */
  readonly alarms?: OrdersAlarmsProps;
}

/** The Powertools service name (and metrics namespace) of the order functions. */
const ORDERS_SERVICE = 'orders';

/** The Orders service: write model, idempotency keys, the transactional outbox and the HTTP API. */
export class OrdersServiceStack extends Stack {
  public readonly ordersTable: Table;
  public readonly idempotencyTable: Table;
  public readonly outbox: TransactionalOutbox;
  public readonly readModel: OrderReadModel;
  public readonly api: HttpApi;
  /** The authorizer in front of every route; undefined with `auth: 'none'`. */
  public readonly authorizer?: IHttpRouteAuthorizer;
  /** The user pool (with `auth: 'cognito'`, the default). */
  public readonly userPool?: UserPool;
  /** The app client people sign in with (with `auth: 'cognito'`, the default). */
  public readonly userPoolClient?: UserPoolClient;
  /** `jwt` when a verified caller stands behind every request, `none` otherwise (the functions' `AUTH_MODE`). */
  public readonly authMode: AuthMode;
  public readonly functions: Readonly<Record<string, ServiceFunction>>;
  /** The API's 5xx rate and the throttling of the functions and tables outside the outbox. */
  public readonly serviceAlarms: OrdersAlarms;
  /** Every alarm of the stack: the outbox's, the read model's and the service's. */
  public readonly alarms: readonly Alarm[];
  /** The flow on one page: commands, events, backlog, parked, projection lag, API, alarms. */
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: OrdersServiceStackProps = {}) {
    super(scope, id, props);
    const alarmTopic = pagingTopic(this, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const idempotencyTtl = props.idempotencyTtl ?? Duration.hours(24);
    if (idempotencyTtl.toSeconds() < Duration.hours(24).toSeconds()) {
      throw new Error(
        `OrdersServiceStack: idempotencyTtl is ${idempotencyTtl.toHumanString()}, but keys must be kept at least ` +
          '24 hours (CONTRACT.md). Use Duration.hours(24) or more.',
      );
    }

    const minVersionWaitMs = validMinVersionWait(props.minVersionWait);

    this.ordersTable = durableTable(this, 'OrdersTable', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      removalPolicy,
    });
    this.ordersTable.addGlobalSecondaryIndex({
      indexName: ORDER_CHANGES_INDEX.indexName,
      partitionKey: { name: ORDER_CHANGES_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ORDER_CHANGES_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['version'],
    });
    this.idempotencyTable = durableTable(this, 'IdempotencyTable', {
      partitionKey: { name: 'idempotencyKey', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy,
    });
    const stalePendingAlarmAfter = props.alarms?.stalePendingAlarmAfter;
    this.outbox = new TransactionalOutbox(this, 'Outbox', {
      eventSource: ORDER_EVENT_SOURCE,
      ...(props.pendingIndexShards === undefined ? {} : { pendingIndexShards: props.pendingIndexShards }),
      reconciler: {
        entry: 'lambdas/handlers/orders-reconciler.ts',
        ...(stalePendingAlarmAfter === undefined ? {} : { stalePendingAlarmAfter }),
      },
      // The outbox reads its own thresholds from these and ignores the API's.
      ...(props.alarms === undefined ? {} : { alarms: props.alarms }),
      ...(alarmTopic === undefined ? {} : { alarmTopic }),
    });

    this.readModel = new OrderReadModel(this, 'ReadModel', {
      eventBus: this.outbox.eventBus,
      removalPolicy,
      ...(alarmTopic === undefined ? {} : { alarmTopic }),
    });

    // The Orders audit of the reconciler: changed orders against outbox and read model.
    const reconciler = this.outbox.reconcilerFunction;
    reconciler.addEnvironment('ORDERS_TABLE_NAME', this.ordersTable.tableName);
    reconciler.addEnvironment('READ_MODEL_TABLE_NAME', this.readModel.table.tableName);
    reconciler.addEnvironment('AUDIT_WINDOW_HOURS', String((props.auditWindow ?? Duration.hours(24)).toHours()));
    // Read-model repairs go to the projector alone (an async invoke), never to the bus.
    reconciler.addEnvironment('READ_MODEL_PROJECTOR_FUNCTION_NAME', this.readModel.projector.functionName);
    // The unqualified function only (grantInvoke would add every version, `:*`).
    reconciler.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.readModel.projector.functionArn] }));
    grantOnIndex(this.ordersTable, ORDER_CHANGES_INDEX.indexName, reconciler, 'dynamodb:Query');
    grantOnTable(this.ordersTable, reconciler, 'dynamodb:GetItem');
    // Reads outbox items, restores missing events, keeps its cursor; records repairs (UpdateItem, granted by the outbox).
    grantOnTable(this.outbox.table, reconciler, 'dynamodb:GetItem', 'dynamodb:PutItem');
    this.readModel.grantGet(reconciler);

    const auth = props.auth ?? 'cognito';
    if (typeof auth === 'string' && auth !== 'cognito' && auth !== 'none') {
      throw new Error(`OrdersServiceStack: auth ${JSON.stringify(auth)} is not a mode. Use 'cognito' (the default), { issuer, audience }, or 'none' for an open API.`);
    }
    let jwtIssuer: string | undefined;
    if (auth === 'cognito') {
      const users = new OrdersUserPool(this, 'Users', { removalPolicy });
      this.userPool = users.userPool;
      this.userPoolClient = users.client;
      this.authorizer = new HttpUserPoolAuthorizer('UserPoolAuthorizer', users.userPool, { userPoolClients: [users.client] });
      jwtIssuer = users.issuer;
      new CfnOutput(this, 'UserPoolId', { value: users.userPool.userPoolId, description: 'The Cognito user pool of the API callers' });
      new CfnOutput(this, 'UserPoolClientId', { value: users.client.userPoolClientId, description: 'The app client to sign in with (the audience of its tokens)' });
    } else if (auth !== 'none') {
      validateJwtIssuer(auth);
      this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: auth.audience });
      jwtIssuer = auth.issuer;
    }
    if (jwtIssuer !== undefined) {
      new CfnOutput(this, 'JwtIssuer', { value: jwtIssuer, description: 'The iss the API accepts' });
    }
    this.authMode = this.authorizer === undefined ? 'none' : 'jwt';

    this.api = new HttpApi(this, 'HttpApi', {
      createDefaultStage: false,
      ...(this.authorizer === undefined ? {} : { defaultAuthorizer: this.authorizer }),
    });
    if (this.authorizer === undefined) {
      Annotations.of(this).addWarning(
        "OrdersServiceStack: auth is 'none': every route of the API is open, and the functions treat every caller as staff. " +
          'Anyone who finds the URL can read, ship and cancel every order. Remove auth (Cognito) or name an issuer for any real data.',
      );
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason: "The deployer asked for auth: 'none' explicitly (an open API for experiments); synth warns about it.",
      });
    }
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: 500, burstLimit: 1000 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });

    const functions: Record<string, ServiceFunction> = {};
    for (const route of ORDER_ROUTES) {
      const fn = new ServiceFunction(this, route.id, {
        entry: route.entry,
        serviceName: ORDERS_SERVICE,
        environment: { [AUTH_MODE_ENV]: this.authMode },
      });
      switch (route.access) {
        case 'write':
          fn.addEnvironment('ORDERS_TABLE_NAME', this.ordersTable.tableName);
          grantOnTable(this.ordersTable, fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
          grantOnTable(this.idempotencyTable, fn, 'dynamodb:GetItem', 'dynamodb:PutItem');
          fn.addEnvironment('IDEMPOTENCY_TABLE_NAME', this.idempotencyTable.tableName);
          fn.addEnvironment('IDEMPOTENCY_TTL_SECONDS', String(idempotencyTtl.toSeconds()));
          this.outbox.addWriter(fn);
          break;
        case 'read':
          fn.addEnvironment('ORDERS_TABLE_NAME', this.ordersTable.tableName);
          fn.addEnvironment('READ_MODEL_TABLE_NAME', this.readModel.table.tableName);
          fn.addEnvironment('MIN_VERSION_WAIT_MS', String(minVersionWaitMs));
          grantOnTable(this.ordersTable, fn, 'dynamodb:GetItem');
          this.readModel.grantGet(fn);
          break;
        case 'list':
          fn.addEnvironment('READ_MODEL_TABLE_NAME', this.readModel.table.tableName);
          this.readModel.grantList(fn);
          break;
      }
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
      });
      functions[route.id] = fn;
    }
    this.functions = functions;

    const watchedFunctions = [...Object.values(functions), this.readModel.projector];
    const watchedTables = [this.ordersTable, this.idempotencyTable, this.readModel.table];
    this.serviceAlarms = new OrdersAlarms(this, 'Alarms', {
      api: this.api,
      functions: watchedFunctions,
      tables: watchedTables,
      ...(alarmTopic === undefined ? {} : { alarmTopic }),
      ...(props.alarms === undefined ? {} : { thresholds: props.alarms }),
    });
    this.alarms = [...this.outbox.alarms, ...this.readModel.alarms, ...this.serviceAlarms.alarms];
    this.dashboard = new OrdersDashboard(this, 'Operations', {
      api: this.api,
      outbox: this.outbox,
      readModel: this.readModel,
      ordersNamespace: ORDERS_SERVICE,
      functions: watchedFunctions,
      tables: watchedTables,
      alarms: this.alarms,
    }).dashboard;
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName, description: 'The CloudWatch dashboard of the order flow' });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });

    // What the operations CLI (`npm run outbox -- ... --stack NAME`) finds the stack's parts by.
    // Every output named `...QueueUrl` is a failure queue whose depth `status` reports.
    new CfnOutput(this, OPS_OUTPUTS.operationsFunction, {
      value: this.outbox.operationsFunction.functionName,
      description: 'The function the operations CLI invokes for status, parked, retry-parked and replay',
    });
    new CfnOutput(this, OPS_OUTPUTS.projectorFunction, { value: this.readModel.projector.functionName, description: 'The read-model projector (redrive target)' });
    new CfnOutput(this, 'OutboxTableName', { value: this.outbox.table.tableName, description: 'The outbox table' });
    new CfnOutput(this, 'EventBusName', { value: this.outbox.eventBus.eventBusName, description: 'The bus the order events are published on' });
    if (this.outbox.archive !== undefined) {
      new CfnOutput(this, OPS_OUTPUTS.archive, { value: this.outbox.archive.archiveName, description: "The bus's archive (StartReplay for events older than the outbox keeps)" });
    }
    new CfnOutput(this, `RelayFailures${OPS_OUTPUTS.queueSuffix}`, {
      value: this.outbox.relayFailureQueue.queueUrl,
      description: 'Stream batches the relay gave up on (metadata only; the reconciler publishes their items)',
    });
    new CfnOutput(this, `${OPS_OUTPUTS.projectorDeadLetters}${OPS_OUTPUTS.queueSuffix}`, {
      value: this.readModel.deadLetterQueue.queueUrl,
      description: 'Order events the projector could not take (redrive sends them through it again)',
    });
  }
}

/** `minVersionWait` in milliseconds: a whole number from 0 to `MAX_MIN_VERSION_WAIT_MS`, or synth stops. */
const validMinVersionWait = (wait: Duration | undefined): number => {
  if (wait === undefined) {
    return 0;
  }
  if (wait.isUnresolved()) {
    throw new Error('OrdersServiceStack: minVersionWait must be known at synth (a token was given). Use e.g. Duration.millis(250).');
  }
  const ms = wait.toMilliseconds({ integral: false });
  if (!Number.isInteger(ms) || ms > MAX_MIN_VERSION_WAIT_MS) {
    throw new Error(
      `OrdersServiceStack: minVersionWait is ${wait.toHumanString()}, but it must be a whole number of milliseconds ` +
        `from 0 to ${MAX_MIN_VERSION_WAIT_MS} (the read function times out after 10 s). Use e.g. Duration.millis(250), ` +
        'or leave it out for no wait.',
    );
  }
  return ms;
};

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** The topic alarms page, from `alarmTopic` or `alarmTopicArn`; refused at synth when both or a malformed ARN. */
const pagingTopic = (scope: Construct, props: OrdersServiceStackProps): ITopic | undefined => {
  if (props.alarmTopicArn === undefined) return props.alarmTopic;
  if (props.alarmTopic !== undefined) throw new Error('Give alarmTopic or alarmTopicArn, not both.');
  if (!Token.isUnresolved(props.alarmTopicArn) && !SNS_TOPIC_ARN.test(props.alarmTopicArn)) {
    throw new Error(`alarmTopicArn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>), not '${props.alarmTopicArn}'.`);
  }
  return Topic.fromTopicArn(scope, 'AlarmTopic', props.alarmTopicArn);
};

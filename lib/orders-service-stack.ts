import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ORDER_CHANGES_INDEX } from '../lambdas/adapters/order-changes';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { grantOnIndex, grantOnTable } from './grants';
import { OrderReadModel } from './order-read-model';
import { ORDER_ROUTES } from './order-routes';
import { durableTable } from './durable-table';
import { ServiceFunction } from './service-function';
import { TransactionalOutbox } from './transactional-outbox';

export interface OrdersServiceStackProps extends StackProps {
  /**
   * What happens to the Orders and idempotency tables when they leave the stack.
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
   * How long a read with `X-Min-Version` waits for the read model before it answers from the
   * write model.
   * @default Duration.seconds(1)
   */
  readonly minVersionWait?: Duration;
  /**
   * How far back the reconciler's audit looks for changed orders.
   * @default Duration.hours(24)
   */
  readonly auditWindow?: Duration;
  /**
   * The authorizer every route uses (IAM, JWT, Lambda).
   * @default - none: the API is open, as CONTRACT.md describes it; put one in front for production
   */
  readonly defaultAuthorizer?: IHttpRouteAuthorizer;
}

/** The Orders service: write model, idempotency keys, the transactional outbox and the HTTP API. */
export class OrdersServiceStack extends Stack {
  public readonly ordersTable: Table;
  public readonly idempotencyTable: Table;
  public readonly outbox: TransactionalOutbox;
  public readonly readModel: OrderReadModel;
  public readonly api: HttpApi;
  public readonly functions: Readonly<Record<string, ServiceFunction>>;

  public constructor(scope: Construct, id: string, props: OrdersServiceStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const idempotencyTtl = props.idempotencyTtl ?? Duration.hours(24);
    if (idempotencyTtl.toSeconds() < Duration.hours(24).toSeconds()) {
      throw new Error(
        `OrdersServiceStack: idempotencyTtl is ${idempotencyTtl.toHumanString()}, but keys must be kept at least ` +
          '24 hours (CONTRACT.md). Use Duration.hours(24) or more.',
      );
    }

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
    this.outbox = new TransactionalOutbox(this, 'Outbox', {
      ...(props.pendingIndexShards === undefined ? {} : { pendingIndexShards: props.pendingIndexShards }),
      reconciler: { entry: 'lambdas/handlers/orders-reconciler.ts' },
    });

    this.readModel = new OrderReadModel(this, 'ReadModel', { eventBus: this.outbox.eventBus, removalPolicy });

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

    this.api = new HttpApi(this, 'HttpApi', {
      createDefaultStage: false,
      ...(props.defaultAuthorizer === undefined ? {} : { defaultAuthorizer: props.defaultAuthorizer }),
    });
    if (props.defaultAuthorizer === undefined) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason: 'The reference API is open by contract; deployers pass defaultAuthorizer for production.',
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
      const fn = new ServiceFunction(this, route.id, { entry: route.entry, serviceName: 'orders' });
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
          fn.addEnvironment('MIN_VERSION_WAIT_MS', String((props.minVersionWait ?? Duration.seconds(1)).toMilliseconds()));
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

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
  }
}

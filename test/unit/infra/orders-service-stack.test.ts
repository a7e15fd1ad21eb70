import { App, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OrdersServiceStack, type OrdersServiceStackProps } from '../../../lib/orders-service-stack';

const synth = (props: OrdersServiceStackProps = {}): { stack: OrdersServiceStack; template: Template } => {
  // Bundling is skipped here; the offline synth test bundles for real.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new OrdersServiceStack(app, 'OrdersService', props);
  return { stack, template: Template.fromStack(stack) };
};

let stack: OrdersServiceStack;
let template: Template;

// One synth for the whole file; it takes seconds, more on a busy machine than a hook's default 10.
beforeAll(() => {
  ({ stack, template } = synth());
}, 60_000);

/** Every IAM statement attached to the role of one function. */
const statementsOf = (functionId: string): { Action: string | string[]; Resource: unknown }[] => {
  const fn = stack.functions[functionId];
  if (fn?.role === undefined) throw new Error(`no function ${functionId}`);
  const roleId = stack.getLogicalId(fn.role.node.defaultChild as never);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: never[] } } }).Properties.PolicyDocument.Statement,
  );
};

const actionsOf = (functionId: string): string[] =>
  statementsOf(functionId)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .filter((action) => action.startsWith('dynamodb:'))
    .sort();

const refOf = (construct: { node: { defaultChild?: unknown } }): { 'Fn::GetAtt': [string, string] } => ({
  'Fn::GetAtt': [stack.getLogicalId(construct.node.defaultChild as never), 'Arn'],
});

describe('OrdersServiceStack tables', () => {
  it('keys the Orders table by id, with PITR and encryption at rest, retained on delete', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('expires idempotency records by TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'idempotencyKey', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });
});

describe('OrdersServiceStack API', () => {
  it('routes every order operation of the contract', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => (route as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );

    expect(routeKeys.sort()).toEqual(
      [
        'GET /orders',
        'GET /orders/{id}',
        'POST /orders',
        'POST /orders/{id}/cancel',
        'POST /orders/{id}/confirm',
        'POST /orders/{id}/ship',
      ].sort(),
    );
  });

  it('writes JSON access logs for the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('throttles the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });
});

describe('OrdersServiceStack authentication', () => {
  const logicalIdOf = (target: OrdersServiceStack, construct: { node: { defaultChild?: unknown } } | undefined): string =>
    target.getLogicalId(construct?.node.defaultChild as never);
  const authorizerIds = (target: Template): string[] => Object.keys(target.findResources('AWS::ApiGatewayV2::Authorizer'));
  const acknowledgedRules = (target: OrdersServiceStack): { path: string; id: string }[] =>
    target.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        // Each entry is `{ [ruleId]: reason }`.
        .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
        .map((id) => ({ path: construct.node.path, id })),
    );

  it('puts one JWT authorizer in front of every route by default', () => {
    const [authorizerId] = authorizerIds(template);

    expect(authorizerIds(template)).toHaveLength(1);
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
  });

  it("trusts the stack's user pool: its issuer, and its app client as the audience", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: logicalIdOf(stack, stack.userPool) }]] },
        Audience: [{ Ref: logicalIdOf(stack, stack.userPoolClient) }],
      },
    });
  });

  it('creates a user pool that only administrators add users to, who sign in with their email and a strong password', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      UserPoolTier: 'ESSENTIALS',
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  it("retains the user pool by default, and follows the stack's removal policy", () => {
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

    synth({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete' });
  });

  it('has a staff group and an orders/staff scope', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'staff', UserPoolId: { Ref: logicalIdOf(stack, stack.userPool) } });
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'orders',
      Scopes: [Match.objectLike({ ScopeName: 'staff' })],
    });
  });

  it('gives people one app client with no secret, SRP and password sign-in, and no OAuth scopes to ask for', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayEquals(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      AllowedOAuthFlows: Match.absent(),
      AllowedOAuthScopes: Match.absent(),
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('outputs the user pool, its client, the issuer and the API URL', () => {
    template.hasOutput('UserPoolId', { Value: { Ref: logicalIdOf(stack, stack.userPool) } });
    template.hasOutput('UserPoolClientId', { Value: { Ref: logicalIdOf(stack, stack.userPoolClient) } });
    template.hasOutput('JwtIssuer', { Value: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: logicalIdOf(stack, stack.userPool) }]] } });
    template.hasOutput('ApiUrl', { Value: Match.anyValue() });
  });

  it('tells every order function that a verified caller stands behind each request (AUTH_MODE=jwt)', () => {
    const resources = template.toJSON().Resources as Record<string, { Properties: { Environment: { Variables: Record<string, unknown> } } }>;

    for (const fn of Object.values(stack.functions)) {
      expect(resources[stack.getLogicalId(fn.node.defaultChild as never)]?.Properties.Environment.Variables.AUTH_MODE).toBe('jwt');
    }
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ AUTH_MODE: Match.anyValue() }) } }, 6);
  });

  it('trusts a named issuer and audience instead, creating no user pool', () => {
    const { template: custom } = synth({ auth: { issuer: 'https://login.example.com/', audience: ['orders-api', 'orders-cli'] } });

    custom.resourceCountIs('AWS::Cognito::UserPool', 0);
    custom.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['orders-api', 'orders-cli'] },
    });
    const [authorizerId] = authorizerIds(custom);
    custom.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    custom.hasOutput('JwtIssuer', { Value: 'https://login.example.com/' });
    expect(Object.keys(custom.findOutputs('UserPoolId'))).toEqual([]);
  });

  it('refuses an issuer that is not an HTTPS URL at synth', () => {
    expect(() => synth({ auth: { issuer: 'http://login.example.com', audience: ['a'] } })).toThrow(/is not an HTTPS URL/);
    expect(() => synth({ auth: { issuer: 'login.example.com', audience: ['a'] } })).toThrow(/is not an HTTPS URL/);
  });

  it('refuses an auth mode it does not know at synth', () => {
    expect(() => synth({ auth: 'None' as never })).toThrow(/auth "None" is not a mode/);
  });

  it('refuses an empty audience at synth', () => {
    expect(() => synth({ auth: { issuer: 'https://login.example.com', audience: [] } })).toThrow(/at least one non-empty audience/);
    expect(() => synth({ auth: { issuer: 'https://login.example.com', audience: ['a', ''] } })).toThrow(/at least one non-empty audience/);
  });

  it("leaves every route open only when auth is 'none', and warns at synth", () => {
    const { stack: open, template: openTemplate } = synth({ auth: 'none' });

    openTemplate.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'NONE' });
    openTemplate.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    openTemplate.resourceCountIs('AWS::Cognito::UserPool', 0);
    Annotations.fromStack(open).hasWarning('/OrdersService', Match.stringLikeRegexp("auth is 'none'.*every route of the API is open"));
  });

  it("tells the order functions to treat every request as staff when auth is 'none' (AUTH_MODE=none)", () => {
    synth({ auth: 'none' }).template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ AUTH_MODE: 'none' }) } },
      6,
    );
  });

  it('does not warn about an open API when it is closed', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('auth is'));
  });

  it("acknowledges the missing authorization (APIG4) only with auth 'none', and only on the API", () => {
    const apig4 = (target: OrdersServiceStack) => acknowledgedRules(target).filter((rule) => rule.id.includes('APIG4'));

    expect(apig4(stack)).toEqual([]);
    expect(apig4(synth({ auth: { issuer: 'https://login.example.com', audience: ['a'] } }).stack)).toEqual([]);
    expect(apig4(synth({ auth: 'none' }).stack)).toEqual([{ path: 'OrdersService/HttpApi', id: 'AwsSolutions::AwsSolutions-APIG4' }]);
  });
});

describe('OrdersServiceStack outputs for the operations CLI', () => {
  it('names the operations function, the projector, the bus, its archive and every failure queue', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const ref = (construct: { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });
    expect(outputs.OutboxOperationsFunctionName?.Value).toEqual(ref(stack.outbox.operationsFunction));
    expect(outputs.ProjectorFunctionName?.Value).toEqual(ref(stack.readModel.projector));
    expect(outputs.OutboxTableName?.Value).toEqual(ref(stack.outbox.table));
    expect(outputs.EventBusName?.Value).toEqual(ref(stack.outbox.eventBus as never));
    expect(outputs.EventArchiveName?.Value).toEqual(ref(stack.outbox.archive as never));
    expect(Object.keys(outputs).filter((key) => key.endsWith('QueueUrl')).sort()).toEqual(['ProjectorDeadLettersQueueUrl', 'RelayFailuresQueueUrl']);
    expect(outputs.RelayFailuresQueueUrl?.Value).toEqual(ref(stack.outbox.relayFailureQueue));
    expect(outputs.ProjectorDeadLettersQueueUrl?.Value).toEqual(ref(stack.readModel.deadLetterQueue));
  });
});

describe('OrdersServiceStack bus', () => {
  it('lets only the outbox functions (relay, reconciler, operations) put events with source "orders" on the bus', () => {
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: {
          'ForAnyValue:StringEquals': { 'events:source': ['orders'] },
          ArnNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [stack.getLogicalId(stack.outbox.relayFunction.role?.node.defaultChild as never), 'Arn'] },
              { 'Fn::GetAtt': [stack.getLogicalId(stack.outbox.reconcilerFunction.role?.node.defaultChild as never), 'Arn'] },
              { 'Fn::GetAtt': [stack.getLogicalId(stack.outbox.operationsFunction.role?.node.defaultChild as never), 'Arn'] },
            ],
          },
        },
      }),
    });
  });
});

describe('OrdersServiceStack functions', () => {
  it('runs every function (six API handlers, relay, reconciler, operations, projector) on Node.js 22, arm64, with tracing', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(10);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'INFO', NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  it('traces every function actively with the Powertools Tracer, a service name and no responses in traces', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    expect(functions).toHaveLength(10);
    for (const fn of functions) {
      const properties = fn.Properties as { TracingConfig?: unknown; Environment: { Variables: Record<string, unknown> } };
      expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^\S+$/),
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
      // Tracing is on wherever Lambda runs it: nothing turns the tracer off in the deployed stack.
      expect(properties.Environment.Variables).not.toHaveProperty('POWERTOOLS_TRACE_ENABLED');
    }
  });

  it('names the API functions service "orders" in Powertools', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'orders' }) } },
      6,
    );
  });

  it('keeps the logs of every function and the API access logs for a month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 11);
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 11);
  });

  it('gives the read function GetItem on the read model and the Orders table, and nothing else', () => {
    expect(actionsOf('GetOrder')).toEqual(['dynamodb:GetItem', 'dynamodb:GetItem']);
    const dynamo = statementsOf('GetOrder').filter((s) => String(s.Action).startsWith('dynamodb:'));
    expect(dynamo.map((s) => s.Resource)).toEqual([refOf(stack.ordersTable), refOf(stack.readModel.table)]);
  });

  it('gives the list function Query on the by-customer index of the read model, and nothing else', () => {
    const dynamo = statementsOf('ListOrders').filter((s) => String(s.Action).startsWith('dynamodb:'));

    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [refOf(stack.readModel.table), '/index/byCustomer']] },
      }),
    ]);
  });

  it('tells the read function not to wait for the read model by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MIN_VERSION_WAIT_MS: '0', READ_MODEL_TABLE_NAME: Match.anyValue() }) },
    });
  });

  it('gives each write function only reads and puts, and only puts on the outbox', () => {
    for (const id of ['PlaceOrder', 'ConfirmOrder', 'ShipOrder', 'CancelOrder']) {
      const statements = statementsOf(id).filter((s) => String(s.Action).startsWith('dynamodb:'));
      expect(actionsOf(id)).toEqual(['dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:PutItem']);
      const outboxStatements = statements.filter((s) => JSON.stringify(s.Resource).includes(stack.getLogicalId(stack.outbox.table.node.defaultChild as never)));
      expect(outboxStatements.map((s) => s.Action)).toEqual(['dynamodb:PutItem']);
    }
  });

  it('gives write functions the outbox and idempotency settings, and the read function none', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          OUTBOX_TABLE_NAME: Match.anyValue(),
          OUTBOX_PENDING_SHARDS: '4',
          IDEMPOTENCY_TABLE_NAME: Match.anyValue(),
          IDEMPOTENCY_TTL_SECONDS: '86400',
        }),
      },
    });
    const getOrder = template.toJSON().Resources[stack.getLogicalId(stack.functions.GetOrder?.node.defaultChild as never)];
    expect(Object.keys(getOrder.Properties.Environment.Variables)).not.toContain('OUTBOX_TABLE_NAME');
  });
});

describe('OrdersServiceStack reconciler', () => {
  const reconcilerStatements = () => {
    const roleId = stack.getLogicalId(stack.outbox.reconcilerFunction.role?.node.defaultChild as never);
    return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
  };

  it('runs the Orders reconciler (sweep and audit) every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.outbox.reconcilerFunction.node.defaultChild as never), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ RECONCILE_GRACE_SECONDS: '120', RECONCILE_MAX_ITEMS: '1000', AUDIT_WINDOW_HOURS: '24' }),
      },
    });
  });

  it('lets the reconciler query indexes, never scan, and read or write only what it repairs', () => {
    const actions = reconcilerStatements()
      .flatMap((s) => [s.Action].flat())
      .filter((action) => action.startsWith('dynamodb:'))
      .sort();

    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:GetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Query',
        'dynamodb:Query',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ].sort(),
    );
    expect(JSON.stringify(reconcilerStatements())).not.toContain('Scan');
    const queries = reconcilerStatements().filter((s) => s.Action === 'dynamodb:Query');
    expect(queries.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining('/index/pending'),
      expect.stringContaining('/index/parked'),
      expect.stringContaining('/index/byChange'),
    ]);
  });

  it('lets the reconciler invoke the projector (targeted read-model repair), and no other function', () => {
    const invokes = reconcilerStatements().filter((s) => JSON.stringify(s.Action).includes('lambda:'));

    expect(invokes).toEqual([expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ReadModelProjector/), 'Arn'] } })]);
  });
});

describe('OrdersServiceStack checks', () => {
  it.each([
    ['the default Cognito user pool', {}],
    ['a named issuer', { auth: { issuer: 'https://login.example.com/', audience: ['a', 'b'] } }],
    ["auth 'none'", { auth: 'none' }],
  ] as [string, OrdersServiceStackProps][])('passes the cdk-nag AwsSolutions pack with %s, with only acknowledged findings', (_mode, props) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new OrdersServiceStack(app, 'OrdersService', props);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});

describe('OrdersServiceStack props', () => {
  it('refuses an idempotency TTL under the 24 hours the contract promises', () => {
    expect(() => synth({ idempotencyTtl: Duration.hours(2) })).toThrow(/idempotencyTtl is 2 hours.*at least 24 hours/);
  });

  it('passes an opt-in wait for the read model to the read function, in milliseconds', () => {
    const { template: custom } = synth({ minVersionWait: Duration.millis(250) });

    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MIN_VERSION_WAIT_MS: '250', READ_MODEL_TABLE_NAME: Match.anyValue() }) },
    });
  });

  it.each([
    ['a wait over 5 seconds', Duration.seconds(6), /minVersionWait is 6 seconds.*from 0 to 5000/],
    ['a fraction of a millisecond', Duration.millis(1.5), /minVersionWait is 1.5 millis.*whole number of milliseconds/],
    ['a wait not known at synth', Duration.millis(Token.asNumber({ Ref: 'Wait' })), /minVersionWait must be known at synth/],
  ])('refuses %s for minVersionWait', (_name, minVersionWait, message) => {
    expect(() => synth({ minVersionWait })).toThrow(message);
  });

  it('passes a longer idempotency TTL to the write functions', () => {
    const { template: custom } = synth({ idempotencyTtl: Duration.days(2) });

    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IDEMPOTENCY_TTL_SECONDS: '172800' }) },
    });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpNoneAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { CloudAssembly } from '../../local/synth';
import type { CfnTemplate } from '../../local/model';

/** A function that answers with what the gateway told it about the caller. */
const ECHO = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ routeKey: event.routeKey, authorizer: event.requestContext.authorizer ?? null }),
});
`;

/**
 * A small CDK app shaped like the Orders API will be: an HTTP API whose default authorizer is a
 * Cognito user pool's (`HttpUserPoolAuthorizer`: its issuer an `Fn::Join` naming the pool, its
 * audience a `Ref` to the app client), a route with its own `HttpJwtAuthorizer` (another issuer
 * and audience, and a scope), and an open route. Every route answers with `echo`.
 */
export const synthesizeAuthApp = (): CloudAssembly & { readonly template: CfnTemplate; remove(): void } => {
  const root = mkdtempSync(path.join(tmpdir(), 'auth-app-'));
  const assetDir = path.join(root, 'echo');
  mkdirSync(assetDir);
  writeFileSync(path.join(assetDir, 'index.js'), ECHO);
  const outdir = path.join(root, 'cdk.out');
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'AuthApp');
  const pool = new UserPool(stack, 'Users');
  const client = pool.addClient('Cli');
  const echo = new LambdaFunction(stack, 'Echo', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromAsset(assetDir) });
  const integration = new HttpLambdaIntegration('EchoIntegration', echo);
  const api = new HttpApi(stack, 'Api', { defaultAuthorizer: new HttpUserPoolAuthorizer('UserPool', pool, { userPoolClients: [client] }) });
  api.addRoutes({ path: '/things', methods: [HttpMethod.GET, HttpMethod.POST], integration });
  api.addRoutes({ path: '/things/{id}', methods: [HttpMethod.GET], integration });
  api.addRoutes({
    path: '/partners',
    methods: [HttpMethod.GET],
    integration,
    authorizer: new HttpJwtAuthorizer('Partners', 'https://partners.example.com', { jwtAudience: ['partner-api'] }),
    authorizationScopes: ['partners/read'],
  });
  api.addRoutes({ path: '/open', methods: [HttpMethod.GET], integration, authorizer: new HttpNoneAuthorizer() });
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  return { dir: outdir, template, reused: true, remove: () => rmSync(root, { recursive: true, force: true }) };
};

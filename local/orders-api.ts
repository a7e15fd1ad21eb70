import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ORDER_ROUTES } from '../lib/order-routes';
import { PROJECT_ROOT } from '../lib/service-function';
import { type LambdaHttpHandler, type LocalHttpApi, startLocalHttpApi } from './http-api';
import { type CfnTemplate, createTablesFromTemplate, functionEnvironment, logicalIdOf, synthesizeOrdersTemplate } from './template';

export interface LocalOrdersApiOptions {
  /** The DynamoDB Local endpoint. */
  readonly dynamodbEndpoint: string;
  /** Prefix for the local table names, so several runs can share one engine. @default '' */
  readonly tablePrefix?: string;
  /** @default - a free port */
  readonly port?: number;
  /** @default - synthesized now */
  readonly template?: CfnTemplate;
  /** Variables set on top of every function's own, e.g. a log level. @default - none */
  readonly environmentOverrides?: Record<string, string>;
}

export interface LocalOrdersApi extends LocalHttpApi {
  /** Local table name of each table's logical id in the template. */
  readonly tables: Record<string, string>;
  readonly template: CfnTemplate;
}

/** Credentials and region for the SDK when it talks to the local engines. */
export const localSdkEnvironment = (dynamodbEndpoint: string): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
});

/**
 * The Orders HTTP API on this machine: tables created from the synthesized template, each route
 * served by its handler module, loaded with the environment the template gives its function.
 */
export const startLocalOrdersApi = async (options: LocalOrdersApiOptions): Promise<LocalOrdersApi> => {
  const template = options.template ?? synthesizeOrdersTemplate();
  Object.assign(process.env, localSdkEnvironment(options.dynamodbEndpoint));
  const client = new DynamoDBClient({});
  const tables = await createTablesFromTemplate(client, template, options.tablePrefix ?? '');
  client.destroy();

  const routes = [];
  for (const route of ORDER_ROUTES) {
    const logicalId = logicalIdOf(template, `OrdersService/${route.id}/Resource`);
    const handler = await loadHandler(route.entry, {
      ...functionEnvironment(template, logicalId, tables),
      ...options.environmentOverrides,
    });
    routes.push({ method: route.method, path: route.path, functionName: route.id, handler });
  }
  const api = await startLocalHttpApi(routes, options.port === undefined ? {} : { port: options.port });
  return { ...api, tables, template };
};

/**
 * Loads a handler module with its function's environment in place: handlers read their
 * configuration once, at load, as they do at a Lambda cold start.
 */
const loadHandler = async (entry: string, env: Record<string, string>): Promise<LambdaHttpHandler> => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const module = (await import(path.join(PROJECT_ROOT, entry))) as { handler?: LambdaHttpHandler };
    if (typeof module.handler !== 'function') {
      throw new Error(`${entry} does not export a handler function.`);
    }
    return module.handler;
  } finally {
    for (const name of Object.keys(env)) {
      if (saved[name] === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = saved[name];
      }
    }
  }
};

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ORDER_ROUTES } from '../lib/order-routes';
import { PROJECT_ROOT } from '../lib/service-function';
import { startDynamoDbLocal } from './dynamodb-local';
import { startLocalOrdersApi } from './orders-api';

/**
 * `npm start`: the Orders write path on this machine. DynamoDB Local (data in `.local/` unless
 * `--in-memory`), every table created from the synthesized template, and the HTTP API routes
 * served by the real handlers on 127.0.0.1:$PORT (default 3000).
 *
 * Not running yet: the relay, the local EventBridge bus, the schedules and the `/_local/*`
 * admin routes. They come with the relay and local-stack issues; until then outbox items are
 * written and stay pending.
 */
const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      'in-memory': { type: 'boolean', default: false },
      port: { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid port ${values.port ?? process.env.PORT}: use a number from 0 to 65535.`);
  }
  const dbPath = values['in-memory'] ? undefined : path.join(PROJECT_ROOT, '.local', 'dynamodb');

  const dynamodb = await startDynamoDbLocal(dbPath === undefined ? {} : { dbPath });
  let api;
  try {
    api = await startLocalOrdersApi({ dynamodbEndpoint: dynamodb.endpoint, port });
  } catch (error: unknown) {
    await dynamodb.stop();
    throw error;
  }

  const lines = [
    '',
    `Orders API (local)     ${api.url}`,
    ...ORDER_ROUTES.map((route) => `  ${route.method.padEnd(5)} ${route.path.padEnd(22)} -> ${route.entry}`),
    `DynamoDB Local         ${dynamodb.endpoint}  (${dbPath === undefined ? 'in memory' : `data in ${path.relative(process.cwd(), dbPath)}`})`,
    ...Object.entries(api.tables).map(([logicalId, name]) => `  table ${name}${name === logicalId ? '' : ` (${logicalId})`}`),
    '',
    'Not running yet: the outbox relay, the local EventBridge bus, schedules and /_local/* admin',
    'routes. Outbox items are written in the same transaction as each order and stay PENDING.',
    '',
    `Try: curl -si -X POST ${api.url}/orders -H 'content-type: application/json' \\`,
    `       -d '{"customerId":"c-1","currency":"EUR","items":[{"sku":"A-1","quantity":2,"unitPrice":1250}]}'`,
    '',
    'Ctrl+C stops everything.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await api.close();
    await dynamodb.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
};

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

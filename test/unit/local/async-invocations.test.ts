import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AsyncInvocationRecord, AsyncInvocations } from '../../../local/lambda/async-invocations';
import { LocalFunction } from '../../../local/lambda/functions';
import type { AsyncInvokeSettings } from '../../../local/model';

/** Lambda's asynchronous invocation of a function that always fails, per its EventInvokeConfig. */
let dir: string;
let fn: LocalFunction;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'async-invocations-'));
  writeFileSync(path.join(dir, 'index.js'), "exports.handler = async () => { throw new Error('always fails'); };");
  fn = new LocalFunction(
    { logicalId: 'Failing', name: 'failing', file: path.join(dir, 'index.js'), exportName: 'handler', environment: {}, timeoutMs: 5000, memoryMb: 128 },
    {},
  );
});
afterAll(async () => {
  await fn.close();
  rmSync(dir, { recursive: true, force: true });
});

const failureOf = async (settings: AsyncInvokeSettings, retryDelaysMs: number[]): Promise<{ record: AsyncInvocationRecord; queue: string | undefined; invocations: number }> => {
  const before = fn.invocations;
  const async = new AsyncInvocations({ settingsOf: () => settings, retryDelaysMs, onFailure: (_, record, queue) => settle({ record, queue }) });
  let settle: (failure: { record: AsyncInvocationRecord; queue: string | undefined }) => void = () => undefined;
  const failed = new Promise<{ record: AsyncInvocationRecord; queue: string | undefined }>((resolve) => (settle = resolve));

  async.invoke(fn, { id: 'e-1' });
  const failure = await failed;
  async.stop();
  return { ...failure, invocations: fn.invocations - before };
};

describe('an asynchronous invocation of a failing function', () => {
  it('runs 1 + MaximumRetryAttempts times, then sends its record to the on-failure destination', async () => {
    const { record, queue, invocations } = await failureOf({ maxRetryAttempts: 2, maxEventAgeSeconds: 3600, onFailureQueueLogicalId: 'Dlq' }, [1]);

    expect(invocations).toBe(3);
    expect(queue).toBe('Dlq');
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { id: 'e-1' },
      responsePayload: { errorMessage: 'always fails' },
    });
  });

  it('gives up without a retry when the retry would come, a minute later on AWS, at MaximumEventAgeInSeconds 60', async () => {
    const { record, invocations } = await failureOf({ maxRetryAttempts: 2, maxEventAgeSeconds: 60 }, [1]);

    expect(invocations).toBe(1);
    expect(record.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 1 });
  });

  it('counts the AWS waits (1 then 2 minutes) toward the event age although the local waits are milliseconds', async () => {
    const { record, invocations } = await failureOf({ maxRetryAttempts: 2, maxEventAgeSeconds: 150 }, [1]);

    expect(invocations).toBe(2);
    expect(record.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 2 });
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FunctionError, LocalFunction, type LocalFunctionSpec } from '../../../local/lambda/functions';

/** The local Lambda runtime: one execution environment per concurrent invocation, as on AWS. */
let dir: string;
const opened: LocalFunction[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'local-functions-'));
  writeFileSync(
    path.join(dir, 'index.js'),
    'let calls = 0; exports.handler = async (event) => { calls += 1; await new Promise((r) => setTimeout(r, event.ms)); return { calls, id: event.id }; };',
  );
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((fn) => fn.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (overrides: Partial<LocalFunctionSpec> = {}): LocalFunction => {
  const fn = new LocalFunction(
    { logicalId: 'Sleeper', name: 'sleeper', file: path.join(dir, 'index.js'), exportName: 'handler', environment: {}, timeoutMs: 1000, memoryMb: 128, ...overrides },
    {},
  );
  opened.push(fn);
  return fn;
};

describe('a local Lambda function', () => {
  it('times out only the invocation that ran too long; one beside it in another environment succeeds', async () => {
    const fn = open();

    const [slow, fast] = await Promise.allSettled([fn.invoke({ ms: 3000, id: 'slow' }), fn.invoke({ ms: 10, id: 'fast' })]);

    expect(slow).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ errorType: 'Sandbox.Timedout' }) });
    expect(slow.status === 'rejected' && slow.reason instanceof FunctionError).toBe(true);
    expect(fast).toMatchObject({ status: 'fulfilled', value: { id: 'fast', calls: 1 } });
    expect(fn.coldStarts).toBe(2);
    expect(fn.peakConcurrency).toBe(2);
  });

  it('starts the timeout after the init phase, as Lambda does: a slow bundle load is not a timeout', async () => {
    writeFileSync(path.join(dir, 'slow-init.js'), 'const until = Date.now() + 1500; while (Date.now() < until); exports.handler = async () => "ok";');
    const fn = open({ file: path.join(dir, 'slow-init.js'), timeoutMs: 1000 });

    expect(await fn.invoke({})).toBe('ok');
  });

  it('reuses a warm environment for the next invocation (module state survives, as on AWS)', async () => {
    const fn = open();

    await fn.invoke({ ms: 1, id: 'a' });
    const second = await fn.invoke({ ms: 1, id: 'b' });

    expect(second).toEqual({ calls: 2, id: 'b' });
    expect(fn.coldStarts).toBe(1);
  });

  it('runs one invocation at a time under reserved concurrency 1, each with its own full timeout', async () => {
    const fn = open({ reservedConcurrency: 1, timeoutMs: 3000 });

    const results = await Promise.all([1, 2, 3].map((id) => fn.invoke({ ms: 1200, id })));

    expect(results.map((result) => (result as { id: number }).id)).toEqual([1, 2, 3]);
    expect(fn.peakConcurrency).toBe(1);
    expect(fn.coldStarts).toBe(1);
  });

  it('fails a crashed invocation and hands the one waiting to a fresh environment', async () => {
    const fn = open({ reservedConcurrency: 1, timeoutMs: 10_000 });
    const running = fn.invoke({ ms: 5000, id: 'running' }).catch((error: unknown) => error);
    const waiting = fn.invoke({ ms: 1, id: 'waiting' });
    await new Promise((resolve) => setTimeout(resolve, 300));

    fn.crash();

    expect(await running).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(await waiting).toEqual({ calls: 1, id: 'waiting' });
    expect(fn.coldStarts).toBe(2);
  });

  it('refuses every invocation under reserved concurrency 0, as a throttled function', async () => {
    const fn = open({ reservedConcurrency: 0 });

    await expect(fn.invoke({ ms: 1 })).rejects.toMatchObject({ errorType: 'TooManyRequestsException' });
    expect(fn.coldStarts).toBe(0);
  });

  it('fails what is in flight and what waits when closed', async () => {
    const fn = open({ reservedConcurrency: 1, timeoutMs: 10_000 });

    const running = fn.invoke({ ms: 5000 }).catch((error: unknown) => error);
    const waiting = fn.invoke({ ms: 5000 }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fn.inFlight).toBe(2);
    await fn.close();

    expect(await running).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(await waiting).toMatchObject({ errorType: 'Runtime.ExitError' });
    await expect(fn.invoke({ ms: 1 })).rejects.toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(fn.coldStarts).toBe(1);
  });
});

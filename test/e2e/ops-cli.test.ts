import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GetQueueUrlCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { noFaults } from '../../local/apps/orders';
import { logicalIdOf } from '../../local/model';
import { main } from '../../ops/outbox';
import { STAFF, eventually, useE2e } from '../support/e2e';

/**
 * The operations CLI against the local stack, through the same AWS APIs it uses on a deployed
 * stack (CloudFormation outputs, Lambda Invoke, SQS) served on the local stack's URL.
 */
const ctx = useE2e({ caller: STAFF });

afterEach(async () => {
  await ctx.setFaults({ ...noFaults() });
});

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

const cli = async (...argv: string[]): Promise<Run> => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--local', ctx.api.url], { stdout: (t) => out.push(t), stderr: (t) => err.push(t), progress: false });
  return { code, out: out.join(''), err: err.join('') };
};

const cliJson = async <T>(...argv: string[]): Promise<{ code: number; body: T; err: string }> => {
  const run = await cli(...argv, '--json');
  return { code: run.code, body: JSON.parse(run.out) as T, err: run.err };
};

interface Status {
  pending: number;
  published: number;
  publishedApproximate: boolean;
  parked: number;
  oldestPendingAgeMs: number;
  oldestParkedAgeMs: number;
  failureQueues: Record<string, number>;
}

interface BusEvent {
  detail: { eventId: string; version: number };
}

const eventsOf = async (orderId: string): Promise<BusEvent[]> => ((await ctx.get(`/_local/events?aggregateId=${orderId}`)).body as { events: BusEvent[] }).events;

const readModelVersion = async (orderId: string): Promise<unknown> =>
  (await ctx.doc.send(new GetCommand({ TableName: ctx.tables.readModel, Key: { id: orderId } }))).Item?.version;

const status = async (): Promise<Status> => (await cliJson<Status>('status')).body;

describe('outbox CLI on the local stack', () => {
  it('status --json: the outbox counts, as /_local/outbox has them, and the depth of each failure queue', async () => {
    const order = await ctx.placeOrder({ customerId: 'c-cli-status' });
    await eventually(async () => eventsOf(order.id), (events) => events.length === 1);

    const settled = await eventually(
      async () => ({ cli: await status(), local: (await ctx.get('/_local/outbox')).body as { pending: number; published: number; parked: number } }),
      ({ cli, local }) => cli.pending === 0 && local.pending === 0 && cli.published === local.published,
    );

    expect(settled.cli).toEqual({
      pending: 0,
      published: settled.local.published,
      publishedApproximate: true,
      parked: settled.local.parked,
      oldestPendingAgeMs: 0,
      oldestParkedAgeMs: expect.any(Number) as unknown,
      failureQueues: { ProjectorDeadLetters: expect.any(Number) as unknown, RelayFailures: 0 },
    });
    expect(settled.cli.published).toBeGreaterThanOrEqual(1);
  });

  it('status without --json: a readable table, one row per figure and failure queue', async () => {
    const run = await cli('status');

    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/^Outbox of OrdersService on the local stack at http:\/\/127\.0\.0\.1:\d+\n┌/);
    for (const row of ['pending', 'oldest pending', 'published (kept for replay; estimate: ItemCount, refreshed ~6 h)', 'parked', 'failure queue ProjectorDeadLetters', 'failure queue RelayFailures']) {
      expect(run.out).toMatch(new RegExp(`│ ${row.replace(/[()]/g, '\\$&')} +│ [0-9-]`));
    }
  });

  it('parked and retry-parked: a refused order is listed with its error, stays parked while refused, and flows once retried', async () => {
    const order = await ctx.placeOrder({ customerId: 'c-cli-parked' });
    await eventually(async () => eventsOf(order.id), (events) => events.length === 1);
    await ctx.setFaults({ eventBridgeRejectAggregateIds: [order.id] });
    const confirmed = await ctx.post(`/orders/${order.id}/confirm`);
    expect(confirmed.status).toBe(200);

    const listed = await eventually(
      async () => (await cliJson<{ items: { aggregateId: string; version: number; errorCode: string; parkedAt: string }[] }>('parked')).body.items,
      (items) => items.some((item) => item.aggregateId === order.id),
    );
    expect(listed.filter((item) => item.aggregateId === order.id)).toEqual([
      { aggregateId: order.id, version: 2, errorCode: 'InvalidArgument', parkedAt: expect.stringMatching(/Z$/) as unknown, eventId: expect.any(String) as unknown, detailType: 'OrderConfirmed', errorMessage: expect.any(String) as unknown, publishAttempts: 1 },
    ]);
    const table = await cli('parked');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(new RegExp(`│ ${order.id} +│ 2 +│ OrderConfirmed +│ InvalidArgument +│`));
    expect((await status()).parked).toBeGreaterThanOrEqual(1);

    const refusedAgain = await cli('retry-parked', '--order', order.id);
    expect(refusedAgain.code).toBe(1);
    expect(refusedAgain.err).toBe('outbox: 1 event is still parked: the bus refused again (see the table, or: npm run outbox -- parked).\n');
    expect(refusedAgain.out).toMatch(/0 republished, 1 still parked/);

    await ctx.setFaults({ eventBridgeRejectAggregateIds: [] });
    const retried = await cliJson<{ aggregates: number; republished: number; stillParked: number; released: number }>('retry-parked', '--order', order.id);

    expect(retried.code).toBe(0);
    expect(retried.body).toMatchObject({ aggregates: 1, republished: 1, stillParked: 0, released: 1 });
    expect((await eventsOf(order.id)).map((event) => event.detail.version)).toEqual([1, 2]);
    expect((await cliJson<{ items: { aggregateId: string }[] }>('parked')).body.items.some((item) => item.aggregateId === order.id)).toBe(false);
    // New versions flow again: the hold is gone.
    expect((await ctx.post(`/orders/${order.id}/ship`, {})).status).toBe(200);
    await eventually(async () => eventsOf(order.id), (events) => events.length === 3);
  });

  it('replay --order: the same eventIds on the bus again, in version order', async () => {
    const order = await ctx.placeOrder({ customerId: 'c-cli-replay' });
    await ctx.post(`/orders/${order.id}/confirm`);
    const first = await eventually(async () => eventsOf(order.id), (events) => events.length === 2);
    await eventually(status, (s) => s.pending === 0);
    const replayed = await cliJson<{ found: number; replayed: number; replayedEvents: { eventId: string; version: number }[] }>('replay', '--order', order.id);
    expect(replayed.code).toBe(0);
    expect(replayed.body).toMatchObject({ found: 2, replayed: 2 });
    expect(replayed.body.replayedEvents.map((event) => [event.version, event.eventId])).toEqual(first.map((event) => [event.detail.version, event.detail.eventId]));

    const events = await eventually(async () => eventsOf(order.id), (all) => all.length >= 4);
    const ids = first.map((event) => event.detail.eventId);
    expect(events.slice(2).map((event) => event.detail.eventId)).toEqual(ids);
    expect(events.slice(2).map((event) => event.detail)).toEqual(first.map((event) => event.detail));

    const table = await cli('replay', '--order', order.id);
    expect(table.code).toBe(0);
    expect(table.out).toContain(ids[0]);
    expect(table.out).toMatch(/Replayed 2 of 2 events found \(0 pending, left to the relay; 0 parked, left to retry-parked; 0 failed\)\./);
  });

  it('replay --since: the events that occurred in the window, from the occurred index', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const order = await ctx.placeOrder({ customerId: 'c-cli-window' });
    const [placed] = await eventually(async () => eventsOf(order.id), (events) => events.length === 1);

    const replayed = await cliJson<{ replayed: number; replayedEvents: { eventId: string }[]; progress: { done: number; total: number } }>('replay', '--since', since);

    expect(replayed.code).toBe(0);
    expect(replayed.body.replayedEvents.map((event) => event.eventId)).toContain(placed?.detail.eventId);
    expect(replayed.body.progress.done).toBe(replayed.body.progress.total);
    expect((await eventsOf(order.id)).map((event) => event.detail.eventId)).toEqual([placed?.detail.eventId, placed?.detail.eventId]);
  });

  it('replay --order of an unknown order fails with one line and sends nothing', async () => {
    const run = await cli('replay', '--order', 'no-such-order');

    expect(run.code).toBe(1);
    // The local stack runs no bus archive, so its stack has no EventArchiveName output.
    expect(run.err).toBe('outbox: No outbox events for order no-such-order: never written, or pruned after the retention (older events are in the bus archive, if the bus has one).\n');
    expect(await eventsOf('no-such-order')).toEqual([]);
  });

  it("redrive: projector dead letters stay while the projector fails, and go through it once it works", async () => {
    await ctx.setFaults({ projectorFailureRate: 1 });
    const order = await ctx.placeOrder({ customerId: 'c-cli-redrive' });
    const before = await eventually(status, (s) => (s.failureQueues.ProjectorDeadLetters ?? 0) >= 1, 30_000);
    const depth = before.failureQueues.ProjectorDeadLetters ?? 0;

    const failing = await cliJson<{ redriven: number; failed: number }>('redrive');
    expect(failing.code).toBe(1);
    expect(failing.body).toMatchObject({ redriven: 0, failed: depth });
    expect(failing.err).toMatch(/left in the queue/);
    expect((await status()).failureQueues.ProjectorDeadLetters).toBe(depth);
    expect(await readModelVersion(order.id)).toBeUndefined();

    await ctx.setFaults({ projectorFailureRate: 0 });
    const redriven = await cliJson<{ redriven: number; failed: number; unverified: number; unreadable: number }>('redrive');

    expect(redriven.code).toBe(0);
    expect(redriven.body).toMatchObject({ redriven: depth, failed: 0, unverified: 0, unreadable: 0 });
    expect(await readModelVersion(order.id)).toBe(1);
    expect((await status()).failureQueues.ProjectorDeadLetters).toBe(0);
  });

  it('redrive projects only what the outbox published: messages put on the queue by anyone else stay there until discarded, the read model untouched', async () => {
    const order = await ctx.placeOrder({ customerId: 'c-cli-forged' });
    const [placed] = await eventually(async () => eventsOf(order.id), (events) => events.length === 1);
    await eventually(async () => readModelVersion(order.id), (version) => version === 1);
    await eventually(status, (s) => s.pending === 0);
    const sqs = new SQSClient({ endpoint: ctx.api.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: logicalIdOf(ctx.api.template, 'OrdersService/ReadModel/DeadLetters/Resource') }));
    const genuine = placed as unknown as { detail: Record<string, unknown> & { state: Record<string, unknown> } };
    const forged = { ...genuine, detail: { ...genuine.detail, version: 99, state: { ...genuine.detail.state, version: 99, status: 'CANCELLED' } } };
    const altered = { ...genuine, detail: { ...genuine.detail, state: { ...genuine.detail.state, status: 'CANCELLED' } } };
    const versionZero = { ...genuine, detail: { ...genuine.detail, version: 0 } };
    // Two copies of one genuine event (a delivery's dead letter and a repair's) read in one batch.
    for (const body of [forged, altered, { hello: 'world' }, versionZero, genuine, genuine]) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(body) }));
    }

    const run = await cliJson<{ redriven: number; unverified: number; unreadable: number; failures: { reason: string }[] }>('redrive');

    expect(run.code).toBe(1);
    expect(run.body).toMatchObject({ redriven: 2, unverified: 2, unreadable: 2 });
    expect(run.body.failures.map((f) => f.reason).sort()).toEqual(
      [
        `order ${order.id} v1: its content differs from what the outbox published`,
        `order ${order.id} v99: not in the outbox (pruned after its retention, or never published by it)`,
        'unreadable: neither a Lambda failure record nor an EventBridge event of the outbox',
        'unreadable: neither a Lambda failure record nor an EventBridge event of the outbox',
      ].sort(),
    );
    expect(run.err).toMatch(/--discard-unverified deletes those not matching the outbox/);
    expect(await readModelVersion(order.id)).toBe(1);
    expect((await status()).failureQueues.ProjectorDeadLetters).toBe(4);

    const discarded = await cliJson<{ redriven: number; discarded: number; unverified: number; unreadable: number }>('redrive', '--discard-unverified');

    expect(discarded.code).toBe(0);
    expect(discarded.body).toMatchObject({ redriven: 0, discarded: 4, unverified: 0, unreadable: 0 });
    expect((await status()).failureQueues.ProjectorDeadLetters).toBe(0);
    expect(await readModelVersion(order.id)).toBe(1);
    sqs.destroy();
  });

  it('fails with one line for a stack the local stack does not run', async () => {
    const run = await cli('status', '--stack', 'NoSuchStack');

    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^outbox: No stack NoSuchStack on the local stack at http:\/\/127\.0\.0\.1:\d+: pass --stack NAME, or deploy it\.\n$/);
  });

  it('runs as a process: exit 0 with the table, exit 2 on bad usage with one line on stderr', async () => {
    const run = promisify(execFile);
    const tsx = ['--import', 'tsx', 'ops/outbox.ts'];
    const ok = await run(process.execPath, [...tsx, 'status', '--local', ctx.api.url]);
    expect(ok.stdout).toMatch(/│ pending +│ \d+ +│/);

    const bad = await run(process.execPath, [...tsx, 'replay', '--local', ctx.api.url]).then(
      () => ({ code: 0, stderr: '' }),
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('outbox: replay needs --order ID, or --since ISO [--until ISO]. (npm run outbox -- --help)\n');
  });
});

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { noFaults } from '../../local/apps/orders';
import { logicalIdOf } from '../../local/model';
import { localEventBridgeClient } from '../support/eventbridge';
import { eventually, STAFF, useE2e } from '../support/e2e';
import { invokeJson, localLambdaClient } from '../support/lambda';

/** The local stack's faults of issue 9: refused orders on the bus, a failing projector, a failing audit. */
const ctx = useE2e({ caller: STAFF });

const NO_FAULTS: Record<string, unknown> = { ...noFaults() };

afterEach(async () => {
  await ctx.setFaults(NO_FAULTS);
});

const projectorDeadLetters = (): { requestContext?: { approximateInvokeCount?: number }; requestPayload?: { detail?: { aggregateId?: string } } }[] =>
  (ctx.api.queues.get(logicalIdOf(ctx.api.template, 'OrdersService/ReadModel/DeadLetters/Resource')) ?? []) as never;

const readModelVersion = async (orderId: string): Promise<unknown> =>
  (await ctx.doc.send(new GetCommand({ TableName: ctx.tables.readModel, Key: { id: orderId } }))).Item?.version;

describe('local faults', () => {
  it('starts with every fault off and reads back what was set', async () => {
    const initial = await ctx.get('/_local/faults');
    const set = await ctx.setFaults({ eventBridgeRejectAggregateIds: ['o-1', 'o-2'], projectorFailureRate: 0.25, auditFails: true });
    const read = await ctx.get('/_local/faults');

    expect(initial.body).toEqual(NO_FAULTS);
    expect(set.status).toBe(200);
    expect(read.body).toEqual({ ...NO_FAULTS, eventBridgeRejectAggregateIds: ['o-1', 'o-2'], projectorFailureRate: 0.25, auditFails: true });
  });

  it('turns off every fault a PUT leaves out, as CONTRACT.md says', async () => {
    await ctx.setFaults({ projectorFailureRate: 0.5, auditFails: true });

    const set = await ctx.setFaults({ relayCrashAfterPublishRate: 0.1 });

    expect(set.body).toEqual({ ...NO_FAULTS, relayCrashAfterPublishRate: 0.1 });
    expect((await ctx.get('/_local/faults')).body).toEqual({ ...NO_FAULTS, relayCrashAfterPublishRate: 0.1 });
    await ctx.setFaults(NO_FAULTS);
  });

  it.each([
    ['a list that is not one', { eventBridgeRejectAggregateIds: 'o-1' }],
    ['an id that is not a string', { eventBridgeRejectAggregateIds: ['o-1', 7] }],
    ['an empty id', { eventBridgeRejectAggregateIds: [''] }],
    ['a rate above 1', { projectorFailureRate: 1.5 }],
    ['a rate as a string', { projectorFailureRate: '0.5' }],
    ['a flag that is not a boolean', { auditFails: 'yes' }],
    ['one bad field beside good ones', { auditFails: true, projectorFailureRate: -0.1 }],
  ])('refuses %s with 400 VALIDATION_FAILED and changes nothing', async (_, body) => {
    const before = (await ctx.get('/_local/faults')).body;

    const result = await ctx.setFaults(body);

    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect((await ctx.get('/_local/faults')).body).toEqual(before);
  });

  it("refuses a rejected order's entries with InvalidArgument and accepts the others of the same call", async () => {
    await ctx.setFaults({ eventBridgeRejectAggregateIds: ['o-refused'] });
    const entry = (aggregateId: string) => ({ Source: 'local-test', DetailType: 'Probe', Detail: JSON.stringify({ aggregateId, version: 1 }) });

    const answer = await localEventBridgeClient(ctx.api.eventBridgeEndpoint).send(
      new PutEventsCommand({ Entries: [entry('o-refused'), entry('o-welcome'), entry('o-refused')] }),
    );
    const refused = (await ctx.get('/_local/events?aggregateId=o-refused')).body as { events: unknown[] };
    const welcome = (await ctx.get('/_local/events?aggregateId=o-welcome')).body as { events: unknown[] };

    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.[0]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringContaining('o-refused') as unknown });
    expect(answer.Entries?.[1]?.EventId).toEqual(expect.any(String));
    expect(answer.Entries?.[2]?.ErrorCode).toBe('InvalidArgument');
    expect(refused.events).toEqual([]);
    expect(welcome.events).toHaveLength(1);
  });

  it("keeps the read model behind while every projector invocation fails, and dead-letters the event after Lambda's retries", async () => {
    await ctx.setFaults({ projectorFailureRate: 1 });

    const order = await ctx.placeOrder({ customerId: 'c-projector-down' });
    const dead = await eventually(
      async () => projectorDeadLetters().filter((record) => record.requestPayload?.detail?.aggregateId === order.id),
      (found) => found.length > 0,
    );

    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 } });
    expect(await readModelVersion(order.id)).toBeUndefined();
  });

  it('projects again once projectorFailureRate is back to 0', async () => {
    await ctx.setFaults({ projectorFailureRate: 0 });

    const order = await ctx.placeOrder({ customerId: 'c-projector-up' });

    expect(await eventually(async () => readModelVersion(order.id), (version) => version === 1)).toBe(1);
    expect(projectorDeadLetters().some((record) => record.requestPayload?.detail?.aggregateId === order.id)).toBe(false);
  });

  it("fails a direct asynchronous Invoke of the projector too, and dead-letters it after Lambda's retries", async () => {
    await ctx.setFaults({ projectorFailureRate: 1 });
    const lambda = localLambdaClient(ctx.api.lambdaEndpoint);
    const event = { version: '0', id: 'e-1', 'detail-type': 'OrderPlaced', source: 'orders', detail: { aggregateId: 'o-direct', version: 1 } };

    const answer = await invokeJson(lambda, 'projector', event, 'Event');
    const dead = await eventually(
      async () => projectorDeadLetters().filter((record) => record.requestPayload?.detail?.aggregateId === 'o-direct'),
      (found) => found.length > 0,
    );
    lambda.destroy();

    expect(answer.statusCode).toBe(202);
    expect(dead[0]).toMatchObject({ requestContext: { approximateInvokeCount: 3 }, responsePayload: { errorMessage: expect.stringContaining('projectorFailureRate') as unknown } });
  });

  it('fails the Orders audit while auditFails is on, and runs it once it is off', async () => {
    await ctx.placeOrder({ customerId: 'c-audit' });
    await ctx.setFaults({ auditFails: true });

    const failing = await ctx.post('/_local/functions/reconciler/invoke', { graceSeconds: 0 });
    await ctx.setFaults({ auditFails: false });
    const passing = await ctx.post('/_local/functions/reconciler/invoke', { graceSeconds: 0 });

    // The audit fails in its own error boundary: the run (and its sweep) still succeeds.
    expect(failing.status).toBe(200);
    expect(failing.body).toMatchObject({ sweep: expect.any(Object) as unknown, auditError: expect.stringContaining('Injected by the local fault auditFails.') as unknown });
    expect(passing.status).toBe(200);
    expect(passing.body).toMatchObject({ audit: expect.any(Object) as unknown });
    expect(passing.body).not.toHaveProperty('auditError');
  });

  it('reports parked items in /_local/outbox', async () => {
    const outbox = await ctx.get('/_local/outbox');

    expect(outbox.status).toBe(200);
    expect(outbox.body).toMatchObject({ parked: 0 });
  });
});

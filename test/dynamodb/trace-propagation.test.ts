import { afterEach, describe, expect, it, vi } from 'vitest';
import { withCorrelationId } from '../../lambdas/domain/events';
import { type OrderChange, placeOrder } from '../../lambdas/domain/order';
import { OutboxSweeper } from '../../lambdas/outbox/reconciler';
import type { WireEntry } from '../../local/events/bus';
import { testRepository } from '../support/dynamodb';
import { type RelayFixture, startRelayFixture } from '../support/relay';

/**
 * The trace context across the outbox on DynamoDB Local: the request's trace header goes into
 * the item with the write, and the relay and the sweep put it on the `PutEvents` entry.
 */
let fixture: RelayFixture | undefined;

afterEach(async () => {
  vi.unstubAllEnvs();
  await fixture?.close();
  fixture = undefined;
});

const TRACE_HEADER = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

/** A fixture whose bus records the entries as they came over the wire, `TraceHeader` included. */
const startRecording = async (): Promise<{ fixture: RelayFixture; entries: TracedWireEntry[] }> => {
  const entries: TracedWireEntry[] = [];
  const started = await startRelayFixture({
    bus: {
      entryFault: (entry) => {
        entries.push(entry);
        return undefined;
      },
    },
  });
  return { fixture: started, entries };
};

const newOrder = (): OrderChange => {
  const change = placeOrder({ customerId: 'c-trace', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 5 }] });
  return { ...change, event: withCorrelationId(change.event, 'req-42') };
};

/** The local bus's `WireEntry` does not name `TraceHeader` (it ignores it); the wire carries it. */
type TracedWireEntry = WireEntry & { TraceHeader?: string };

const entryOf = (entries: readonly TracedWireEntry[], change: OrderChange): TracedWireEntry | undefined =>
  entries.find((entry) => (JSON.parse(entry.Detail ?? '{}') as { eventId?: string }).eventId === change.event.detail.eventId);

describe('the trace header across the outbox', () => {
  it("sets the relay's entry TraceHeader from the item the traced request wrote", async () => {
    const recording = await startRecording();
    fixture = recording.fixture;
    const traced = newOrder();
    const untraced = newOrder();
    vi.stubEnv('_X_AMZN_TRACE_ID', TRACE_HEADER);
    await testRepository(fixture.doc, fixture.tables).commit(traced);
    vi.stubEnv('_X_AMZN_TRACE_ID', undefined);
    await testRepository(fixture.doc, fixture.tables).commit(untraced);

    const result = await fixture.relay.relay(await fixture.captureRecords());

    // An item without a trace header is an ordinary item: published, never parked as malformed.
    expect(result.report).toMatchObject({ published: 2, parked: 0 });
    expect(entryOf(recording.entries, traced)?.TraceHeader).toBe(TRACE_HEADER);
    expect(entryOf(recording.entries, untraced)).not.toHaveProperty('TraceHeader');
    expect(JSON.parse(entryOf(recording.entries, traced)?.Detail ?? '{}')).toMatchObject({ correlationId: 'req-42' });
  });

  it("sets the sweep's entry TraceHeader from the item it reads on the pending index", async () => {
    const recording = await startRecording();
    fixture = recording.fixture;
    const traced = newOrder();
    vi.stubEnv('_X_AMZN_TRACE_ID', TRACE_HEADER);
    await testRepository(fixture.doc, fixture.tables).commit(traced);
    const sweeper = new OutboxSweeper(fixture.doc, fixture.tables.outbox, fixture.dispatcher);

    const report = await sweeper.sweep({ graceSeconds: 0, maxItems: 100 });

    expect(report.republished).toBe(1);
    expect(entryOf(recording.entries, traced)?.TraceHeader).toBe(TRACE_HEADER);
  });
});

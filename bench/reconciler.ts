import { performance } from 'node:perf_hooks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { placeOrder } from '../lambdas/domain/order';
import { OutboxDispatcher } from '../lambdas/outbox/dispatcher';
import { OutboxParker } from '../lambdas/outbox/parker';
import { OutboxMarker } from '../lambdas/outbox/marker';
import { EventBridgePublisher } from '../lambdas/outbox/publisher';
import { OutboxSweeper } from '../lambdas/outbox/reconciler';
import { startLocalEventBridge } from '../local/events/bus';
import { benchTables } from './setup';
import { fixed, row } from './stats';

export interface ReconcilerFigures {
  readonly curve: { readonly published: number; readonly pending: number; readonly itemsRead: number; readonly ms: number }[];
  readonly republish1000Ms: number;
}

const publishedItem = (i: number) => ({
  aggregateId: `old-${i}`,
  version: 1,
  eventId: `e-${i}`,
  aggregateType: 'Order',
  source: 'orders',
  detailType: 'OrderPlaced',
  occurredAt: '2026-11-25T10:00:00.000Z',
  detail: '{}',
  status: 'PUBLISHED',
  publishedAt: '2026-11-25T10:00:01.000Z',
  expiresAt: 1_900_000_000,
});

/**
 * Items read by one reconcile run as the outbox grows (published items it must not read) with 10
 * pending, and the time of a run that republishes 1,000 items; the first size is the baseline.
 */
export const benchReconciler = async (endpoint: string, sizes: readonly number[]): Promise<ReconcilerFigures> => {
  const bus = await startLocalEventBridge();
  const eventBridge = new EventBridgeClient({ endpoint: bus.endpoint });
  const curve: ReconcilerFigures['curve'][number][] = [];
  let written = 0;
  const { client, doc, tables, repository } = await benchTables(endpoint, 'reconbench');
  const sweeper = new OutboxSweeper(
    doc,
    tables.outbox,
    new OutboxDispatcher(
      new EventBridgePublisher(eventBridge, { eventBusName: 'orders' }),
      new OutboxMarker(doc, { tableName: tables.outbox }),
      new OutboxParker(doc, { tableName: tables.outbox }),
    ),
  );
  const commitOrders = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      await repository.commit(placeOrder({ customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }));
    }
  };
  for (const size of sizes) {
    // Grow the published part of the outbox to `size`, 25 items a request.
    const writes: Promise<unknown>[] = [];
    for (let i = written; i < size; i += 25) {
      const chunk = Array.from({ length: Math.min(25, size - i) }, (_, j) => publishedItem(i + j));
      writes.push(doc.send(new BatchWriteCommand({ RequestItems: { [tables.outbox]: chunk.map((Item) => ({ PutRequest: { Item } })) } })));
      if (writes.length >= 16) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    written = size;
    await commitOrders(10);
    const started = performance.now();
    const report = await sweeper.sweep({ graceSeconds: 0, maxItems: 1000 });
    curve.push({ published: size, pending: 10, itemsRead: report.itemsRead, ms: performance.now() - started });
  }
  await commitOrders(1000);
  const started = performance.now();
  const report = await sweeper.sweep({ graceSeconds: 0, maxItems: 1000 });
  const republish1000Ms = performance.now() - started;
  if (report.republished !== 1000) throw new Error(`republished ${report.republished} of 1000`);
  await bus.close();
  eventBridge.destroy();
  client.destroy();
  return { curve, republish1000Ms };
};

export const reportReconciler = (f: ReconcilerFigures): string => {
  const [base] = f.curve;
  const widths = [10, 9, 12, 7, 9];
  let out = '\nReconciler: items read per run as the outbox grows (10 pending each time)\n\n';
  out += row(['published', 'pending', 'items read', 'x 1k', 'run ms'], widths).replace(/^published/, ' published');
  for (const point of f.curve) {
    out += row([String(point.published).padStart(10), point.pending, point.itemsRead, fixed(point.itemsRead / (base?.itemsRead ?? 1)), point.ms.toFixed(0)], widths);
  }
  return `${out}\na run that republishes 1,000 items: ${(f.republish1000Ms / 1000).toFixed(2)} s (publish + mark, local EventBridge)\n`;
};

import { performance } from 'node:perf_hooks';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { placeOrder } from '../lambdas/domain/order';
import { benchTables } from './setup';

export interface LatencySummary {
  readonly name: string;
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

const summarise = (name: string, samples: number[]): LatencySummary => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { name, samples: sorted.length, p50: at(0.5), p99: at(0.99), mean: sorted.reduce((s, v) => s + v, 0) / sorted.length };
};

const newOrder = () =>
  placeOrder({
    customerId: 'c-bench',
    currency: 'EUR',
    items: [
      { sku: 'A-1', quantity: 2, unitPrice: 1250 },
      { sku: 'B-2', quantity: 1, unitPrice: 999 },
    ],
  });

/**
 * Latency of the outbox write (order + outbox item [+ idempotency record] in one
 * TransactWriteItems) against the baseline a service without an outbox pays: one PutItem of
 * the order alone. The three are interleaved round by round so drift in the engine hits all
 * equally; only the ratios are meant to travel to AWS, not the absolute figures.
 */
export const benchWritePath = async (endpoint: string, rounds: number, warmup: number): Promise<LatencySummary[]> => {
  const { client, doc, tables, repository } = await benchTables(endpoint, 'bench');
  const ordersTableName = tables.orders;

  const variants: [string, (i: number) => Promise<unknown>][] = [
    [
      'baseline: PutItem (order only)',
      async () => doc.send(new PutCommand({ TableName: ordersTableName, Item: newOrder().order, ConditionExpression: 'attribute_not_exists(id)' })),
    ],
    ['outbox write (order + event)', async () => repository.commit(newOrder())],
    [
      'outbox write + idempotency key',
      async (i) => repository.commit(newOrder(), { owner: 'bench', key: `bench-${Date.now()}-${i}`, fingerprint: 'f', created: true }),
    ],
  ];
  const samples = variants.map((): number[] => []);
  for (let round = 0; round < warmup + rounds; round++) {
    for (const [index, [, run]] of variants.entries()) {
      const started = performance.now();
      await run(round);
      const elapsed = performance.now() - started;
      if (round >= warmup) samples[index]?.push(elapsed);
    }
  }
  client.destroy();
  return variants.map(([name], index) => summarise(name, samples[index] ?? []));
};

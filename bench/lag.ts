import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-client';
import { startOrdersStack } from '../local/apps/orders-stack';
import type { LocalStack } from '../local/stack';
import { ordersTablesOf } from '../local/apps/orders';
import { cdfChart } from './charts';
import { type Percentiles, epochMs, fixed, percentiles, row } from './stats';

const tenth = (value: number): number => Math.round(value * 10) / 10;

export interface Lags {
  /** Command accepted (the client has its 201) -> the event accepted by the bus, ms. */
  readonly bus: number[];
  /** Command accepted -> the projector writes the order into the read model (`projectedAt`), ms. */
  readonly readModel: number[];
}

/**
 * Follows orders from their 201 through the bus to the read model on an in-process local stack:
 * the bus's accepted events are watched every millisecond, and the read model's `projectedAt`
 * (stamped by the projector as it writes) is read once everything has settled.
 */
export class LagTracker {
  private readonly accepted = new Map<string, number>();
  private readonly onBus = new Map<string, number>();
  private cursor = 0;
  private readonly watcher: NodeJS.Timeout;

  public constructor(private readonly stack: LocalStack) {
    this.watcher = setInterval(() => this.scan(), 1);
  }

  public accept(orderId: string, at: number = epochMs()): void {
    this.accepted.set(orderId, at);
  }

  public get count(): number {
    return this.accepted.size;
  }

  private scan(): void {
    const now = epochMs();
    const { events } = this.stack;
    for (; this.cursor < events.length; this.cursor++) {
      const detail = events[this.cursor]?.event.detail as { aggregateId?: string; version?: number } | undefined;
      if (detail?.aggregateId !== undefined && detail.version === 1 && !this.onBus.has(detail.aggregateId)) {
        this.onBus.set(detail.aggregateId, now);
      }
    }
  }

  /** Waits until every accepted order is on the bus and in the read model; the lags then. */
  public async settle(timeoutMs = 120_000): Promise<Lags> {
    const client = new DynamoDBClient({ endpoint: this.stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const doc = createDocumentClient(client);
    const table = ordersTablesOf(this.stack.template, this.stack.tables).readModel;
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        this.scan();
        const projected = new Map<string, number>();
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await doc.send(new ScanCommand({ TableName: table, ProjectionExpression: 'id, projectedAt', ExclusiveStartKey }));
          for (const item of page.Items ?? []) projected.set(item.id as string, Date.parse(item.projectedAt as string));
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey !== undefined);
        const missing = [...this.accepted.keys()].filter((id) => !this.onBus.has(id) || !projected.has(id));
        if (missing.length === 0) {
          const ids = [...this.accepted.keys()];
          const since = (id: string, at: number | undefined): number => (at ?? Number.NaN) - (this.accepted.get(id) ?? Number.NaN);
          return { bus: ids.map((id) => since(id, this.onBus.get(id))), readModel: ids.map((id) => since(id, projected.get(id))) };
        }
        if (Date.now() > deadline) throw new Error(`${missing.length} of ${this.accepted.size} orders never reached the bus and the read model`);
        await sleep(200);
      }
    } finally {
      client.destroy();
    }
  }

  public stop(): void {
    clearInterval(this.watcher);
  }
}

export interface LagFigures {
  readonly orders: number;
  readonly ratePerSecond: number;
  readonly pollIntervalMs: number;
  readonly bus: Percentiles;
  readonly readModel: Percentiles;
  /** Every order's lags, ms to 0.1, in the order the orders were sent (the chart's data). */
  readonly samples: Lags;
}

/** A staff token from the stack's own `POST /_local/token`, as a user of `npm start` gets one. */
export const localToken = async (url: string, sub: string): Promise<string> => {
  const response = await fetch(`${url}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, staff: true, expiresInSeconds: 3600 }),
  });
  if (response.status !== 200) throw new Error(`POST /_local/token answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
};

export const orderBody = (i: number): string =>
  JSON.stringify({ customerId: `c-${i % 100}`, currency: 'EUR', items: [{ sku: 'A-1', quantity: 1 + (i % 3), unitPrice: 1250 }] });

/**
 * End-to-end lag on the local stack at a steady, open-loop rate (orders sent on a fixed
 * schedule, whether or not earlier ones have answered), each with its own Idempotency-Key:
 * command accepted -> event on the bus -> read model updated. The stream poller waits 250 ms
 * while a stream is idle (about Lambda's base rate), so that wait is part of every lag here.
 */
export const benchLag = async (orders: number, ratePerSecond: number): Promise<LagFigures> => {
  const pollIntervalMs = 250;
  const stack = await startOrdersStack({ port: 0, log: () => undefined, pollIntervalMs });
  const tracker = new LagTracker(stack);
  try {
    const authorization = `Bearer ${await localToken(stack.url, 'bench-lag')}`;
    const runId = Date.now().toString(36);
    // One order first, untimed, so every function has started before the schedule begins.
    const warm = await fetch(`${stack.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: orderBody(0) });
    await warm.arrayBuffer();
    const started = epochMs();
    const sends: Promise<void>[] = [];
    const failures: string[] = [];
    for (let i = 0; i < orders; i++) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - epochMs();
      if (wait > 0) await sleep(wait);
      const send = async (): Promise<void> => {
        const response = await fetch(`${stack.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization, 'idempotency-key': `lag-${runId}-${i}` },
          body: orderBody(i),
        });
        const at = epochMs();
        const text = await response.text();
        if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}: ${text}`);
        tracker.accept((JSON.parse(text) as { id: string }).id, at);
      };
      sends.push(send().catch((error: unknown) => void failures.push(error instanceof Error ? error.message : String(error))));
    }
    await Promise.all(sends);
    if (failures.length > 0) throw new Error(`${failures.length} of ${orders} orders failed, first: ${failures[0]}`);
    const lags = await tracker.settle();
    const figures: LagFigures = {
      orders,
      ratePerSecond,
      pollIntervalMs,
      bus: percentiles(lags.bus),
      readModel: percentiles(lags.readModel),
      samples: { bus: lags.bus.map(tenth), readModel: lags.readModel.map(tenth) },
    };
    return figures;
  } finally {
    tracker.stop();
    await stack.close();
  }
};

export const lagTable = (title: string, lags: { readonly bus: Percentiles; readonly readModel: Percentiles }): string => {
  const widths = [46, 9, 9, 9, 9];
  return (
    (title === '' ? '' : `${title}\n`) +
    row(['', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], widths) +
    row(['accepted (201) -> event on the bus', fixed(lags.bus.p50, 1), fixed(lags.bus.p90, 1), fixed(lags.bus.p99, 1), fixed(lags.bus.max, 1)], widths) +
    row(['accepted (201) -> read model updated', fixed(lags.readModel.p50, 1), fixed(lags.readModel.p90, 1), fixed(lags.readModel.p99, 1), fixed(lags.readModel.max, 1)], widths)
  );
};

export const reportLag = (f: LagFigures): string =>
  `\nEnd-to-end lag on the local stack: ${f.orders} keyed orders at ${f.ratePerSecond}/s (open loop), stream poll ${f.pollIntervalMs} ms when idle\n\n` +
  lagTable('', f) +
  `\n(read model updated = the projector's projectedAt; the ${f.pollIntervalMs} ms idle poll of the stream dominates at low rates, as Lambda's does)\n`;

export const lagChart = (f: LagFigures): string =>
  cdfChart({
    title: 'End-to-end lag: command accepted -> bus -> read model (local stack)',
    subtitle: `${f.orders} keyed POST /orders at ${f.ratePerSecond}/s; p50 ${fixed(f.bus.p50, 0)} / ${fixed(f.readModel.p50, 0)} ms, p99 ${fixed(f.bus.p99, 0)} / ${fixed(f.readModel.p99, 0)} ms (bus / read model)`,
    xLabel: 'milliseconds after the 201 (log scale)',
    series: [
      { name: 'event on the bus', values: f.samples.bus },
      { name: 'read model updated', values: f.samples.readModel },
    ],
  });

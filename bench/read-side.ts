import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-client';
import { startOrdersStack } from '../local/apps/orders-stack';
import { ordersTablesOf } from '../local/apps/orders';
import { localToken, orderBody } from './lag';
import { type Percentiles, fixed, percentiles, row } from './stats';

export interface ReadSideFigures {
  readonly orders: number;
  readonly aheadReads: number;
  readonly projectionLagMs: Percentiles;
  /** Share of "write, then read my version" reads the write model answered. */
  readonly fallbackShare: number;
  /** Plain reads of a projected order at a quiet moment (the baseline of `VERSION_AHEAD`). */
  readonly plainReadMs: Percentiles;
  /** Plain reads of a projected order right after each write, beside the min-version read (its baseline). */
  readonly plainBusyReadMs: Percentiles;
  readonly minVersionReadMs: Percentiles;
  readonly versionAheadReadMs: Percentiles;
  readonly ratios: {
    readonly minVersion: { readonly p50: number; readonly p99: number; readonly target: number };
    readonly versionAhead: { readonly p50: number; readonly p99: number; readonly target: number };
  };
}

/**
 * `GET /orders/{id}` over HTTP on the local stack, with the function and settings `npm start`
 * deploys, whatever they do: a read with `X-Min-Version` right after the write (the read model
 * is then usually behind), a plain read of a projected order (the baseline), and a read that
 * asks for a version above the order's (`412 VERSION_AHEAD`); plus the projection lag
 * (`projectedAt - updatedAt`) and the share of min-version reads the write model answered.
 */
export const benchReadSide = async (orders: number, aheadReads: number): Promise<ReadSideFigures> => {
  const stack = await startOrdersStack({ port: 0, log: () => undefined });
  const minVersion: number[] = [];
  const plain: number[] = [];
  const plainBusy: number[] = [];
  const ahead: number[] = [];
  let fallbacks = 0;
  const written: { id: string; version: number }[] = [];
  try {
    const authorization = `Bearer ${await localToken(stack.url, 'bench-read')}`;
    const read = async (id: string, headers: Record<string, string>, expect: number): Promise<{ source: string | null; ms: number }> => {
      const started = performance.now();
      const response = await fetch(`${stack.url}/orders/${id}`, { headers: { authorization, ...headers } });
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (response.status !== expect) throw new Error(`GET /orders/${id} answered ${response.status}, not ${expect}`);
      return { source: response.headers.get('x-read-source'), ms };
    };
    const timed = async (into: number[], id: string, headers: Record<string, string>, expect: number): Promise<string | null> => {
      const { source, ms } = await read(id, headers, expect);
      into.push(ms);
      return source;
    };
    // One untimed write and read first, so both functions have started; once projected, that
    // order is the plain read taken right after each later write, beside its min-version read
    // (in turns, first one then the other), so both meet the same busy moment of the stack.
    let projected = '';
    for (let i = 0; i <= orders; i++) {
      const created = await fetch(`${stack.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: orderBody(i) });
      const order = (await created.json()) as { id: string; version: number };
      if (i === 0) {
        await read(order.id, { 'x-min-version': String(order.version) }, 200);
        await sleep(1500);
        await read(order.id, {}, 200);
        projected = order.id;
        continue;
      }
      written.push(order);
      if (i % 2 === 0) await timed(plainBusy, projected, {}, 200);
      const source = await timed(minVersion, order.id, { 'x-min-version': String(order.version) }, 200);
      if (i % 2 === 1) await timed(plainBusy, projected, {}, 200);
      if (source === 'write-model') fallbacks += 1;
    }
    // Let the projector catch up, then plain reads (the baseline) interleaved with VERSION_AHEAD ones.
    await sleep(1500);
    for (const [index, order] of written.entries()) {
      await timed(plain, order.id, {}, 200);
      if (index < aheadReads) await timed(ahead, order.id, { 'x-min-version': String(order.version + 1) }, 412);
    }
    const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const tables = ordersTablesOf(stack.template, stack.tables);
    const items = (await createDocumentClient(client).send(new ScanCommand({ TableName: tables.readModel }))).Items ?? [];
    client.destroy();
    const lags = items.map((item) => Date.parse(item.projectedAt as string) - Date.parse(item.updatedAt as string));
    const plainMs = percentiles(plain);
    const plainBusyMs = percentiles(plainBusy);
    const minVersionMs = percentiles(minVersion);
    const aheadMs = percentiles(ahead);
    return {
      orders,
      aheadReads: ahead.length,
      projectionLagMs: percentiles(lags),
      fallbackShare: fallbacks / orders,
      plainReadMs: plainMs,
      plainBusyReadMs: plainBusyMs,
      minVersionReadMs: minVersionMs,
      versionAheadReadMs: aheadMs,
      ratios: {
        minVersion: { p50: minVersionMs.p50 / plainBusyMs.p50, p99: minVersionMs.p99 / plainBusyMs.p99, target: 1.5 },
        versionAhead: { p50: aheadMs.p50 / plainMs.p50, p99: aheadMs.p99 / plainMs.p99, target: 1.5 },
      },
    };
  } finally {
    await stack.close();
  }
};

export const reportReadSide = (f: ReadSideFigures): string => {
  const widths = [46, 9, 9, 9, 8, 8];
  const line = (name: string, p: Percentiles, ratio?: { p50: number; p99: number; target: number }): string =>
    row([name, fixed(p.p50, 1), fixed(p.p90, 1), fixed(p.p99, 1), ratio === undefined ? '1.00' : fixed(ratio.p50), ratio === undefined ? '1.00' : fixed(ratio.p99)], widths).trimEnd() +
    (ratio === undefined ? '' : `   target p50 <= ${ratio.target.toFixed(2)}: ${ratio.p50 <= ratio.target ? 'met' : 'NOT met'}`) +
    '\n';
  return (
    `\nRead side on the local stack (GET /orders/{id} over HTTP, ${f.orders} orders, ${f.aheadReads} VERSION_AHEAD reads)\n\n` +
    row(['read', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 x', 'p99 x'], widths) +
    line('plain read, right after a write (baseline)', f.plainBusyReadMs) +
    line('X-Min-Version read right after the write', f.minVersionReadMs, f.ratios.minVersion) +
    line('plain read, stack quiet (baseline)', f.plainReadMs) +
    line('X-Min-Version above the order (412), quiet', f.versionAheadReadMs, f.ratios.versionAhead) +
    `\nmin-version reads answered by the write model: ${(f.fallbackShare * 100).toFixed(1)}%\n` +
    `projection lag (projectedAt - updatedAt): p50 ${fixed(f.projectionLagMs.p50, 1)} ms, p99 ${fixed(f.projectionLagMs.p99, 1)} ms\n`
  );
};

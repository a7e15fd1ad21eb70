import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamodb-client';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalStack } from '../local/stack';
import { ordersTablesOf } from '../local/template';

const percentile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

export interface ReadSideFigures {
  readonly orders: number;
  readonly projectionLagMs: { p50: number; p99: number };
  readonly fallbackShare: number;
  readonly minVersionReadMs: { p50: number; p99: number };
  readonly plainReadMs: { p50: number; p99: number };
}

/**
 * On the local stack with the deployed settings (no min-version wait): projection lag
 * (`projectedAt` minus `occurredAt`), the share of "write, then read my version" reads the write
 * model answers, and the latency of that min-version read against a plain read of a projected
 * order, both measured in the same run.
 */
export const benchReadSide = async (orders: number): Promise<ReadSideFigures> => {
  const stack = await startLocalStack({ port: 0, log: () => undefined });
  const minVersion: number[] = [];
  const plain: number[] = [];
  let fallbacks = 0;
  const ids: string[] = [];
  // Orders for many customers: a staff member's token, as every route needs one.
  const authorization = `Bearer ${await stack.issuer.mintToken({ sub: 'bench', staff: true, expiresInSeconds: 3600 })}`;
  try {
    for (let i = 0; i < orders; i++) {
      const created = await fetch(`${stack.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ customerId: `c-${i % 10}`, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 100 }] }),
      });
      const { id, version } = (await created.json()) as { id: string; version: number };
      ids.push(id);
      const started = performance.now();
      const read = await fetch(`${stack.url}/orders/${id}`, { headers: { 'x-min-version': String(version), authorization } });
      await read.arrayBuffer();
      minVersion.push(performance.now() - started);
      if (read.headers.get('x-read-source') === 'write-model') fallbacks += 1;
    }
    await sleep(1500);
    for (const id of ids) {
      const started = performance.now();
      await (await fetch(`${stack.url}/orders/${id}`, { headers: { authorization } })).arrayBuffer();
      plain.push(performance.now() - started);
    }
    const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const tables = ordersTablesOf(stack.template, stack.tables);
    const items = (await createDocumentClient(client).send(new ScanCommand({ TableName: tables.readModel }))).Items ?? [];
    client.destroy();
    const lags = items.map((item) => Date.parse(item.projectedAt as string) - Date.parse(item.updatedAt as string));
    return {
      orders,
      projectionLagMs: { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99) },
      fallbackShare: fallbacks / orders,
      minVersionReadMs: { p50: percentile(minVersion, 0.5), p99: percentile(minVersion, 0.99) },
      plainReadMs: { p50: percentile(plain, 0.5), p99: percentile(plain, 0.99) },
    };
  } finally {
    await stack.close();
  }
};

import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { orderFromItem } from '../../lambdas/adapters/dynamodb-order-repository';
import type { Order } from '../../lambdas/domain/order';
import { scanAll } from '../support/dynamodb';
import { type HttpResult, STAFF, useE2e } from '../support/e2e';

/**
 * The read side on the local stack: events flow relay -> bus -> rule -> projector -> read model.
 * The stack as deployed by default: no wait for the read model, so a read with `X-Min-Version`
 * is answered by the write model at once (the opt-in wait is tested on DynamoDB Local).
 */
const ctx = useE2e({ caller: STAFF });

const codeOf = (result: HttpResult): string | undefined => (result.body as { error?: { code?: string } }).error?.code;


/** `clients` concurrent clients, each placing orders and walking them through their life. */
const readYourWrites = async (iterations: number, clients: number): Promise<{ stale: number; sources: Record<string, number> }> => {
  const sources: Record<string, number> = {};
  let stale = 0;
  const steps = ['confirm', 'ship'] as const;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let done = 0; done < iterations / clients; ) {
        const placed = await ctx.placeOrder({ customerId: `c-ryw-${client}` });
        let written = placed.version;
        for (const step of [undefined, ...steps]) {
          if (step !== undefined) {
            written = ((await ctx.post(`/orders/${placed.id}/${step}`)).body as Order).version;
          }
          const read = await ctx.get(`/orders/${placed.id}`, { 'x-min-version': String(written) });
          const source = read.headers.get('x-read-source') ?? 'none';
          sources[source] = (sources[source] ?? 0) + 1;
          if (read.status !== 200 || (read.body as Order).version < written) stale += 1;
          done += 1;
        }
      }
    }),
  );
  return { stale, sources };
};

describe('read-your-writes', () => {
  it('never answers older than the version the client wrote, with the projector running, from the write model', async () => {
    const { stale, sources } = await readYourWrites(1000, 20);

    expect(stale).toBe(0);
    expect(sources).toEqual({ 'write-model': expect.any(Number) });
    expect(sources['write-model']).toBeGreaterThanOrEqual(1000);
  }, 180_000);

  it('never answers older than the version the client wrote with the relay paused, from the write model', async () => {
    await ctx.setFaults({ relayPaused: true });
    try {
      const { stale, sources } = await readYourWrites(1000, 20);

      expect(stale).toBe(0);
      expect(sources).toEqual({ 'write-model': expect.any(Number) });
    } finally {
      await ctx.setFaults({ relayPaused: false });
    }
  }, 180_000);

  it('refuses a minimum version the order has not reached with 412 VERSION_AHEAD', async () => {
    const placed = await ctx.placeOrder();

    const result = await ctx.get(`/orders/${placed.id}`, { 'x-min-version': '2' });

    expect(result.status).toBe(412);
    expect(codeOf(result)).toBe('VERSION_AHEAD');
  });
});

describe('GET /orders?customerId=…', () => {
  it("lists a customer's orders newest first, a page at a time", async () => {
    const placed: Order[] = [];
    for (let i = 0; i < 12; i++) {
      placed.push(await ctx.placeOrder({ customerId: 'c-list' }));
      await sleep(2);
    }
    const expected = placed.map((order) => order.id).reverse();
    for (let i = 0; i < 100; i++) {
      const all = (await ctx.get('/orders?customerId=c-list&limit=100')).body as { items: Order[] };
      if (all.items.length === 12) break;
      await sleep(100);
    }

    const first = await ctx.get('/orders?customerId=c-list&limit=5');
    const firstPage = first.body as { items: Order[]; nextCursor?: string };
    const second = (await ctx.get(`/orders?customerId=c-list&limit=5&cursor=${firstPage.nextCursor}`)).body as { items: Order[]; nextCursor?: string };
    const third = (await ctx.get(`/orders?customerId=c-list&limit=5&cursor=${second.nextCursor}`)).body as { items: Order[]; nextCursor?: string };

    expect(first.status).toBe(200);
    expect([...firstPage.items, ...second.items, ...third.items].map((order) => order.id)).toEqual(expected);
    expect(third.items).toHaveLength(2);
    expect(firstPage.items[0]).toEqual(placed.at(-1));
  });

  it.each([
    ['no customerId', '/orders', 'query.customerId'],
    ['a limit of 0', '/orders?customerId=c&limit=0', 'query.limit'],
    ['a limit over 100', '/orders?customerId=c&limit=101', 'query.limit'],
    ['an unknown parameter', '/orders?customerId=c&sort=asc', 'query.sort'],
    ['a cursor it did not issue', '/orders?customerId=c&cursor=bm9wZQ', 'query.cursor'],
  ])('refuses %s with 400 and the field in details', async (_name, url, field) => {
    const result = await ctx.get(url);

    expect(result.status).toBe(400);
    expect(codeOf(result)).toBe('VALIDATION_FAILED');
    expect((result.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain(field);
  });

  it("refuses another customer's cursor", async () => {
    await ctx.placeOrder({ customerId: 'c-cursor' });
    await ctx.placeOrder({ customerId: 'c-cursor' });
    let page: { nextCursor?: string } = {};
    for (let i = 0; i < 100 && page.nextCursor === undefined; i++) {
      page = (await ctx.get('/orders?customerId=c-cursor&limit=1')).body as { nextCursor?: string };
      if (page.nextCursor === undefined) await sleep(100);
    }

    const result = await ctx.get(`/orders?customerId=someone-else&cursor=${page.nextCursor}`);

    expect(result.status).toBe(400);
  });
});

describe('convergence', () => {
  it("brings every order's read model to its write model", async () => {
    const converged = async (): Promise<{ behind: number; total: number }> => {
      const orders = (await scanAll(ctx.doc, ctx.tables.orders)).map(orderFromItem);
      const projected = new Map(
        (await scanAll(ctx.doc, ctx.tables.readModel)).map((item) => {
          const { lastProcessedVersion: _v, projectedAt: _p, ...order } = item;
          return [order.id as string, order];
        }),
      );
      const behind = orders.filter((order) => JSON.stringify(sorted(projected.get(order.id))) !== JSON.stringify(sorted(order))).length;
      return { behind, total: orders.length };
    };
    let state = await converged();
    for (let i = 0; i < 200 && state.behind > 0; i++) {
      await sleep(100);
      state = await converged();
    }

    expect(state.total).toBeGreaterThan(300);
    expect(state.behind).toBe(0);
  }, 60_000);
});

const sorted = (value: unknown): unknown =>
  value === null || typeof value !== 'object'
    ? value
    : Array.isArray(value)
      ? value.map(sorted)
      : Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)]));

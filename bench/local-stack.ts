import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleCacheDir } from '../lib/esbuild-bundling';
import { PROJECT_ROOT } from '../lib/service-function';
import { startOrdersStack, synthesizeOrdersApp } from '../local/apps/orders-stack';
import { percentile } from './stats';

export interface LocalStackFigures {
  /** A fresh synth with no bundle cache: every function bundled (a fresh clone's first start). */
  readonly firstStartMs: number;
  /** A fresh synth, bundles from `.cache/bundles` (after `cdk.out` is removed or only lib/ changed). */
  readonly coldStartMs: number;
  readonly warmStartMs: number;
  readonly postMs: { p50: number; p99: number };
  readonly eventMs: { p50: number; p99: number };
  readonly orders: number;
}


/** Start and stop the whole local stack (in memory), timing until `/_local/health` answers 200. */
const timeStartup = async (force: boolean, emptyBundleCache = false): Promise<number> => {
  if (emptyBundleCache) rmSync(bundleCacheDir(PROJECT_ROOT), { recursive: true, force: true });
  const started = performance.now();
  const assembly = await synthesizeOrdersApp({ force });
  const stack = await startOrdersStack({ port: 0, assembly, log: () => undefined });
  try {
    for (;;) {
      const health = await fetch(`${stack.url}/_local/health`).catch(() => undefined);
      if (health?.status === 200) return performance.now() - started;
      await sleep(10);
    }
  } finally {
    await stack.close();
  }
};

/**
 * Start-up to healthy: first (a fresh `cdk synth`, no bundle cache), cold (a fresh `cdk synth`,
 * bundles cached) and warm (cdk.out reused); and the latency from
 * `POST /orders` returning to its `OrderPlaced` being accepted by the local bus, with the poll
 * interval `npm start` uses, against the `POST` round trip itself as the baseline.
 */
export const benchLocalStack = async (orders: number): Promise<LocalStackFigures> => {
  const firstStartMs = await timeStartup(true, true);
  const coldStartMs = await timeStartup(true);
  const warmStartMs = await timeStartup(false);

  const stack = await startOrdersStack({ port: 0, log: () => undefined });
  const seen = new Map<string, number>();
  const watcher = setInterval(() => {
    for (const accepted of stack.events) {
      const id = (accepted.event.detail as { aggregateId?: string }).aggregateId;
      if (id !== undefined && !seen.has(id)) seen.set(id, performance.now());
    }
  }, 1);
  const post: number[] = [];
  const event: number[] = [];
  // Orders for many customers: a staff member's token, as every route needs one.
  const authorization = `Bearer ${await stack.issuer.mintToken({ sub: 'bench', staff: true, expiresInSeconds: 3600 })}`;
  try {
    for (let i = 0; i < orders; i++) {
      const sent = performance.now();
      const response = await fetch(`${stack.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ customerId: `c-${i}`, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 100 }] }),
      });
      const returned = performance.now();
      const { id } = (await response.json()) as { id: string };
      post.push(returned - sent);
      while (!seen.has(id)) await sleep(1);
      event.push((seen.get(id) ?? returned) - returned);
    }
  } finally {
    clearInterval(watcher);
    await stack.close();
  }
  return {
    firstStartMs,
    coldStartMs,
    warmStartMs,
    postMs: { p50: percentile(post, 0.5), p99: percentile(post, 0.99) },
    eventMs: { p50: percentile(event, 0.5), p99: percentile(event, 0.99) },
    orders,
  };
};

export const reportLocalStack = (figures: LocalStackFigures): string => {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  return (
    `\nLocal stack (npm start, in memory)\n\n` +
    `start-up to healthy, first (no bundle cache)  ${(figures.firstStartMs / 1000).toFixed(2)} s\n` +
    `start-up to healthy, cold (bundles cached)    ${(figures.coldStartMs / 1000).toFixed(2)} s  (${(figures.firstStartMs / figures.coldStartMs).toFixed(1)}x faster)\n` +
    `start-up to healthy, warm (cdk.out reused)    ${(figures.warmStartMs / 1000).toFixed(2)} s  (${(figures.coldStartMs / figures.warmStartMs).toFixed(1)}x faster)\n\n` +
    `${figures.orders} orders, one at a time${' '.repeat(18)}p50        p99\n` +
    `POST /orders round trip (baseline)            ${ms(figures.postMs.p50).padEnd(11)}${ms(figures.postMs.p99)}\n` +
    `POST returned -> OrderPlaced on the bus        ${ms(figures.eventMs.p50).padEnd(11)}${ms(figures.eventMs.p99)}` +
    `  (${(figures.eventMs.p50 / figures.postMs.p50).toFixed(1)}x / ${(figures.eventMs.p99 / figures.postMs.p99).toFixed(1)}x the round trip)\n` +
    "\n(the poller waits 250 ms while the stream is idle, about Lambda's base rate of 4 polls a second, and polls again\n" +
    " at once while records flow; under steady traffic the relay's own marks keep it flowing, hence the low p50)\n"
  );
};

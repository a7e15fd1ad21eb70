import autocannon from 'autocannon';
import { startOrdersStack } from '../local/apps/orders-stack';
import { LagTracker, lagTable, localToken, orderBody } from './lag';
import { type Percentiles, epochMs, fixed, percentiles, row } from './stats';

export interface ApiLoadRun {
  readonly name: string;
  readonly keyed: boolean;
  readonly connections: number;
  /** Measured seconds, summed over the run's two halves. */
  readonly durationSeconds: number;
  readonly created: number;
  readonly ordersPerSecond: number;
  /** Request sent -> response complete, per 201, ms. */
  readonly latency: Percentiles;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Lag of the run's orders, from their 201 to the bus and to the read model, ms. */
  readonly lag: { readonly bus: Percentiles; readonly readModel: Percentiles };
}

export interface ApiLoadFigures {
  readonly runs: ApiLoadRun[];
}

const WARM_UP_SECONDS = 2;

interface Half {
  readonly seconds: number;
  readonly latencies: number[];
  readonly bus: number[];
  readonly readModel: number[];
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * `POST /orders` over HTTP on the local stack (authorizer, API emulation, function, DynamoDB
 * Local) driven by autocannon at a fixed number of connections, each request with its own body
 * and, keyed, its own Idempotency-Key; then how far behind the bus and the read model were for
 * that run's orders. Keyed and unkeyed each run twice for half the time, in the order keyed,
 * unkeyed, unkeyed, keyed: run back to back, whichever ran first came out slower.
 */
export const benchApiLoad = async (connections: number, durationSeconds: number): Promise<ApiLoadFigures> => {
  const stack = await startOrdersStack({ port: 0, log: () => undefined });
  try {
    const token = await localToken(stack.url, 'bench-load');
    const runId = Date.now().toString(36);
    let sent = 0;

    /** One autocannon run; once its orders have reached the bus and the read model, their lags. */
    const load = async (keyed: boolean, seconds: number): Promise<Half> => {
      const tracker = new LagTracker(stack);
      const latencies: number[] = [];
      let failed: string | undefined;
      try {
        const result = await autocannon({
          url: `${stack.url}/orders`,
          connections,
          duration: seconds,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          requests: [
            {
              // One request in flight per connection: the connection's context carries its send time.
              setupRequest: (request, context) => {
                sent += 1;
                Object.assign(context, { sentAt: epochMs() });
                const headers = keyed ? { ...request.headers, 'idempotency-key': `load-${runId}-${sent}` } : request.headers;
                return { ...request, headers, body: orderBody(sent) };
              },
              onResponse: (status, body, context) => {
                const at = epochMs();
                if (status !== 201) {
                  failed ??= `${status} ${body}`;
                  return;
                }
                latencies.push(at - (context as { sentAt: number }).sentAt);
                tracker.accept((JSON.parse(body) as { id: string }).id, at);
              },
            },
          ],
        });
        if (failed !== undefined) process.stderr.write(`load run: a request failed: ${failed}\n`);
        const lags = await tracker.settle();
        return { seconds: result.duration, latencies, ...lags, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts };
      } finally {
        tracker.stop();
      }
    };

    // Untimed runs of both kinds first, so the measured runs meet warm functions and a warm JIT.
    await load(true, WARM_UP_SECONDS);
    await load(false, WARM_UP_SECONDS);
    const halves = new Map<boolean, Half[]>([[true, []], [false, []]]);
    for (const keyed of [true, false, false, true]) {
      halves.get(keyed)?.push(await load(keyed, durationSeconds / 2));
    }
    return {
      runs: [true, false].map((keyed): ApiLoadRun => {
        const parts = halves.get(keyed) ?? [];
        const all = (pick: (half: Half) => readonly number[]): number[] => parts.flatMap((half) => [...pick(half)]);
        const sum = (pick: (half: Half) => number): number => parts.reduce((total, half) => total + pick(half), 0);
        const created = all((half) => half.latencies).length;
        return {
          name: keyed ? 'POST /orders, Idempotency-Key' : 'POST /orders, no key',
          keyed,
          connections,
          durationSeconds: sum((half) => half.seconds),
          created,
          ordersPerSecond: created / sum((half) => half.seconds),
          latency: percentiles(all((half) => half.latencies)),
          non2xx: sum((half) => half.non2xx),
          errors: sum((half) => half.errors),
          timeouts: sum((half) => half.timeouts),
          lag: { bus: percentiles(all((half) => half.bus)), readModel: percentiles(all((half) => half.readModel)) },
        };
      }),
    };
  } finally {
    await stack.close();
  }
};

export const reportApiLoad = (f: ApiLoadFigures): string => {
  const [first] = f.runs;
  let out =
    `\nAPI load on the local stack (autocannon, ${first?.connections ?? '?'} connections, ${fixed(first?.durationSeconds ?? NaN, 1)} s per kind ` +
    'in two halves, keyed-unkeyed-unkeyed-keyed, staff JWT)\n\n';
  const widths = [32, 10, 9, 9, 9, 9, 8];
  out += row(['run', 'orders/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx'], widths);
  for (const r of f.runs) {
    out += row([r.name, fixed(r.ordersPerSecond, 0), fixed(r.latency.p50, 1), fixed(r.latency.p90, 1), fixed(r.latency.p99, 1), fixed(r.latency.max, 1), r.non2xx + r.errors], widths);
  }
  for (const r of f.runs) {
    out += `\n${lagTable(`lag of the ${r.created} orders of "${r.name}", under that load`, r.lag)}`;
  }
  out += '\n(one machine runs the load generator, the API emulation, the functions and DynamoDB Local: orders/s is this machine\'s, not Lambda\'s)\n';
  return out;
};

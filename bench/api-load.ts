import autocannon from 'autocannon';
import { startLocalStack } from '../local/stack';
import { LagTracker, type Lags, lagTable, localToken, orderBody } from './lag';
import { type Percentiles, epochMs, fixed, percentiles, row } from './stats';

export interface ApiLoadRun {
  readonly name: string;
  readonly keyed: boolean;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly created: number;
  readonly ordersPerSecond: number;
  /** autocannon's latency of the 2xx responses, ms (whole milliseconds). */
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Lag of the run's orders, from their 201 to the bus and to the read model, ms. */
  readonly lag: { readonly bus: Percentiles; readonly readModel: Percentiles };
}

export interface ApiLoadFigures {
  readonly runs: ApiLoadRun[];
}

/**
 * `POST /orders` over HTTP on the local stack (authorizer, API emulation, function, DynamoDB
 * Local) with autocannon at a fixed number of connections for a fixed time, each request with
 * its own body and, keyed, its own Idempotency-Key; then how far behind the bus and the read
 * model were for the orders of that run.
 */
export const benchApiLoad = async (connections: number, durationSeconds: number): Promise<ApiLoadFigures> => {
  const stack = await startLocalStack({ port: 0, log: () => undefined });
  const runs: ApiLoadRun[] = [];
  try {
    const token = await localToken(stack.url, 'bench-load');
    const runId = Date.now().toString(36);
    const load = async (keyed: boolean, seconds: number, tracker: LagTracker): Promise<autocannon.Result> => {
      let sent = 0;
      let failed: string | undefined;
      const result = await autocannon({
        url: `${stack.url}/orders`,
        connections,
        duration: seconds,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        requests: [
          {
            setupRequest: (request) => {
              sent += 1;
              const headers = keyed ? { ...request.headers, 'idempotency-key': `load-${runId}-${keyed}-${sent}` } : request.headers;
              return { ...request, headers, body: orderBody(sent) };
            },
            onResponse: (status, body) => {
              if (status === 201) tracker.accept((JSON.parse(body) as { id: string }).id, epochMs());
              else failed ??= `${status} ${body}`;
            },
          },
        ],
      });
      if (failed !== undefined) process.stderr.write(`load run: a request failed: ${failed}\n`);
      return result;
    };
    /** A load run and, once its orders have reached the bus and the read model, their lags. */
    const tracked = async (keyed: boolean, seconds: number): Promise<{ result: autocannon.Result; lags: Lags; count: number }> => {
      const tracker = new LagTracker(stack);
      try {
        const result = await load(keyed, seconds, tracker);
        return { result, lags: await tracker.settle(), count: tracker.count };
      } finally {
        tracker.stop();
      }
    };
    // A short untimed run first (its orders settled too), so the measured runs meet warm
    // functions and a warm JIT, as a steady API has.
    await tracked(true, 2);
    for (const keyed of [true, false]) {
      const { result, lags, count } = await tracked(keyed, durationSeconds);
      runs.push({
        name: keyed ? 'POST /orders, Idempotency-Key' : 'POST /orders, no key',
        keyed,
        connections,
        durationSeconds: result.duration,
        created: count,
        ordersPerSecond: count / result.duration,
        latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        lag: { bus: percentiles(lags.bus), readModel: percentiles(lags.readModel) },
      });
    }
  } finally {
    await stack.close();
  }
  return { runs };
};

export const reportApiLoad = (f: ApiLoadFigures): string => {
  const [first] = f.runs;
  let out = `\nAPI load on the local stack (autocannon, ${first?.connections ?? '?'} connections, ${fixed(first?.durationSeconds ?? NaN, 1)} s per run, staff JWT)\n\n`;
  const widths = [32, 10, 9, 9, 9, 9, 8];
  out += row(['run', 'orders/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx'], widths);
  for (const r of f.runs) {
    out += row([r.name, fixed(r.ordersPerSecond, 0), r.latency.p50, r.latency.p90, r.latency.p99, r.latency.max, r.non2xx + r.errors], widths);
  }
  for (const r of f.runs) {
    out += `\n${lagTable(`lag of the ${r.created} orders of "${r.name}", under that load`, r.lag)}`;
  }
  out += '\n(one machine runs the load generator, the API emulation, the functions and DynamoDB Local: orders/s is this machine\'s, not Lambda\'s)\n';
  return out;
};

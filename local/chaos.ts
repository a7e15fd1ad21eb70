import { parseArgs } from 'node:util';
import { ChaosAbortedError } from './chaos/http';
import { formatTable } from './chaos/report';
import { runChaos } from './chaos/run';

export { runChaos, type ChaosOptions } from './chaos/run';
export type { ChaosTable } from './chaos/report';

/**
 * `npm run chaos`: N orders through their lifecycle on a local stack of its own while every
 * local fault is injected, then one audit table (see local/chaos/run.ts). Flags: `--orders N`
 * (2000), `--concurrency N` (24), `--seed N` (1), `--json`, `--log FILE` (the stack's
 * every log line, timestamped). Exit 1 if anything is lost, invented,
 * split, unequal or out of order; 2 on bad usage.
 */
const main = async (): Promise<void> => {
  const values = ((): { orders?: string; concurrency?: string; seed?: string; json?: boolean; log?: string } => {
    try {
      return parseArgs({
        options: { orders: { type: 'string' }, concurrency: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean', default: false }, log: { type: 'string' } },
      }).values;
    } catch (error: unknown) {
      return usage(error instanceof Error ? error.message : String(error));
    }
  })();
  const number = (name: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer of at least ${min}, not '${value}'.`);
    return n;
  };
  const orders = number('orders', values.orders, 1);
  const concurrency = number('concurrency', values.concurrency, 1);
  const seed = number('seed', values.seed, 0);

  const stop = new AbortController();
  let interrupted = 0;
  let firstSignalAt = 0;
  const onSignal = (): void => {
    // One Ctrl-C can arrive twice (the terminal's and a wrapper's relay): the second must be a second press.
    if (interrupted > 0 && Date.now() - firstSignalAt < 1000) return;
    interrupted += 1;
    if (interrupted > 1) process.exit(130);
    firstSignalAt = Date.now();
    process.stderr.write('\nchaos: stopping (the stack is closed and its data deleted; Ctrl-C again to quit at once)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const table = await runChaos({
      ...(orders === undefined ? {} : { orders }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(seed === undefined ? {} : { seed }),
      ...(values.log === undefined ? {} : { logFile: values.log }),
      signal: stop.signal,
    });
    process.stdout.write(values.json === true ? `${JSON.stringify(table, null, 2)}\n` : `${formatTable(table)}\n`);
    process.exitCode = table.ok ? 0 : 1;
  } catch (error: unknown) {
    if (error instanceof ChaosAbortedError) {
      process.stderr.write('chaos: stopped; the local stack is closed and its data deleted\n');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = interrupted > 0 ? 130 : 1;
  }
};

const usage = (message: string): never => {
  process.stderr.write(`npm run chaos: ${message}\nUsage: npm run chaos -- [--orders N] [--concurrency N] [--seed N] [--json] [--log FILE]\n`);
  process.exit(2);
};

if (require.main === module) void main();

import { performance } from 'node:perf_hooks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { startLocalEventBridge } from '../local/events/bus';
import { type Percentiles, fixed, percentiles, row } from './stats';
import { benchTables } from './setup';
import { type WriteVariant, type WriteVariantKey, writeVariants } from './write-variants';

export interface WriteVariantFigure extends Percentiles {
  readonly key: WriteVariantKey;
  readonly name: string;
}

export interface WriteRatio {
  readonly name: string;
  readonly of: WriteVariantKey;
  readonly to: WriteVariantKey;
  /** The ceiling for this ratio, at p50 and p99, where it sets one. */
  readonly target?: number;
  readonly byConcurrency: { readonly concurrency: number; readonly p50: number; readonly p99: number }[];
}

export interface WritePathFigures {
  readonly samplesPerVariant: number;
  readonly warmup: number;
  readonly byConcurrency: { readonly concurrency: number; readonly variants: WriteVariantFigure[] }[];
  readonly ratios: WriteRatio[];
}

/**
 * Runs every variant in turns, rotating which goes first each round, so drift in the engine (or
 * in other load on the machine) hits all of them alike: one call a turn at concurrency 1, and
 * `concurrency` workers x 5 calls at higher concurrency (long enough to stay that busy).
 */
const measure = async (variants: readonly WriteVariant[], concurrency: number, samples: number, warmup: number): Promise<number[][]> => {
  const opsPerTurn = concurrency === 1 ? 1 : 5;
  const perRound = concurrency * opsPerTurn;
  const warmRounds = Math.ceil(warmup / perRound);
  const rounds = warmRounds + Math.ceil(samples / perRound);
  const results = variants.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < variants.length; turn++) {
      const index = (turn + round) % variants.length;
      const variant = variants[index];
      if (variant === undefined) continue;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let op = 0; op < opsPerTurn; op++) {
            const call = variant.prepare();
            const started = performance.now();
            await call();
            if (round >= warmRounds) results[index]?.push(performance.now() - started);
          }
        }),
      );
    }
  }
  return results;
};

const RATIOS: Omit<WriteRatio, 'byConcurrency'>[] = [
  { name: 'keyed handler / raw 3-item transaction', of: 'handlerKeyed', to: 'tx3', target: 1.15 },
  { name: 'unkeyed handler / raw 2-item transaction', of: 'handler', to: 'tx2', target: 1.1 },
  { name: 'raw 2-item transaction / PutItem', of: 'tx2', to: 'put' },
  { name: 'raw 3-item transaction / PutItem', of: 'tx3', to: 'put' },
  { name: 'dual write / PutItem', of: 'dual', to: 'put' },
];

/**
 * The write path on DynamoDB Local, every variant in one interleaved run: a plain `PutItem` of
 * the order, a dual write (`PutItem`, then `PutEvents` to the local EventBridge), the raw
 * `TransactWriteItems` with the very items the handler writes (2 unkeyed, 3 keyed), and the real
 * `POST /orders` handler and use case over the production repository, at each concurrency.
 */
export const benchWritePath = async (
  endpoint: string,
  samples: number,
  warmup: number,
  concurrencies: readonly number[],
): Promise<WritePathFigures> => {
  const setup = await benchTables(endpoint, 'bench');
  const bus = await startLocalEventBridge();
  const eventBridge = new EventBridgeClient({ endpoint: bus.endpoint });
  const variants = writeVariants(setup, eventBridge);
  const byConcurrency: WritePathFigures['byConcurrency'][number][] = [];
  try {
    for (const concurrency of concurrencies) {
      const results = await measure(variants, concurrency, samples, warmup);
      bus.reset();
      byConcurrency.push({
        concurrency,
        variants: variants.map((variant, index) => ({ key: variant.key, name: variant.name, ...percentiles(results[index] ?? []) })),
      });
    }
  } finally {
    eventBridge.destroy();
    await bus.close();
    setup.client.destroy();
  }
  const of = (figures: readonly WriteVariantFigure[], key: WriteVariantKey): WriteVariantFigure => {
    const found = figures.find((figure) => figure.key === key);
    if (found === undefined) throw new Error(`no figures for ${key}`);
    return found;
  };
  const ratios = RATIOS.map((ratio) => ({
    ...ratio,
    byConcurrency: byConcurrency.map(({ concurrency, variants: figures }) => ({
      concurrency,
      p50: of(figures, ratio.of).p50 / of(figures, ratio.to).p50,
      p99: of(figures, ratio.of).p99 / of(figures, ratio.to).p99,
    })),
  }));
  return { samplesPerVariant: samples, warmup, byConcurrency, ratios };
};

/** Whether a ratio keeps to its target at every concurrency, at p50 and p99; which cells miss if not. */
export const targetVerdict = (ratio: WriteRatio): string => {
  const { target } = ratio;
  if (target === undefined) return '';
  const misses = ratio.byConcurrency.flatMap(({ concurrency, p50, p99 }) => [
    ...(p50 > target ? [`c${concurrency} p50`] : []),
    ...(p99 > target ? [`c${concurrency} p99`] : []),
  ]);
  return misses.length === 0 ? 'met' : `NOT met (${misses.join(', ')})`;
};

export const reportWritePath = (f: WritePathFigures): string => {
  let out = `\nWrite path on DynamoDB Local (in memory): ${f.samplesPerVariant} writes per variant after ${f.warmup} warm-up, interleaved\n`;
  const widths = [40, 9, 9, 9, 9, 9];
  for (const { concurrency, variants } of f.byConcurrency) {
    const put = variants.find((variant) => variant.key === 'put');
    out += `\nconcurrency ${concurrency}\n` + row(['variant', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 x', 'p99 x'], widths);
    for (const v of variants) {
      out += row([v.name, fixed(v.p50), fixed(v.p90), fixed(v.p99), fixed(v.p50 / (put?.p50 ?? NaN)), fixed(v.p99 / (put?.p99 ?? NaN))], widths);
    }
  }
  const cells = f.byConcurrency.flatMap(({ concurrency }) => [`c${concurrency} p50`, `c${concurrency} p99`]);
  const ratioWidths = [42, ...cells.map(() => 9), 8, 4];
  out += '\nratios (x = ratio within this run; the issue\'s targets apply to the handler rows)\n';
  out += row(['ratio', ...cells, 'target', '', ''], ratioWidths).trimEnd() + '\n';
  for (const ratio of f.ratios) {
    const values = ratio.byConcurrency.flatMap(({ p50, p99 }) => [fixed(p50), fixed(p99)]);
    out += row([ratio.name, ...values, ratio.target === undefined ? '' : `<=${ratio.target.toFixed(2)}`, '', ''], ratioWidths).trimEnd();
    out += ratio.target === undefined ? '\n' : `  ${targetVerdict(ratio)}\n`;
  }
  out += '\n(x = ratio to the baseline in this run; absolute figures on DynamoDB Local say nothing about AWS.)\n';
  return out;
};

import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { benchLocalStack } from './local-stack';
import { benchReadSide } from './read-side';
import { benchReconciler } from './reconciler';
import { type RelayFigure, benchRelay } from './relay';
import { benchWritePath } from './write-path';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** `npm run bench`: figures as ratios against a baseline measured in the same run. */
const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '200' },
      events: { type: 'string', default: '1000' },
      orders: { type: 'string', default: '200' },
      only: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  const engine = await startDynamoDbLocal();
  try {
    if (values.only === undefined || values.only === 'write') await reportWritePath(engine.endpoint, rounds, warmup);
    if (values.only === undefined || values.only === 'relay') await reportRelay(engine.endpoint, Number(values.events));
    if (values.only === undefined || values.only === 'local') await reportLocalStack(Number(values.orders));
    if (values.only === undefined || values.only === 'read') await reportReadSide(Number(values.orders));
    if (values.only === undefined || values.only === 'reconciler') await reportReconciler(engine.endpoint);
  } finally {
    await engine.stop();
  }
};

const reportWritePath = async (endpoint: string, rounds: number, warmup: number): Promise<void> => {
  {
    const results = await benchWritePath(endpoint, rounds, warmup);
    const [baseline] = results;
    if (baseline === undefined) throw new Error('no baseline measured');
    process.stdout.write(
      `\nWrite path on DynamoDB Local (in memory), ${rounds} sequential writes each after ${warmup} warm-up, interleaved\n\n`,
    );
    process.stdout.write(`${'variant'.padEnd(34)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'p50 x'.padStart(8)}${'p99 x'.padStart(8)}\n`);
    for (const result of results) {
      process.stdout.write(
        `${result.name.padEnd(34)}${result.p50.toFixed(2).padStart(9)}${result.p99.toFixed(2).padStart(9)}` +
          `${(result.p50 / baseline.p50).toFixed(2).padStart(8)}${(result.p99 / baseline.p99).toFixed(2).padStart(8)}\n`,
      );
    }
    process.stdout.write('\n(x = ratio to the baseline in this run; absolute figures on DynamoDB Local say nothing about AWS.)\n');
  }
};

const reportRelay = async (endpoint: string, events: number): Promise<void> => {
  const figures = await benchRelay(endpoint, events);
  const [baseline] = figures;
  if (baseline === undefined) throw new Error('no baseline measured');
  const rate = (figure: RelayFigure): number => figure.events / figure.seconds;
  process.stdout.write(`\nRelay: ${events} outbox events from real stream records to the local EventBridge, publish + mark\n\n`);
  process.stdout.write(
    `${'variant'.padEnd(34)}${'events/s'.padStart(10)}${'calls/1000'.padStart(12)}${'speed x'.padStart(9)}${'fewer calls x'.padStart(15)}\n`,
  );
  for (const figure of figures) {
    process.stdout.write(
      `${figure.name.padEnd(34)}${rate(figure).toFixed(0).padStart(10)}${figure.callsPer1000.toFixed(0).padStart(12)}` +
        `${(rate(figure) / rate(baseline)).toFixed(2).padStart(9)}${(baseline.callsPer1000 / figure.callsPer1000).toFixed(1).padStart(15)}\n`,
    );
  }
  process.stdout.write('\n(x = ratio to the naive baseline in this run; each figure the median of 3 interleaved rounds.)\n');
  const staged = figures.find((figure) => figure.stageShares !== undefined);
  if (staged?.stageShares !== undefined) {
    const shares = Object.entries(staged.stageShares).map(([stage, share]) => `${stage} ${(share * 100).toFixed(0)}%`);
    process.stdout.write(`where the batch-100 relay's time goes: ${shares.join(', ')}\n`);
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

const reportLocalStack = async (orders: number): Promise<void> => {
  const figures = await benchLocalStack(orders);
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  process.stdout.write(`\nLocal stack (npm start, in memory)\n\n`);
  const seconds = (value: number): string => `${(value / 1000).toFixed(2)} s`;
  process.stdout.write(`start-up to healthy, first (no bundle cache)  ${seconds(figures.firstStartMs)}\n`);
  process.stdout.write(
    `start-up to healthy, cold (bundles cached)    ${seconds(figures.coldStartMs)}  (${(figures.firstStartMs / figures.coldStartMs).toFixed(1)}x faster)\n`,
  );
  process.stdout.write(
    `start-up to healthy, warm (cdk.out reused)    ${seconds(figures.warmStartMs)}  (${(figures.firstStartMs / figures.warmStartMs).toFixed(1)}x faster)\n\n`,
  );
  process.stdout.write(`${figures.orders} orders, one at a time${' '.repeat(18)}p50        p99\n`);
  process.stdout.write(`POST /orders round trip (baseline)            ${ms(figures.postMs.p50).padEnd(11)}${ms(figures.postMs.p99)}\n`);
  process.stdout.write(
    `POST returned -> OrderPlaced on the bus        ${ms(figures.eventMs.p50).padEnd(11)}${ms(figures.eventMs.p99)}` +
      `  (${(figures.eventMs.p50 / figures.postMs.p50).toFixed(1)}x / ${(figures.eventMs.p99 / figures.postMs.p99).toFixed(1)}x the round trip)\n`,
  );
  process.stdout.write(
    '\n(the poller waits 250 ms while the stream is idle, about Lambda\'s base rate of 4 polls a second, and polls again\n' +
      ' at once while records flow; under steady traffic the relay\'s own marks keep it flowing, hence the low p50)\n',
  );
};

const reportReadSide = async (orders: number): Promise<void> => {
  const f = await benchReadSide(orders);
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  process.stdout.write(`\nRead side on the local stack (${f.orders} orders, no min-version wait: the default)\n\n`);
  process.stdout.write(`projection lag (projectedAt - occurredAt)   p50 ${ms(f.projectionLagMs.p50)}   p99 ${ms(f.projectionLagMs.p99)}\n`);
  process.stdout.write(`"write, then read my version" answered by the write model: ${(f.fallbackShare * 100).toFixed(1)}%\n`);
  process.stdout.write(`plain read of a projected order (baseline)   p50 ${ms(f.plainReadMs.p50)}   p99 ${ms(f.plainReadMs.p99)}\n`);
  process.stdout.write(
    `min-version read right after the write      p50 ${ms(f.minVersionReadMs.p50)}   p99 ${ms(f.minVersionReadMs.p99)}` +
      `   (${(f.minVersionReadMs.p50 / f.plainReadMs.p50).toFixed(1)}x / ${(f.minVersionReadMs.p99 / f.plainReadMs.p99).toFixed(1)}x)\n`,
  );
};

const reportReconciler = async (endpoint: string): Promise<void> => {
  const f = await benchReconciler(endpoint, [1000, 10_000, 100_000]);
  const [base] = f.curve;
  process.stdout.write('\nReconciler: items read per run as the outbox grows (10 pending each time)\n\n');
  process.stdout.write(`${'published'.padStart(10)}${'pending'.padStart(9)}${'items read'.padStart(12)}${'x 1k'.padStart(7)}${'run ms'.padStart(9)}\n`);
  for (const point of f.curve) {
    process.stdout.write(
      `${String(point.published).padStart(10)}${String(point.pending).padStart(9)}${String(point.itemsRead).padStart(12)}` +
        `${(point.itemsRead / (base?.itemsRead ?? 1)).toFixed(2).padStart(7)}${point.ms.toFixed(0).padStart(9)}\n`,
    );
  }
  process.stdout.write(`\na run that republishes 1,000 items: ${(f.republish1000Ms / 1000).toFixed(2)} s (publish + mark, local EventBridge)\n`);
};

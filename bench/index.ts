import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { benchWritePath } from './write-path';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** `npm run bench`: figures as ratios against a baseline measured in the same run. */
const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '200' } },
  });
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  const engine = await startDynamoDbLocal();
  try {
    const results = await benchWritePath(engine.endpoint, rounds, warmup);
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
  } finally {
    await engine.stop();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

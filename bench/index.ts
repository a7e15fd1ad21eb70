import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb/engine';
import { benchApiLoad, reportApiLoad } from './api-load';
import { barChart } from './charts';
import { type LagFigures, benchLag, lagChart, reportLag } from './lag';
import { benchLocalStack, reportLocalStack } from './local-stack';
import { benchReadSide, reportReadSide } from './read-side';
import { benchReconciler, reportReconciler } from './reconciler';
import { benchRelay, reportRelay } from './relay';
import { RESULTS_DIR, writeChart, writeResults } from './results';
import { benchWritePath, reportWritePath, type WritePathFigures } from './write-path';

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** Every option with its full and its `--quick` default; a value given on the command line wins. */
const OPTIONS = {
  rounds: { full: '1000', quick: '300', help: 'write path: timed writes per variant and concurrency' },
  warmup: { full: '200', quick: '50', help: 'write path: untimed writes per variant first' },
  concurrency: { full: '1,16', quick: '1,16', help: 'write path: concurrency levels' },
  events: { full: '1000', quick: '300', help: 'relay: outbox events' },
  orders: { full: '100', quick: '30', help: 'local stack and read side: orders, one at a time' },
  ahead: { full: '30', quick: '10', help: 'read side: VERSION_AHEAD reads' },
  connections: { full: '16', quick: '16', help: 'API load: autocannon connections' },
  duration: { full: '10', quick: '5', help: 'API load: seconds per kind (keyed, unkeyed), in two halves' },
  'lag-orders': { full: '300', quick: '100', help: 'lag: orders sent at a steady rate' },
  'lag-rate': { full: '10', quick: '10', help: 'lag: orders per second' },
  sizes: { full: '1000,10000,100000', quick: '1000,10000', help: 'reconciler: published outbox sizes' },
} as const;
type OptionName = keyof typeof OPTIONS;

const SECTIONS = ['write', 'relay', 'local', 'read', 'api', 'lag', 'reconciler'] as const;
type Section = (typeof SECTIONS)[number];

interface Run {
  readonly options: Record<OptionName, string>;
  readonly number: (name: OptionName) => number;
  readonly list: (name: OptionName) => number[];
  readonly engine: () => Promise<string>;
}

/** Runs one section: prints its table, writes its results (and charts) under bench/results. */
const SECTION_RUNNERS: Record<Section, (run: Run) => Promise<{ report: string; figures: unknown; charts?: Record<string, string> }>> = {
  write: async (run) => {
    const figures = await benchWritePath(await run.engine(), run.number('rounds'), run.number('warmup'), run.list('concurrency'));
    return { report: reportWritePath(figures), figures, charts: writeCharts(figures) };
  },
  relay: async (run) => {
    const figures = await benchRelay(await run.engine(), run.number('events'));
    return { report: reportRelay(figures), figures };
  },
  local: async (run) => {
    const figures = await benchLocalStack(run.number('orders'));
    return { report: reportLocalStack(figures), figures };
  },
  read: async (run) => {
    const figures = await benchReadSide(run.number('orders'), run.number('ahead'));
    return { report: reportReadSide(figures), figures };
  },
  api: async (run) => {
    const figures = await benchApiLoad(run.number('connections'), run.number('duration'));
    return { report: reportApiLoad(figures), figures };
  },
  lag: async (run) => {
    const figures = await benchLag(run.number('lag-orders'), run.number('lag-rate'));
    return { report: reportLag(figures), figures, charts: { 'lag-distribution': lagChart(figures) } };
  },
  reconciler: async (run) => {
    const figures = await benchReconciler(await run.engine(), run.list('sizes'));
    return { report: reportReconciler(figures), figures };
  },
};

/** The handler against the raw call it wraps (the issue's targets), and the outbox against its alternatives. */
const writeCharts = (f: WritePathFigures): Record<string, string> => {
  const short: Record<string, string> = {
    handlerKeyed: 'keyed POST /orders handler\n/ raw 3-item transaction',
    handler: 'unkeyed POST /orders handler\n/ raw 2-item transaction',
    tx2: 'raw 2-item transaction\n/ PutItem',
    tx3: 'raw 3-item transaction\n/ PutItem',
    dual: 'dual write (PutItem, PutEvents)\n/ PutItem',
  };
  const levels = f.byConcurrency.map(({ concurrency }) => concurrency);
  const chart = (title: string, targeted: boolean): string =>
    barChart({
      title,
      subtitle: `DynamoDB Local, one interleaved run, ${f.samplesPerVariant} writes per variant at concurrency ${levels.join(' and ')}; 1.0 = the baseline`,
      yLabel: 'ratio to the baseline',
      series: levels.flatMap((c) => [`c${c} p50`, `c${c} p99`]),
      groups: f.ratios
        .filter((ratio) => (ratio.target !== undefined) === targeted)
        .map((ratio) => ({
          label: short[ratio.of] ?? ratio.name,
          values: ratio.byConcurrency.flatMap(({ p50, p99 }) => [p50, p99]),
          ...(ratio.target === undefined ? {} : { target: ratio.target }),
        })),
    });
  return {
    'write-path-ratios': chart('POST /orders against the raw TransactWriteItems it wraps', true),
    'write-path-costs': chart('The outbox transaction and a dual write against a plain PutItem', false),
  };
};

/** `--charts`: the SVGs again from the figures in bench/results, measuring nothing. */
const redrawCharts = (): string[] => {
  const figuresOf = <T>(section: Section): T | undefined => {
    const file = path.join(RESULTS_DIR, `${section}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { figures: T }).figures : undefined;
  };
  const write = figuresOf<WritePathFigures>('write');
  const lag = figuresOf<LagFigures>('lag');
  const charts = { ...(write === undefined ? {} : writeCharts(write)), ...(lag === undefined ? {} : { 'lag-distribution': lagChart(lag) }) };
  return Object.entries(charts).map(([name, svg]) => writeChart(name, svg));
};

const usage = (): string =>
  'npm run bench -- [--quick] [--charts] [--only ' + SECTIONS.join('|') + '[,...]] [--<option> <value>]\n\noptions (full / --quick default):\n' +
  Object.entries(OPTIONS).map(([name, o]) => `  --${name.padEnd(12)} ${o.help} (${o.full} / ${o.quick})`).join('\n') + '\n';

/** `npm run bench`: figures as ratios against a baseline measured in the same run. */
const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, { type: 'string' as const }])),
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      charts: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    process.stdout.write(usage());
    return;
  }
  if (values.charts === true) {
    for (const file of redrawCharts()) process.stdout.write(`${file}\n`);
    return;
  }
  const quick = values.quick === true;
  const given = values as Record<string, string | boolean | undefined>;
  const options = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => [name, typeof given[name] === 'string' ? (given[name] as string) : quick ? o.quick : o.full]),
  ) as Record<OptionName, string>;
  const list = (name: OptionName): number[] => {
    const numbers = options[name].split(',').map((part) => Number(part.trim()));
    if (numbers.length === 0 || numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new Error(`--${name} must be a positive integer or a comma-separated list of them, not "${options[name]}"`);
    }
    return numbers;
  };
  const number = (name: OptionName): number => {
    const [value, ...rest] = list(name);
    if (value === undefined || rest.length > 0) throw new Error(`--${name} must be one positive integer, not "${options[name]}"`);
    return value;
  };
  const only = values.only === undefined ? [...SECTIONS] : String(values.only).split(',').map((name) => name.trim());
  const unknown = only.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}: choose from ${SECTIONS.join(', ')}`);
  // Check every option before the first section spends minutes.
  for (const name of Object.keys(OPTIONS) as OptionName[]) list(name);

  let engine: DynamoDbLocal | undefined;
  const run: Run = { options, number, list, engine: async () => (engine ??= await startDynamoDbLocal()).endpoint };
  try {
    for (const section of only as Section[]) {
      const started = Date.now();
      const { report, figures, charts } = await SECTION_RUNNERS[section](run);
      process.stdout.write(report);
      const written = [writeResults(section, { quick, ...options }, figures)];
      for (const [name, svg] of Object.entries(charts ?? {})) written.push(writeChart(name, svg));
      process.stdout.write(`[${section}: ${((Date.now() - started) / 1000).toFixed(0)} s; ${written.map((file) => file.replace(`${process.cwd()}/`, '')).join(', ')}]\n`);
    }
  } finally {
    await engine?.stop();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

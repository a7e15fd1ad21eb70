import { parseArgs } from 'node:util';
import { MAX_REPLAY_WINDOW_DAYS } from '../lambdas/outbox/operations';
import { ORDERS_STACK } from '../lib/ops-outputs';
import { parked } from './commands/parked';
import { redrive } from './commands/redrive';
import { type ReplayRequest, replay } from './commands/replay';
import { retryParked } from './commands/retry-parked';
import { status } from './commands/status';
import { OpsError, UsageError } from './errors';
import { type Io, processIo } from './output';
import { OpsTarget } from './target';

export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';

const USAGE = `Usage: npm run outbox -- <command> [options]

Commands:
  status                             pending, published, parked, oldest pending age, failure queue depths
  parked                             the parked events: order id, version, error code, since when
  retry-parked [--order ID]          parked events back to the bus in version order (all, or one order's)
  replay --order ID                  republish an order's published events (same eventIds)
  replay --since ISO [--until ISO]   republish the events that occurred in a window (at most ${MAX_REPLAY_WINDOW_DAYS} days)
  redrive [--discard-unverified]     projector dead letters back through the projector (checked against the
                                     outbox first; the flag deletes those that do not match it, or cannot be read)

Options:
  --local [URL]    the local stack (default ${DEFAULT_LOCAL_URL})
  --stack NAME     the deployed stack (default ${ORDERS_STACK}), found through the normal AWS credential chain
  --json           one JSON document instead of a table
  --help           this text

Exit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.
For --json into a pipe, run npm run -s outbox -- ... (npm prints a banner on stdout otherwise).
`;

type Command = { readonly name: 'status' | 'parked' } | { readonly name: 'redrive'; readonly discardUnverified: boolean } | { readonly name: 'retry-parked'; readonly aggregateId?: string } | { readonly name: 'replay'; readonly request: ReplayRequest };

export interface Invocation {
  readonly command: Command;
  readonly json: boolean;
  readonly stackName: string;
  readonly localUrl?: string;
}

/** `--local` takes an optional URL: given when the next word is one. */
const withLocalUrl = (argv: readonly string[]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--local') {
      const next = argv[i + 1];
      if (next !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(next)) {
        out.push(`--local=${next}`);
        i += 1;
      } else out.push(`--local=${DEFAULT_LOCAL_URL}`);
    } else out.push(arg);
  }
  return out;
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO-8601 time with its zone, or a UTC date: as `--since` the start of that day, as `--until`
 * its last millisecond (so `--since 2026-11-26 --until 2026-11-26` is that whole day).
 */
const isoOption = (name: 'since' | 'until', value: string): Date => {
  const at = new Date(value);
  if (!ISO_TIME.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--${name} must be an ISO-8601 time with its zone (2026-11-27T09:00:00Z, 2026-11-27T10:00:00+01:00) or a UTC date (2026-11-27) (got ${JSON.stringify(value)}).`);
  }
  const dateOnly = value.length === 10;
  // `new Date` rolls 2026-02-30 over into March: a date that does not exist is refused instead.
  if (dateOnly && at.toISOString().slice(0, 10) !== value) throw new UsageError(`--${name}: ${value} is not a date of the calendar.`);
  return dateOnly && name === 'until' ? new Date(at.getTime() + 86_400_000 - 1) : at;
};

/** An order id as the outbox keys it (the operations function takes up to 1,024 characters). */
const orderOption = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (value === '' || value.length > 1024) throw new UsageError('--order takes an order id (1 to 1,024 characters).');
  return value;
};

/** The command line read into one invocation, or a `UsageError` that says what is wrong. */
export const parseInvocation = (argv: readonly string[], now: Date = new Date()): Invocation | 'help' => {
  let parsed;
  try {
    parsed = parseArgs({
      args: withLocalUrl(argv),
      allowPositionals: true,
      strict: true,
      options: {
        local: { type: 'string' },
        stack: { type: 'string' },
        json: { type: 'boolean' },
        order: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        'discard-unverified': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('Name a command: status, parked, retry-parked, replay or redrive.');
  if (positionals.length > 1) throw new UsageError(`One command at a time (got ${positionals.join(' ')}).`);
  if (values.local !== undefined) {
    try {
      const url = new URL(values.local);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new UsageError(`--local takes the local stack's URL, e.g. ${DEFAULT_LOCAL_URL} (got ${JSON.stringify(values.local)}).`);
    }
  }
  if (values.stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(values.stack)) {
    throw new UsageError(`--stack takes a CloudFormation stack name (letters, digits, dashes; got ${JSON.stringify(values.stack)}).`);
  }
  const name = positionals[0];
  const only = (allowed: readonly string[]): void => {
    for (const option of ['order', 'since', 'until'] as const) {
      if (values[option] !== undefined && !allowed.includes(option)) throw new UsageError(`${name} does not take --${option}.`);
    }
  };
  if (values['discard-unverified'] !== undefined && name !== 'redrive') throw new UsageError(`${name} does not take --discard-unverified.`);
  let command: Command;
  switch (name) {
    case 'status':
    case 'parked':
      only([]);
      command = { name };
      break;
    case 'redrive':
      only([]);
      command = { name, discardUnverified: values['discard-unverified'] === true };
      break;
    case 'retry-parked': {
      only(['order']);
      const aggregateId = orderOption(values.order);
      command = { name, ...(aggregateId === undefined ? {} : { aggregateId }) };
      break;
    }
    case 'replay': {
      if (values.order !== undefined) {
        if (values.since !== undefined || values.until !== undefined) throw new UsageError('replay takes --order ID, or --since ISO [--until ISO], not both.');
        command = { name, request: { aggregateId: orderOption(values.order) ?? '' } };
        break;
      }
      if (values.since === undefined) throw new UsageError('replay needs --order ID, or --since ISO [--until ISO].');
      const since = isoOption('since', values.since);
      const until = values.until === undefined ? now : isoOption('until', values.until);
      if (since.getTime() > now.getTime()) throw new UsageError('--since is in the future: nothing has occurred there yet.');
      if (since.getTime() > until.getTime()) throw new UsageError('--since must not be after --until.');
      if (until.getTime() - since.getTime() > MAX_REPLAY_WINDOW_DAYS * 86_400_000) {
        throw new UsageError(`A replay window is at most ${MAX_REPLAY_WINDOW_DAYS} days; for older events use the bus archive (StartReplay).`);
      }
      command = { name, request: { since, until } };
      break;
    }
    default:
      throw new UsageError(`Unknown command ${JSON.stringify(name)}: status, parked, retry-parked, replay or redrive.`);
  }
  return {
    command,
    json: values.json === true,
    stackName: values.stack ?? ORDERS_STACK,
    ...(values.local === undefined ? {} : { localUrl: values.local }),
  };
};

/** Runs the CLI; answers its exit status (0 done, 1 failed, 2 bad usage). */
export const main = async (argv: readonly string[], io: Io = processIo()): Promise<number> => {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv);
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`outbox: ${error.message} (npm run outbox -- --help)\n`);
    return 2;
  }
  if (invocation === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const { command, json } = invocation;
  // Every line on stderr is the CLI's: one reason a line, named.
  const runIo: Io = { ...io, stderr: (text) => io.stderr(`outbox: ${text}`), progress: io.progress && !json };
  let target: OpsTarget | undefined;
  try {
    target = await OpsTarget.connect({ stackName: invocation.stackName, ...(invocation.localUrl === undefined ? {} : { localUrl: invocation.localUrl }) });
    switch (command.name) {
      case 'status':
        return await status(target, runIo, json);
      case 'parked':
        return await parked(target, runIo, json);
      case 'retry-parked':
        return await retryParked(target, runIo, json, command.aggregateId);
      case 'replay':
        return await replay(target, runIo, json, command.request);
      case 'redrive':
        return await redrive(target, runIo, json, command.discardUnverified);
    }
  } catch (error: unknown) {
    const reason = error instanceof OpsError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr(`outbox: ${reason.split('\n')[0]}\n`);
    return 1;
  } finally {
    target?.close();
  }
};

if (require.main === module) {
  // The SDK warns on every client that Node 20 support ends in 2027; the README states the versions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`outbox: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { OperationFailure } from '../lambdas/outbox/operations';

/** Where the CLI writes: the answer to stdout, reasons and progress to stderr. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Draw progress bars (stderr is a terminal and the answer is not JSON). */
  readonly progress: boolean;
}

export const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr.isTTY === true,
});

/** A plain table (no colours, so it reads the same in a terminal, a pipe and a ticket). */
export const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]): string => {
  const t = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map(String));
  return `${t.toString()}\n`;
};

/** The first 50 events the bus refused, one row each. */
export const failureTable = (failures: readonly OperationFailure[]): string =>
  table(['order id', 'version', 'error code', 'message'], failures.slice(0, 50).map((f) => [f.aggregateId, f.version, f.errorCode, f.errorMessage]));

/** A progress bar on stderr for a long run, or nothing when progress is off. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export const progressBar = (io: Io, label: string): Progress => {
  if (!io.progress) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
};

/** A duration for people: `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export const humanDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
};

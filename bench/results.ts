import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const RESULTS_DIR = path.join(__dirname, 'results');

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly release: string;
  readonly arch: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages as the section ended: other work on the machine shows here. */
  readonly loadAverage: number[];
}

export const machineInfo = (): MachineInfo => ({
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  cpus: os.cpus().length,
  memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  platform: os.platform(),
  release: os.release(),
  arch: os.arch(),
  node: process.version,
  loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
});

const git = (...args: string[]): string | undefined => {
  try {
    return execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout (a copied tarball): the results say so rather than failing the bench.
    return undefined;
  }
};

/** The commit measured, and whether the sources differed from it (bench/results itself aside). */
export const gitCommit = (): { readonly commit: string; readonly dirty: boolean } => {
  const commit = git('rev-parse', 'HEAD') ?? 'unknown';
  const status = git('status', '--porcelain', '--', '.', ':(exclude)bench/results') ?? '';
  return { commit, dirty: status !== '' };
};

/** Writes `bench/results/<section>.json`: the figures with the run's options, machine and commit. */
export const writeResults = (section: string, options: Record<string, unknown>, figures: unknown): string => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${section}.json`);
  const document = { section, timestamp: new Date().toISOString(), ...gitCommit(), machine: machineInfo(), options, figures };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
};

/** Writes `bench/results/<name>.svg`. */
export const writeChart = (name: string, svg: string): string => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.svg`);
  writeFileSync(file, svg);
  return file;
};

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../lib/service-function';
import type { CfnTemplate } from './model/template';

export class SynthError extends Error {
  public constructor(public readonly output: string) {
    super(`cdk synth failed:\n${output}`);
    this.name = 'SynthError';
  }
}

export interface CloudAssembly {
  readonly dir: string;
  readonly template: CfnTemplate;
  /** The stack the template is of (CloudFormation's `DescribeStacks` answers it). @default - the first segment of the template's construct paths */
  readonly stackName?: string;
  /** True when an earlier synth of the same sources was reused. */
  readonly reused: boolean;
}

/** What a synth reads: when none of it changed, the assembly in `cdk.out` is still the app. */
export const SYNTH_INPUTS: readonly string[] = ['bin', 'lib', 'lambdas', 'package-lock.json', 'cdk.json', 'tsconfig.json'];
const STAMP = '.local-synth-hash';

const hashInputs = (root: string, inputs: readonly string[], app: string): string => {
  const hash = createHash('sha256');
  // Another app than cdk.json's is part of the key (the default's key is unchanged, so its cdk.out is still reused).
  if (app !== '') hash.update(app).update('\0');
  const visit = (file: string): void => {
    if (!existsSync(file)) return;
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) visit(path.join(file, name));
      return;
    }
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  for (const input of inputs) visit(path.join(root, input));
  return hash.digest('hex');
};

export interface SynthOptions {
  /** The project the app is in (`cdk synth` runs there, with its cdk.json). @default - this repository */
  readonly root?: string;
  /** @default `cdk.out` under `root` */
  readonly outDir?: string;
  /** Synthesize even when the sources have not changed. @default false */
  readonly force?: boolean;
  /** The app, as `cdk synth --app` takes it (e.g. `npx tsx path/to/app.ts`). @default - cdk.json's app (bin/app.ts) */
  readonly app?: string;
  /** The stack whose template is read (the Orders service's: local/apps/orders-stack.ts). */
  readonly stackName: string;
  /** What the synth reads, relative to `root`: when none of it changed, the last synth is reused. @default bin, lib, lambdas and the project files */
  readonly inputs?: readonly string[];
}

/**
 * The app as `cdk deploy` would ship it: `cdk synth` into `cdk.out` (functions bundled by
 * esbuild), skipped when the sources are byte-for-byte those of the last synth.
 */
export const synthesizeApp = async (options: SynthOptions): Promise<CloudAssembly> => {
  const root = options.root ?? PROJECT_ROOT;
  const dir = options.outDir ?? path.join(root, 'cdk.out');
  const stamp = path.join(dir, STAMP);
  const templateFile = path.join(dir, `${options.stackName}.template.json`);
  const hash = hashInputs(root, options.inputs ?? SYNTH_INPUTS, options.app ?? '');
  const reused = options.force !== true && existsSync(templateFile) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (!reused) {
    await runSynth(root, dir, options.app);
    writeFileSync(stamp, hash);
  }
  return { dir, template: JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate, stackName: options.stackName, reused };
};

const runSynth = async (root: string, outDir: string, app: string | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet', '--no-notices', ...(app === undefined ? [] : ['--app', app]), '--output', outDir], {
      cwd: root,
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: 'true',
        // CDK's built-in CloudFormation schema check: the larger part of a synth's time (~7 s of
        // CPU here), and its findings are warnings this quiet synth never shows. It reads the
        // template, never changes it; `cdk synth` and `cdk deploy` still run it. cdk-nag's checks,
        // which fail a synth, still run.
        CDK_VALIDATION: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => reject(new SynthError(error.message)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new SynthError(output.trim()))));
  });

/** The assembly an earlier synth wrote to `dir`, as it is. */
export const loadCloudAssembly = (dir: string, stackName: string): CloudAssembly => ({
  dir,
  template: JSON.parse(readFileSync(path.join(dir, `${stackName}.template.json`), 'utf8')) as CfnTemplate,
  stackName,
  reused: true,
});

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
  /** True when an earlier synth of the same sources was reused. */
  readonly reused: boolean;
}

/** What a synth reads: when none of it changed, the assembly in `cdk.out` is still the app. */
const INPUTS = ['bin', 'lib', 'lambdas', 'package-lock.json', 'cdk.json', 'tsconfig.json'];
const STAMP = '.local-synth-hash';
const STACK = 'OrdersService';

const hashInputs = (root: string): string => {
  const hash = createHash('sha256');
  const visit = (file: string): void => {
    if (!existsSync(file)) return;
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) visit(path.join(file, name));
      return;
    }
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  for (const input of INPUTS) visit(path.join(root, input));
  return hash.digest('hex');
};

/**
 * The app as `cdk deploy` would ship it: `cdk synth` into `cdk.out` (functions bundled by
 * esbuild), skipped when the sources are byte-for-byte those of the last synth.
 */
export const synthesizeApp = async (
  options: { root?: string; outDir?: string; force?: boolean } = {},
): Promise<CloudAssembly> => {
  const root = options.root ?? PROJECT_ROOT;
  const dir = options.outDir ?? path.join(root, 'cdk.out');
  const stamp = path.join(dir, STAMP);
  const templateFile = path.join(dir, `${STACK}.template.json`);
  const hash = hashInputs(root);
  const reused = options.force !== true && existsSync(templateFile) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (!reused) {
    await runSynth(root, dir);
    writeFileSync(stamp, hash);
  }
  return { dir, template: JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate, reused };
};

const runSynth = async (root: string, outDir: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outDir], {
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
export const loadCloudAssembly = (dir: string): CloudAssembly => ({
  dir,
  template: JSON.parse(readFileSync(path.join(dir, `${STACK}.template.json`), 'utf8')) as CfnTemplate,
  reused: true,
});

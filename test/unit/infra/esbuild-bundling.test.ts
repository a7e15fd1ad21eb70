import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EsbuildBundling, type EsbuildBundlingOptions } from '../../../lib/esbuild-bundling';

/**
 * A small project of two entries sharing a module, bundled as ServiceFunction bundles. Its files
 * are dated a minute back: the cache refuses a build whose inputs changed as it started.
 */
let root: string;
let options: EsbuildBundlingOptions;
let outputs = 0;

const write = (file: string, content: string): void => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
};

const backdate = (dir = root): void => {
  const past = new Date(Date.now() - 60_000);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) backdate(file);
    utimesSync(file, past, past);
  }
  utimesSync(dir, past, past);
};

/** Bundle `entry` into a fresh directory of a fresh `cdk.out` (as CDK does), and read what it wrote. */
const bundle = (entry: string): { outcome: string | undefined; js: string; map: string } => {
  const outputDir = path.join(root, `cdk.out-${++outputs}`, `bundling-temp-${entry.replace(/\W/g, '-')}`);
  mkdirSync(outputDir, { recursive: true });
  const bundling = new EsbuildBundling(path.join(root, entry), options);
  bundling.tryBundle(outputDir);
  return {
    outcome: bundling.outcome,
    js: readFileSync(path.join(outputDir, 'index.js'), 'utf8'),
    map: readFileSync(path.join(outputDir, 'index.js.map'), 'utf8'),
  };
};

/** What esbuild alone writes for `entry` with the same flags, at the same depth. */
const esbuildAlone = (entry: string): { js: string; map: string } => {
  const outfile = path.join(root, `cdk.out-${++outputs}`, 'alone', 'index.js');
  buildSync({
    absWorkingDir: root,
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    outfile,
    logLevel: 'silent',
  });
  return { js: readFileSync(outfile, 'utf8'), map: readFileSync(`${outfile}.map`, 'utf8') };
};

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'bundling-'));
  options = {
    projectRoot: root,
    lockFile: path.join(root, 'package-lock.json'),
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourceMap: true,
    externalModules: [],
  };
  write('package.json', '{"name":"fixture","private":true}');
  write('package-lock.json', '{"lockfileVersion":3}');
  write('tsconfig.json', '{"compilerOptions":{"strict":true}}');
  write('src/shared/index.ts', "export const greeting = (name: string): string => `hello ${name}`;\n");
  write('src/a.ts', "import { greeting } from './shared';\nexport const handler = async () => greeting('a');\n");
  write('src/b.ts', "import { greeting } from './shared';\nexport const handler = async () => greeting('b');\n");
  backdate();
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('EsbuildBundling', () => {
  it('writes the bytes esbuild writes for the entry alone, source map included', () => {
    const bundled = bundle('src/a.ts');

    expect(bundled.outcome).toBe('built');
    expect({ js: bundled.js, map: bundled.map }).toEqual(esbuildAlone('src/a.ts'));
  });

  it('serves an unchanged entry from the cache into a new cdk.out, byte for byte', () => {
    const first = bundle('src/a.ts');

    const second = bundle('src/a.ts');

    expect(second.outcome).toBe('cached');
    expect(second).toEqual({ ...first, outcome: 'cached' });
  });

  it('rebuilds when a file the bundle read changes', () => {
    bundle('src/a.ts');
    write('src/shared/index.ts', "export const greeting = (name: string): string => `goodbye ${name}`;\n");
    backdate();

    const rebuilt = bundle('src/a.ts');

    expect(rebuilt.outcome).toBe('built');
    expect(rebuilt.js).toContain('goodbye');
  });

  it('rebuilds when a new file changes where an import resolves', () => {
    bundle('src/a.ts');
    write('src/shared.ts', "export const greeting = (name: string): string => `shadowed ${name}`;\n");
    backdate();

    const rebuilt = bundle('src/a.ts');

    expect(rebuilt.outcome).toBe('built');
    expect(rebuilt.js).toContain('shadowed');
  });

  it('rebuilds when a new file in a folder further up changes where an import resolves', () => {
    write('src/handlers/c.ts', "import { greeting } from '../shared';\nexport const handler = async () => greeting('c');\n");
    backdate();
    bundle('src/handlers/c.ts');
    write('src/shared.ts', "export const greeting = (name: string): string => `shadowed ${name}`;\n");
    backdate();

    const rebuilt = bundle('src/handlers/c.ts');

    expect(rebuilt.outcome).toBe('built');
    expect(rebuilt.js).toContain('shadowed');
  });

  it('rebuilds when the lock file changes', () => {
    bundle('src/a.ts');
    write('package-lock.json', '{"lockfileVersion":3,"packages":{}}');
    backdate();

    expect(bundle('src/a.ts').outcome).toBe('built');
  });

  it('goes back to an earlier build when the sources go back to it', () => {
    const before = bundle('src/a.ts');
    write('src/shared/index.ts', "export const greeting = (name: string): string => `goodbye ${name}`;\n");
    backdate();
    bundle('src/a.ts');
    write('src/shared/index.ts', "export const greeting = (name: string): string => `hello ${name}`;\n");
    backdate();

    const after = bundle('src/a.ts');

    expect(after).toEqual({ ...before, outcome: 'cached' });
  });

  it("builds the other entries' stale bundles in the same run, each as esbuild builds it alone", () => {
    bundle('src/a.ts');
    bundle('src/b.ts');
    write('src/shared/index.ts', "export const greeting = (name: string): string => `goodbye ${name}`;\n");
    backdate();

    expect(bundle('src/a.ts').outcome).toBe('built');
    const b = bundle('src/b.ts');

    expect(b.outcome).toBe('cached');
    expect({ js: b.js, map: b.map }).toEqual(esbuildAlone('src/b.ts'));
  });

  it('still bundles its entry when another stale entry no longer builds', () => {
    bundle('src/a.ts');
    bundle('src/b.ts');
    write('src/shared/index.ts', "export const greeting = (name: string): string => `goodbye ${name}`;\n");
    write('src/b.ts', 'export const handler = (;\n');
    backdate();

    const a = bundle('src/a.ts');

    expect(a.outcome).toBe('built');
    expect(a.js).toContain('goodbye');
  });

  it('does not cache a build whose inputs were modified as it started', () => {
    write('src/shared/index.ts', "export const greeting = (name: string): string => `fresh ${name}`;\n");
    bundle('src/a.ts');

    expect(bundle('src/a.ts').outcome).toBe('built');
  });

  it("fails with esbuild's error when the entry does not build", () => {
    write('src/a.ts', 'export const handler = (;\n');
    backdate();

    expect(() => bundle('src/a.ts')).toThrow(/src\/a\.ts:1:\d+: ERROR/);
  });
});

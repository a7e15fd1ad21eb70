import { createHash } from 'node:crypto';
import {
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync, formatMessagesSync, type Metafile, version as esbuildVersion } from 'esbuild';

/** What esbuild is told; the same flags `NodejsFunction` passes to its esbuild command line. */
export interface EsbuildBundlingOptions {
  /** Where esbuild runs (its working directory), and where the cache lives unless `cacheDir` says otherwise. */
  readonly projectRoot: string;
  /** The npm lock file: part of every cache key. */
  readonly lockFile: string;
  /** esbuild `--target`, e.g. `node22`. */
  readonly target: string;
  readonly format: 'cjs' | 'esm';
  readonly minify: boolean;
  /** esbuild `--sourcemap` (a linked `index.js.map` beside `index.js`). */
  readonly sourceMap: boolean;
  /** Modules left out of the bundle. */
  readonly externalModules: readonly string[];
  /**
   * Where bundles are kept between synths.
   * @default bundleCacheDir(projectRoot)
   */
  readonly cacheDir?: string;
}

/** Where bundles are kept between synths by default: git-ignored, safe to delete at any time. */
export const bundleCacheDir = (projectRoot: string): string => path.join(projectRoot, '.cache', 'bundles');

/**
 * A function's code, bundled by esbuild into one `index.js` (+ `index.js.map`), as `NodejsFunction`
 * bundles it (same flags, same bytes, same `OUTPUT` asset hash), but faster when the sources did
 * not change. See `EsbuildBundling`.
 */
export const esbuildCode = (entry: string, options: EsbuildBundlingOptions): Code =>
  Code.fromAsset(options.projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling either succeeds or fails the synth (no Docker fallback).
      image: DockerImage.fromRegistry('esbuild-runs-locally'),
      local: new EsbuildBundling(entry, options),
    },
  });

/** The cache layout; bump `FORMAT` when it changes. */
const FORMAT = 1;
/** An input modified this close to (or after) the start of a build may not be what esbuild read. */
const RACY_MS = 1000;
/** Builds kept per entry: going back to a recent version of the sources (an undo, a branch) needs no build. */
const BUILDS_KEPT = 3;
/** A cached bundle not asked for in this long is no longer rebuilt alongside the others. */
const RECENT_MS = 7 * 24 * 3600 * 1000;

interface Manifest {
  readonly format: number;
  /** The entry's absolute path. */
  readonly entry: string;
  /** The directory under the slot holding this build's files. */
  readonly build: string;
  /**
   * Every file esbuild read (from its metafile) and what decides how its imports resolve, each
   * with its content hash (`-`: absent); `dir:` keys hash a directory's listing.
   */
  readonly inputs: Record<string, string>;
  /** Each file read, relative to the output's parent directory (source maps name their sources that way). */
  readonly placement: Record<string, string>;
}

const ABSENT = '-';
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Hashes already computed in this process, each with the `stat` it was computed at (inode, size,
 * mtime, ctime), so a file changed since is hashed again: functions share most of their inputs.
 */
const known = new Map<string, { readonly stamp: string; readonly hash: string }>();

/** A file's content hash, or a directory's sorted listing for a `dir:` key; `-` if absent. */
const hashOf = (key: string): { readonly hash: string; readonly mtimeMs: number } => {
  const isDir = key.startsWith('dir:');
  const file = isDir ? key.slice(4) : key;
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats === undefined || stats.isDirectory() !== isDir) return { hash: ABSENT, mtimeMs: 0 };
  const stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
  let entry = known.get(key);
  if (entry?.stamp !== stamp) {
    entry = { stamp, hash: isDir ? sha256(readdirSync(file).sort().join('\n')) : sha256(readFileSync(file)) };
    known.set(key, entry);
  }
  return { hash: entry.hash, mtimeMs: stats.mtimeMs };
};

/**
 * `NodejsFunction`'s local esbuild bundling, run in process, with a cache that outlives `cdk.out`.
 *
 * - **Cache.** Bundles are kept under `.cache/bundles/<group>/<entry>/<build>/` (the last three
 *   builds of each entry), each with a manifest of what decided its bytes: the content of every
 *   file esbuild read (its metafile); the `package.json`, `tsconfig.json` and `jsconfig.json` of
 *   every directory above them, the listings of their directories and of the `node_modules`
 *   folders above them (a new file or package can change where an import resolves); and the lock
 *   files. The group key holds esbuild's version, the flags, `NODE_PATH`, and where the output
 *   sits relative to the project (source maps name their sources relative to it). A build whose
 *   every hash matches the files as they are is served by copying its files. Otherwise esbuild
 *   runs; its bundle is cached unless a file was modified while it ran or a tsconfig `extends`
 *   another (not followed here).
 * - **One build for many.** On a miss, the other entries of the same group asked for in the last
 *   week whose bundles are stale are built in the same esbuild run: it parses each shared module
 *   (the AWS SDK above all) once and uses every core; their functions, constructed next, find them
 *   cached. One build of several entries writes the same bytes as one build of each.
 */
export class EsbuildBundling implements ILocalBundling {
  /** What the last `tryBundle` did: served the bundle from the cache, or ran esbuild. */
  public outcome: 'cached' | 'built' | undefined;

  public constructor(
    public readonly entry: string,
    public readonly options: EsbuildBundlingOptions,
  ) {}

  /** What CDK hashes when bundling is skipped (template tests): nothing machine-specific. */
  public toJSON(): Record<string, unknown> {
    const { projectRoot, lockFile, cacheDir, ...flags } = this.options;
    return { entry: path.relative(projectRoot, this.entry), ...flags };
  }

  public tryBundle(outputDir: string): boolean {
    const outParent = path.dirname(outputDir);
    const group = this.group(outParent);
    const slot = slotOf(group, this.entry, this.options.projectRoot);
    if (serve(slot, outputDir)) {
      this.outcome = 'cached';
    } else {
      const others = staleEntries(group, slot, outParent);
      try {
        this.build([this.entry, ...others], outputDir, group);
      } catch (error: unknown) {
        // One of the others may no longer build (code no function uses now): not this function's problem.
        if (others.length === 0) throw error;
        this.build([this.entry], outputDir, group);
      }
      this.outcome = 'built';
    }
    markRequested(slot);
    return true;
  }

  private buildOptions(): BuildOptions {
    const { projectRoot, target, format, minify, sourceMap, externalModules } = this.options;
    return {
      absWorkingDir: projectRoot,
      bundle: true,
      platform: 'node',
      target,
      format,
      minify,
      sourcemap: sourceMap,
      external: [...externalModules],
      // Errors travel in the thrown error (CDK prints it); warnings are printed below.
      logLevel: 'silent',
    };
  }

  private group(outParent: string): string {
    const key = sha256(
      JSON.stringify({
        format: FORMAT,
        esbuild: esbuildVersion,
        options: this.buildOptions(),
        nodePath: process.env.NODE_PATH ?? null,
        outputToProject: path.relative(outParent, this.options.projectRoot),
      }),
    );
    return path.join(this.options.cacheDir ?? bundleCacheDir(this.options.projectRoot), key.slice(0, 32));
  }

  /** One esbuild run for `entries`: the first one's bundle goes to `outputDir`, every one's to the cache. */
  private build(entries: string[], outputDir: string, group: string): void {
    const { projectRoot } = this.options;
    const outParent = path.dirname(outputDir);
    // Every bundle is written at the depth CDK's output directory has, so its source map is the same.
    const outDirs = entries.map((_, i) => (i === 0 ? outputDir : `${outputDir}-also-${i}`));
    const started = Date.now();
    try {
      const { metafile, warnings } = buildSync({
        ...this.buildOptions(),
        entryPoints: entries.map((entry, i) => ({ in: entry, out: path.relative(outParent, path.join(outDirs[i] ?? '', 'index')) })),
        outdir: outParent,
        metafile: true,
      });
      for (const warning of formatMessagesSync(warnings, { kind: 'warning' })) process.stderr.write(warning);
      entries.forEach((entry, i) => {
        const outDir = outDirs[i] ?? '';
        const read = inputsOf(metafile, path.relative(projectRoot, path.join(outDir, 'index.js')), projectRoot);
        const manifest = manifestFor(entry, read, outParent, started, this.options);
        try {
          if (manifest !== undefined) store(slotOf(group, entry, projectRoot), manifest, outDir);
        } catch (error: unknown) {
          // The bundle is built; only the next synth loses. Say so rather than fail this one.
          process.stderr.write(`Could not cache the bundle of ${entry}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      });
    } finally {
      for (const dir of outDirs.slice(1)) rmSync(dir, { recursive: true, force: true });
    }
  }
}

const slotOf = (group: string, entry: string, projectRoot: string): string =>
  path.join(group, sha256(path.relative(projectRoot, entry)).slice(0, 32));

/** `requested`'s mtime: when a function last asked for this bundle (being built alongside others does not count). */
const markRequested = (slot: string): void => {
  if (existsSync(slot)) writeFileSync(path.join(slot, 'requested'), '');
};

/** The slot's builds, most recently used first, each with its manifest. */
const buildsOf = (slot: string): { readonly dir: string; readonly manifest: Manifest }[] => {
  const names = existsSync(slot) ? readdirSync(slot).filter((name) => name !== 'requested' && !name.includes('.tmp-')) : [];
  const builds: { dir: string; manifest: Manifest; used: number }[] = [];
  for (const name of names) {
    const dir = path.join(slot, name);
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
      if (manifest.format === FORMAT) builds.push({ dir, manifest, used: statSync(dir).mtimeMs });
    } catch {
      // Pruned by another synth meanwhile, or not ours: skip.
    }
  }
  return builds.sort((a, b) => b.used - a.used);
};

/** True when every hash in the manifest matches the files as they are, and the output sits where it sat. */
const isFresh = (manifest: Manifest, outParent: string): boolean =>
  Object.entries(manifest.inputs).every(([key, hash]) => hashOf(key).hash === hash) &&
  Object.entries(manifest.placement).every(([file, relative]) => path.relative(outParent, file) === relative);

/** Copy the slot's build made from the files as they are into `outputDir`; false if it has none. */
const serve = (slot: string, outputDir: string): boolean => {
  const fresh = buildsOf(slot).find((build) => isFresh(build.manifest, path.dirname(outputDir)));
  if (fresh === undefined) return false;
  try {
    copyBundle(fresh.dir, outputDir);
    const now = new Date();
    utimesSync(fresh.dir, now, now);
    return true;
  } catch {
    // Pruned by another synth between reading the manifest and copying: build instead.
    return false;
  }
};

/** The group's other entries, asked for in the last week, whose entry file exists and none of whose builds is fresh. */
const staleEntries = (group: string, slot: string, outParent: string): string[] => {
  const slots = existsSync(group) ? readdirSync(group).map((name) => path.join(group, name)) : [];
  const stale: string[] = [];
  for (const other of slots) {
    const requested = statSync(path.join(other, 'requested'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (other === slot || Date.now() - requested > RECENT_MS) continue;
    const builds = buildsOf(other);
    const entry = builds[0]?.manifest.entry;
    if (entry !== undefined && existsSync(entry) && !builds.some((build) => isFresh(build.manifest, outParent))) stale.push(entry);
  }
  return stale.sort();
};

/** The files reachable from `output`'s entry point through its imports: what a build of that entry alone reads. */
const inputsOf = (metafile: Metafile, output: string, projectRoot: string): string[] => {
  const entryPoint = metafile.outputs[output.split(path.sep).join('/')]?.entryPoint;
  if (entryPoint === undefined) throw new Error(`esbuild's metafile has no entry point for ${output}`);
  const seen = new Set<string>([entryPoint]);
  const queue = [entryPoint];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const imported of metafile.inputs[next]?.imports ?? []) {
      if (imported.external === true || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return [...seen].map((input) => path.resolve(projectRoot, input)).sort();
};

/**
 * The manifest of a bundle esbuild built from `read`, or undefined when it must not be cached: a
 * file was modified while esbuild ran, or a tsconfig `extends` another.
 */
const manifestFor = (
  entry: string,
  read: string[],
  outParent: string,
  started: number,
  { projectRoot, lockFile }: EsbuildBundlingOptions,
): Manifest | undefined => {
  const keys = new Set<string>([lockFile, path.join(projectRoot, 'node_modules', '.package-lock.json')]);
  for (const file of read) {
    keys.add(file);
    keys.add(`dir:${path.dirname(file)}`);
    // Every folder between the file and the project root: a file added there can take over an
    // import that now resolves to a folder's index (`../shared` -> `shared.ts` before `shared/index.ts`).
    // The root's own listing is left out (it changes with every `cdk.out`).
    for (let dir = path.dirname(file); dir.startsWith(`${projectRoot}${path.sep}`); dir = path.dirname(dir)) keys.add(`dir:${dir}`);
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      for (const name of ['package.json', 'tsconfig.json', 'jsconfig.json']) keys.add(path.join(dir, name));
      keys.add(`dir:${path.join(dir, 'node_modules')}`);
      if (dir === path.dirname(dir)) break;
    }
  }
  const inputs: Record<string, string> = {};
  for (const key of [...keys].sort()) {
    const { hash, mtimeMs } = hashOf(key);
    if (mtimeMs > started - RACY_MS) return undefined;
    inputs[key] = hash;
  }
  const configs = Object.keys(inputs).filter((key) => /[\\/][tj]sconfig\.json$/.test(key) && inputs[key] !== ABSENT);
  if (configs.some((config) => /"extends"\s*:/.test(readFileSync(config, 'utf8')))) return undefined;
  const placement = Object.fromEntries(read.map((file) => [file, path.relative(outParent, file)]));
  return { format: FORMAT, entry, build: sha256(JSON.stringify({ inputs, placement })).slice(0, 32), inputs, placement };
};

/** The bundle's files (`index.js`, its source map), without the manifest. */
const copyBundle = (from: string, to: string): void => {
  for (const name of readdirSync(from)) {
    if (name !== 'manifest.json') copyFileSync(path.join(from, name), path.join(to, name), constants.COPYFILE_FICLONE);
  }
};

/** Add a build to its slot (written under a temporary name, then renamed), keeping the most recently used few. */
const store = (slot: string, manifest: Manifest, outDir: string): void => {
  const target = path.join(slot, manifest.build);
  const temp = `${target}.tmp-${process.pid}`;
  mkdirSync(temp, { recursive: true });
  copyBundle(outDir, temp);
  writeFileSync(path.join(temp, 'manifest.json'), JSON.stringify(manifest));
  try {
    renameSync(temp, target);
  } catch {
    // Already there (the same inputs give the same build): keep that one.
    rmSync(temp, { recursive: true, force: true });
    const now = new Date();
    utimesSync(target, now, now);
  }
  for (const old of buildsOf(slot).slice(BUILDS_KEPT)) rmSync(old.dir, { recursive: true, force: true });
};

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Every temporary folder a test run makes (CDK's `cdk.out*` assemblies of template tests,
 * `mkdtemp` data folders) goes into one folder of its own, removed when the run ends, so a run
 * leaves nothing in the OS temp dir. Workers start after global setup and inherit `TMPDIR`.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'orders-outbox-tests-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}

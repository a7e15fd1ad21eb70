import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('cdk synth', () => {
  it('synthesizes the app offline, bundling every function with esbuild from npm', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
    try {
      execFileSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', out], {
        cwd: path.resolve(__dirname, '../../..'),
        // No credentials, no network: synth must not need either.
        env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', CDK_DISABLE_VERSION_CHECK: 'true' },
        stdio: 'pipe',
        timeout: 120_000,
      });

      const template = JSON.parse(readFileSync(path.join(out, 'OrdersService.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
      };
      const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions).toHaveLength(10);
      for (const fn of functions) {
        const bundle = path.join(out, fn.Metadata?.['aws:asset:path'] ?? 'missing', 'index.js');
        expect(existsSync(bundle)).toBe(true);
        expect(statSync(bundle).size).toBeGreaterThan(10_000);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});

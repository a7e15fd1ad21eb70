import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports';

/** `npm start` as a user runs it: a process of its own, its output, its exit. */
const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');

interface Run {
  readonly child: ChildProcess;
  output(): string;
  exit: Promise<number | null>;
}

const start = (args: string[], env: NodeJS.ProcessEnv = process.env): Run => {
  const child = spawn(process.execPath, [tsx, 'local/start.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
};

describe('npm start', () => {
  it('starts the local stack, answers on its port, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const run = start(['--in-memory', '--port', String(port)]);
    try {
      let health: Response | undefined;
      for (let i = 0; i < 600 && health?.status !== 200; i++) {
        health = await fetch(`http://127.0.0.1:${port}/_local/health`).catch(() => undefined);
        if (health?.status !== 200) await sleep(100);
      }
      const minted = await fetch(`http://127.0.0.1:${port}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'c-1' }),
      });
      const { token } = (await minted.json()) as { token: string };
      const created = await fetch(`http://127.0.0.1:${port}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }),
      });

      expect(health?.status).toBe(200);
      expect(created.status).toBe(201);
      expect(run.output()).toContain(`API          http://127.0.0.1:${port}`);
      expect(run.output()).toContain('in memory (--in-memory): nothing is kept');
      expect(run.output()).toMatch(/auth {9}JWT on (\d+) of \1 routes, issuer http:\/\/127\.0\.0\.1:\d+\/_local\/issuer/);
      expect(run.output()).toContain(`TOKEN=$(curl -s -X POST http://127.0.0.1:${port}/_local/token`);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.exit).toBe(0);
    expect(run.output()).toContain('Stopping...');
  }, 120_000);

  it('says which port is taken and how to pick another', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const run = start(['--in-memory', '--port', String(port), '--quiet']);

      expect(await run.exit).toBe(1);
      expect(run.output()).toContain(`Port ${port} is in use. Pick another: PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  }, 120_000);

  it('says how to install Java when there is none', async () => {
    // Node is started by its absolute path; with an empty PATH there is no java to find.
    const run = start(['--in-memory'], { ...process.env, PATH: '/nonexistent' });

    expect(await run.exit).toBe(1);
    expect(run.output()).toContain('Java 17+ is needed to run DynamoDB Local');
    expect(run.output()).toContain('apt-get install openjdk-17-jre-headless');
  });
});

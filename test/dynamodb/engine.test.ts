import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../local/dynamodb/engine';

/**
 * DynamoDB Local's sqlite4java unpacks its native library into the JVM's temp dir and leaves it
 * there: each engine start gets a temp dir of its own, gone when the engine is.
 */
describe('the DynamoDB Local engine', () => {
  it('gives the JVM a temp dir of its own (where sqlite4java unpacks its library) and removes it on stop', async () => {
    const engine = await startDynamoDbLocal();
    const during = readdirSync(engine.tempDir);

    await engine.stop();

    expect(during.some((name) => name.includes('sqlite4java'))).toBe(true);
    expect(existsSync(engine.tempDir)).toBe(false);
  });

  it('removes the temp dir when the JVM is killed with SIGKILL', async () => {
    const engine = await startDynamoDbLocal();
    const existed = existsSync(engine.tempDir);

    // Never signal pid 0 (this whole process group): no pid is a failure of its own.
    if (engine.pid === undefined) throw new Error('DynamoDB Local reported no process id.');
    process.kill(engine.pid, 'SIGKILL');
    await engine.stop();

    expect(existed).toBe(true);
    expect(existsSync(engine.tempDir)).toBe(false);
  });
});

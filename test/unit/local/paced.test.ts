import { describe, expect, it } from 'vitest';
import { PacedValue, pacedLoop, pauseAfter } from '../../../local/paced';

describe('paced housekeeping of the local stack', () => {
  it('pauses long enough to keep a scan to its share of the time, never less than the minimum', () => {
    expect(pauseAfter(10, 2000, 0.1)).toBe(2000);
    expect(pauseAfter(3000, 2000, 0.1)).toBe(27_000);
  });

  it('never overlaps runs of a loop, and stops after the run in flight', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const loop = pacedLoop(
      async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
        runs += 1;
      },
      { minIntervalMs: 1, share: 0.99 },
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
    await loop.stop();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(maxRunning).toBe(1);
    expect(after).toBeGreaterThan(1);
    expect(runs).toBe(after);
  });

  it('recomputes a cheap value at every ask and reuses a costly one while it is young', async () => {
    let calls = 0;
    const cheap = new PacedValue(async () => ++calls, { share: 0.1, freshUnderMs: 250 });
    expect(await cheap.get()).toBe(1);
    expect(await cheap.get()).toBe(2);

    let costly = 0;
    const slow = new PacedValue(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        return ++costly;
      },
      { share: 0.1, freshUnderMs: 50 },
    );
    const asked = Date.now();
    const [a, b] = await Promise.all([slow.get(asked), slow.get(asked)]);
    expect([a, b]).toEqual([1, 1]);
    expect(await slow.get(Date.now() + 1)).toBe(1);
    expect(await slow.get(Date.now() + 10 * 60_000)).toBe(2);
  });
});

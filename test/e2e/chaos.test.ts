import { describe, expect, inject, it } from 'vitest';
import { type ChaosTable, runChaos } from '../../local/chaos';
import { formatTable } from '../../local/chaos/report';
import { loadCloudAssembly } from '../../local/synth';

/**
 * `npm run chaos` at a test's size: its own local stack (on-disk data, its own DynamoDB Local,
 * one restart), every fault in its phase, then the audit.
 */
describe('the chaos run', () => {
  let table: ChaosTable;

  it('delivers every accepted change once or more, in order, and nothing else, through every fault', { timeout: 300_000 }, async () => {
    table = await runChaos({
      orders: 150,
      concurrency: 16,
      seed: 9,
      // A small run calls the relay a few dozen times: at the CLI's 5% it could see no crash.
      rates: { relayCrashAfterPublishRate: 0.2 },
      assembly: loadCloudAssembly(inject('cloudAssemblyDir')),
      progress: () => undefined,
    });

    expect(table.ordersDone).toBe(150);
    expect(table, formatTable(table)).toMatchObject({ lost: 0, invented: 0, eventIdSplits: 0, orderViolations: 0, readModelsUnequal: 0 });
    expect(table, formatTable(table)).toMatchObject({ commandsRefused: 0, unexpectedVersions: 0, writeModelUnexpected: 0, pendingLeft: 0, parkedLeft: 0 });
    expect(table.ok).toBe(true);
  });

  it('lives through every fault phase the contract lists', () => {
    expect(table.faultsUnavailable).toEqual([]);
    expect(table.faults.putEventsEntriesFailed).toBeGreaterThan(0);
    expect(table.faults.relayCrashes).toBeGreaterThan(0);
    expect(table.faults.relayPauseMs).toBeGreaterThan(0);
    expect(table.faults.refusedOrders).toBeGreaterThan(0);
    expect(table.faults.parkedPeak).toBeGreaterThan(0);
    expect(table.faults.parkedRetried).toBeGreaterThan(0);
    expect(table.faults.projectorFailures).toBeGreaterThan(0);
    expect(table.faults.auditFailures).toBe(1);
    expect(table.faults.restarts).toBe(1);
    expect(table.faults.reconcilerRuns).toBeGreaterThan(3);
  });
});

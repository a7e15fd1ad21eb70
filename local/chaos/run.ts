import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../events/bus';
import { synthesizeOrdersApp } from '../apps/orders-stack';
import { auditDeliveries } from './audit';
import { OrderDriver } from './orders';
import { FaultController, noFaults } from './faults';
import { ChaosHttp, tokenHeaders } from './http';
import { Reconciler, converge, retriedCount } from './converge';
import { PHASES, Window } from './plan';
import { type ChaosTable, formatProgress } from './report';
import type { ChaosOptions, FaultRates } from './options';
import { ChaosStack, dataRoot } from './stack';

export type { ChaosOptions, FaultRates } from './options';

/**
 * The chaos run: N orders through their whole lifecycle over real HTTP on a local stack of its
 * own (on-disk data), with every fault of the local stack injected in phases and one restart;
 * then everything is drained and audited. Returns the table; the stack and its data are gone.
 */
export const runChaos = async (options: ChaosOptions = {}): Promise<ChaosTable> => {
  const started = Date.now();
  const orders = options.orders ?? 2000;
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 24, orders));
  const seed = options.seed ?? 1;
  const say = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const aborter = new AbortController();
  const abort = (): void => aborter.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const signal = aborter.signal;
  // Every request in flight listens to it.
  setMaxListeners(0, signal);
  const rates: FaultRates = {
    eventBridgeFailureRate: PHASES.transient.eventBridgeFailureRate,
    relayCrashAfterPublishRate: PHASES.transient.relayCrashAfterPublishRate,
    projectorFailureRate: PHASES.projector.projectorFailureRate,
    ...options.rates,
  };

  const assembly = options.assembly ?? (await synthesizeOrdersApp());
  const dataDir = mkdtempSync(path.join(dataRoot(), 'orders-chaos-'));
  const chaos = new ChaosStack({ dataDir, assembly, seed, ...(options.logFile === undefined ? {} : { logFile: options.logFile }) });
  // Even when the process is made to exit at once (a second Ctrl-C), no data folder is left behind.
  const removeDataDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeDataDir);
  try {
    await chaos.start();
    const admin = new ChaosHttp(chaos.url, signal);
    const api = new ChaosHttp(chaos.url, signal, seededRandom(seed));
    const faults = new FaultController(() => admin, say);
    await faults.probe();
    let auth = await tokenHeaders(admin);
    const reconciler = new Reconciler(admin);
    say(`chaos: ${orders} orders, concurrency ${concurrency}, seed ${seed}, stack ${chaos.url}, data ${dataDir}`);

    // The refusals end once the bus has refused an entry of every refused order and parked items
    // were seen (the relay may run far behind the commands).
    const refusedIds: string[] = [];
    const refuse = new Window(
      PHASES.refuse.from,
      PHASES.refuse.to,
      () => refusedIds.every((id) => chaos.counts.refusedAggregates.has(id)) && Math.max(evidence.parkedPeak, reconciler.parkedPeak) > 0,
    );
    let placedWhileRefusing = 0;
    const driver: OrderDriver = new OrderDriver({
      orders,
      seed,
      http: api,
      auth: () => auth,
      afterPlace: async (orderId) => {
        if (!refuse.active || driver.progress >= PHASES.refuse.to || !faults.available('eventBridgeRejectAggregateIds')) return;
        // The id is known only now: refuse it before its next command, so its later versions park behind.
        if (placedWhileRefusing++ % PHASES.refuse.refuseEvery === 0) {
          refusedIds.push(orderId);
          await faults.set({ eventBridgeRejectAggregateIds: [...refusedIds] });
        }
      },
    });
    let workersDone = false;
    let workerError: unknown;
    const workers = driver
      .driveAll(concurrency, signal)
      .catch((error: unknown) => {
        workerError = error;
        aborter.abort();
      })
      .finally(() => {
        workersDone = true;
      });

    // The conductor: faults by progress, reconciler runs, the restart, progress lines.
    const evidence = { relayPauseMs: 0, pendingPeakWhilePaused: 0, parkedPeak: 0, parkedRetried: undefined as number | undefined, auditFailures: 0, auditFailRuns: 0 };
    // Each phase lasts until its fault was seen at work (bounded): see Window.
    const transient = new Window(PHASES.transient.from, PHASES.transient.to, () => chaos.counts.relayCrashes > 0 && chaos.failedEntries > 0);
    const relayPause = new Window(PHASES.relayPause.from, PHASES.relayPause.to, () => evidence.pendingPeakWhilePaused > 0);
    const projector = new Window(PHASES.projector.from, PHASES.projector.to, () => chaos.counts.projectorFailures > 0);
    // The phase's first relay invocation crashes for sure (a run of any size shows a crash and
    // its recovery); after that, the plan's share of invocations.
    const firstCrashRate = (): number => (chaos.counts.relayCrashes === 0 && rates.relayCrashAfterPublishRate > 0 ? 1 : rates.relayCrashAfterPublishRate);
    let crashRate = 0;
    let retriedParked = false;
    let parkedRetryDone = false;
    let restarted = false;
    let auditFailed = false;
    let pausedAt = 0;
    let lastReconcile = 0;
    let lastLine = 0;
    let outbox: { pending?: number; parked?: number } = {};
    let outboxInFlight = false;
    const pollOutbox = (): void => {
      if (outboxInFlight) return;
      outboxInFlight = true;
      void admin
        .send('GET', '/_local/outbox', { deadlineMs: 30_000 })
        .then((answer) => {
          outbox = answer.body as typeof outbox;
          evidence.parkedPeak = Math.max(evidence.parkedPeak, outbox.parked ?? 0);
          if (relayPause.active) evidence.pendingPeakWhilePaused = Math.max(evidence.pendingPeakWhilePaused, outbox.pending ?? 0);
        })
        .catch(() => undefined)
        .finally(() => {
          outboxInFlight = false;
        });
    };

    // One-shot reconciler runs (retryParked, the failing audit) queue behind the periodic ones; the conductor never waits for them.
    let openTasks = 0;
    let taskError: unknown;
    const track = (task: Promise<void>): void => {
      openTasks += 1;
      task
        .catch((error: unknown) => {
          taskError ??= error;
        })
        .finally(() => {
          openTasks -= 1;
        });
    };
    const phasesDone = (): boolean =>
      !transient.active && !relayPause.active && !refuse.active && !projector.active && retriedParked && restarted && auditFailed && openTasks === 0;
    while (!(workersDone && phasesDone()) && !signal.aborted) {
      const now = Date.now();
      const progress = workersDone ? 1 : driver.progress;
      const t = transient.step(progress, now);
      if (t !== undefined) {
        const on = t === 'start';
        crashRate = on ? firstCrashRate() : 0;
        await faults.set({ eventBridgeFailureRate: on ? rates.eventBridgeFailureRate : 0, relayCrashAfterPublishRate: crashRate });
      } else if (transient.active && crashRate !== firstCrashRate()) {
        crashRate = firstCrashRate();
        await faults.set({ relayCrashAfterPublishRate: crashRate });
      }
      const p = relayPause.step(progress, now);
      if (p === 'start') pausedAt = now;
      if (p === 'end') evidence.relayPauseMs += now - pausedAt;
      if (p !== undefined) await faults.set({ relayPaused: p === 'start' });
      if (refuse.step(progress, now) === 'end') await faults.set({ eventBridgeRejectAggregateIds: [] });
      if (!retriedParked && progress >= PHASES.retryParked.at && refuse.happened && !refuse.active) {
        retriedParked = true;
        track(
          reconciler.enqueue(async () => {
            const run = await reconciler.run({ retryParked: true, graceSeconds: 0, maxItems: PHASES.reconciler.maxItems });
            evidence.parkedRetried = retriedCount(run.result);
            parkedRetryDone = true;
            say(`chaos: refusals lifted; reconciler retryParked: ${JSON.stringify(run.result?.retried ?? `HTTP ${run.status}`)}`);
          }),
        );
      }
      const j = projector.step(progress, now);
      if (j !== undefined) await faults.set({ projectorFailureRate: j === 'start' ? rates.projectorFailureRate : 0 });
      if (!restarted && progress >= PHASES.restart.at) {
        restarted = true;
        say('chaos: restarting the local stack (requests in flight fail and are retried with their keys)');
        const before = Date.now();
        await chaos.restart();
        auth = await tokenHeaders(admin);
        await faults.apply();
        say(`chaos: the local stack is back after ${((Date.now() - before) / 1000).toFixed(1)} s`);
      }
      if (!auditFailed && progress >= PHASES.auditFails.at) {
        auditFailed = true;
        track(
          reconciler.enqueue(async () => {
            await faults.set({ auditFails: true });
            try {
              const run = await reconciler.run({ graceSeconds: 0, maxItems: PHASES.reconciler.maxItems });
              evidence.auditFailRuns += 1;
              if (run.status !== 200 || run.result?.auditError !== undefined) evidence.auditFailures += 1;
              say(`chaos: reconciler run with a failing audit: HTTP ${run.status}, auditError ${JSON.stringify(run.result?.auditError ?? null)}, sweep ${JSON.stringify(run.result?.sweep ?? null)}`);
            } finally {
              await faults.set({ auditFails: false });
            }
          }),
        );
      }
      if (now - lastReconcile >= PHASES.reconciler.everyMs) {
        lastReconcile = now;
        reconciler.startIfIdle({ graceSeconds: PHASES.reconciler.graceSeconds, maxItems: PHASES.reconciler.maxItems });
      }
      // The pause and the refusals are short at small N: watch the outbox closely while they last.
      if (relayPause.active || (refuse.happened && !parkedRetryDone)) pollOutbox();
      if (now - lastLine >= (options.progressEveryMs ?? 3000)) {
        lastLine = now;
        pollOutbox();
        say(formatProgress({ elapsedMs: now - started, ordersDone: driver.ordersDone, orders, commands: driver.accepted.length, planned: driver.planned, retried: api.stats.retries, replays: driver.replays, events: chaos.stack.events, outbox, faults: faults.describe() }));
      }
      await sleep(200);
    }
    await workers;
    if (workerError !== undefined) throw workerError;
    if (taskError !== undefined) throw taskError;
    if (signal.aborted) throw new Error('The chaos run was stopped.');
    await reconciler.idle();

    // The end: no faults, everything drained, the read model converged; then the audit.
    await faults.set(noFaults());
    const drained = await converge({ admin, reconciler, chaos, accepted: driver.accepted, say, orders });
    evidence.parkedPeak = Math.max(evidence.parkedPeak, drained.parkedPeak, reconciler.parkedPeak);
    const deliveries = auditDeliveries(driver.accepted, chaos.stack.events);
    const table: ChaosTable = {
      orders,
      ordersDone: driver.ordersDone,
      concurrency,
      seed,
      commandsAccepted: driver.accepted.length,
      commandsRefused: driver.refusals.length,
      unexpectedVersions: driver.unexpectedVersions,
      requestsRetried: api.stats.retries,
      replays: driver.replays,
      ...deliveries,
      readModelsUnequal: drained.models.readModelsUnequal,
      writeModelUnexpected: drained.models.writeModelUnexpected,
      pendingLeft: drained.pending,
      parkedLeft: drained.parked,
      faults: {
        putEventsEntriesFailed: chaos.failedEntries,
        relayCrashes: chaos.counts.relayCrashes,
        relayInvocationsFailed: chaos.counts.relayInvocationsFailed,
        relayPauseMs: evidence.relayPauseMs,
        pendingPeakWhilePaused: evidence.pendingPeakWhilePaused,
        refusedOrders: refusedIds.length,
        refusedEntries: chaos.counts.refusedEntries,
        parkedPeak: evidence.parkedPeak,
        parkedRetried: evidence.parkedRetried ?? null,
        projectorFailures: chaos.counts.projectorFailures,
        auditFailRuns: evidence.auditFailRuns,
        auditQueriesRefused: chaos.counts.auditQueriesRefused,
        auditFailures: evidence.auditFailures,
        reconcilerRuns: reconciler.runs,
        reconcilerErrors: reconciler.errors,
        reconcilerLongestRunMs: reconciler.longestRunMs,
        republished: reconciler.republished,
        reconcilerRunsDone: chaos.counts.reconcilerRunsDone,
        sweepRepublished: chaos.counts.sweepRepublished,
        readModelRepairs: reconciler.readModelRepairs,
        auditErrors: reconciler.auditErrors,
        deliveriesGivenUp: chaos.counts.deliveriesGivenUp,
        restarts: chaos.restarts,
      },
      faultsUnavailable: [...faults.unavailable],
      drainMs: drained.drainMs,
      convergeMs: drained.convergeMs,
      wallTimeMs: Date.now() - started,
      samples: { ...deliveries.samples, ...drained.models.samples, refusals: driver.refusals.slice(0, 5) },
      ok: false,
    };
    table.ok =
      table.lost + table.invented + table.eventIdSplits + table.orderViolations + table.readModelsUnequal === 0 &&
      table.commandsRefused + table.unexpectedVersions + table.writeModelUnexpected === 0 &&
      table.ordersDone === orders;
    if (!table.ok && chaos.tail.length > 0) say(`chaos: the local stack's last notable lines:\n  ${chaos.tail.join('\n  ')}`);
    return table;
  } finally {
    aborter.abort();
    options.signal?.removeEventListener('abort', abort);
    await chaos.close().catch(() => undefined);
    removeDataDir();
    process.removeListener('exit', removeDataDir);
  }
};

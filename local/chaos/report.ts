import type { AcceptedEvent } from '../events/bus';
import type { DeliveryAudit } from './audit';
import type { FaultName } from './faults';

/** What the faults did, as the run and the stack's log saw it. */
export interface FaultEvidence {
  /** PutEvents entries the bus failed, transient and permanent. */
  readonly putEventsEntriesFailed: number;
  readonly relayCrashes: number;
  readonly relayInvocationsFailed: number;
  readonly relayPauseMs: number;
  readonly pendingPeakWhilePaused: number;
  readonly refusedOrders: number;
  readonly refusedEntries: number;
  readonly parkedPeak: number;
  /** What the retryParked run reported moving back to pending; null when it did not say. */
  readonly parkedRetried: number | null;
  readonly projectorFailures: number;
  readonly auditFailRuns: number;
  readonly auditQueriesRefused: number;
  /** Of those, runs that reported the audit failing (auditError, or the whole run failed). */
  readonly auditFailures: number;
  readonly reconcilerRuns: number;
  readonly reconcilerErrors: number;
  readonly reconcilerLongestRunMs: number;
  /** Items the driver's runs' sweeps republished. */
  readonly republished: number;
  /** Reconciler runs that finished, the driver's and the template's schedule's (from the function's log). */
  readonly reconcilerRunsDone: number;
  /** Items every run's sweep republished. */
  readonly sweepRepublished: number;
  readonly readModelRepairs: number;
  /** Reconciler runs, of all, that reported `auditError`. */
  readonly auditErrors: number;
  readonly deliveriesGivenUp: number;
  readonly restarts: number;
}

/** The delivery audit's counts (not its samples), with what the run did and left. */
export interface ChaosTable extends Omit<DeliveryAudit, 'samples'> {
  readonly orders: number;
  readonly ordersDone: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly commandsAccepted: number;
  /** Commands the API answered with a 4xx (the driver sends only valid ones). */
  readonly commandsRefused: number;
  /** Accepted commands whose version was not the previous one plus 1. */
  readonly unexpectedVersions: number;
  /** Requests sent again, with their key, after a network error or a 5xx. */
  readonly requestsRetried: number;
  /** Answers marked `Idempotent-Replayed: true`. */
  readonly replays: number;
  readonly readModelsUnequal: number;
  readonly writeModelUnexpected: number;
  readonly pendingLeft: number | null;
  readonly parkedLeft: number | null;
  readonly faults: FaultEvidence;
  readonly faultsUnavailable: FaultName[];
  readonly drainMs: number;
  readonly convergeMs: number;
  readonly wallTimeMs: number;
  readonly samples: Record<string, string[]>;
  ok: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export const formatProgress = (p: {
  elapsedMs: number;
  ordersDone: number;
  orders: number;
  commands: number;
  planned: number;
  retried: number;
  replays: number;
  events: readonly AcceptedEvent[];
  outbox: { pending?: number; parked?: number };
  faults: string;
}): string => {
  const distinct = new Set(p.events.map(({ event }) => `${String(event.detail.aggregateId)}#${String(event.detail.version)}`)).size;
  return (
    `chaos ${seconds(p.elapsedMs).padStart(8)}  orders ${p.ordersDone}/${p.orders}  commands ${p.commands}/${p.planned}` +
    ` (retried ${p.retried}, replays ${p.replays})  bus ${p.events.length} events (${distinct} distinct)` +
    `  outbox pending ${p.outbox.pending ?? '?'} parked ${p.outbox.parked ?? '-'}  faults: ${p.faults}`
  );
};

/**
 * Duplicates not explained by the reconciler's no-grace sweeps (each republish of an item the
 * relay also publishes is one duplicate): the relay's own retries and the audit's repairs.
 */
export const beyondSweeps = (t: ChaosTable): number =>
  t.eventsDistinct === 0 ? 0 : Math.max(0, t.eventsTotal - t.eventsDistinct - sweepsOf(t)) / t.eventsDistinct;

const sweepsOf = (t: ChaosTable): number => Math.max(t.faults.republished, t.faults.sweepRepublished);

/** The one table of the run. */
export const formatTable = (t: ChaosTable): string => {
  const f = t.faults;
  const mark = (n: number | null): string => (n === 0 ? `${n}` : `${n}  <-- FAIL`);
  const rows: [string, string][] = [
    ['orders (done / asked)', `${t.ordersDone} / ${t.orders}  (concurrency ${t.concurrency}, seed ${t.seed})`],
    ['commands accepted', `${t.commandsAccepted}`],
    ['commands refused (4xx)', mark(t.commandsRefused)],
    ['requests retried / replayed', `${t.requestsRetried} / ${t.replays}`],
    ['events delivered (distinct / total)', `${t.eventsDistinct} / ${t.eventsTotal}`],
    ['lost', mark(t.lost)],
    ['invented', mark(t.invented)],
    ['eventId splits', mark(t.eventIdSplits)],
    ['order violations', mark(t.orderViolations)],
    ['read models unequal', mark(t.readModelsUnequal)],
    ['write model != API answers', mark(t.writeModelUnexpected)],
    ['unexpected versions', mark(t.unexpectedVersions)],
    [
      'duplicates per event',
      `${t.duplicatesPerEvent.toFixed(3)}  (${beyondSweeps(t).toFixed(3)} beyond the ${sweepsOf(t)} the reconciler's sweeps republished)`,
    ],
    ['pending / parked left', `${t.pendingLeft ?? '?'} / ${t.parkedLeft ?? 'n/a'}`],
    ['fault: PutEvents entries failed', `${f.putEventsEntriesFailed}`],
    ['fault: relay crashes after publish', `${f.relayCrashes}  (relay invocations failed ${f.relayInvocationsFailed})`],
    ['fault: relay paused', `${seconds(f.relayPauseMs)}  (pending peak ${f.pendingPeakWhilePaused})`],
    ['fault: refused orders', `${f.refusedOrders}  (entries refused ${f.refusedEntries}, parked peak ${f.parkedPeak}, retried ${f.parkedRetried ?? 'n/a'})`],
    ['fault: projector failures', `${f.projectorFailures}  (async deliveries given up ${f.deliveriesGivenUp})`],
    ['fault: failing audit runs', `${f.auditFailures} of ${f.auditFailRuns}  (audit queries refused ${f.auditQueriesRefused}; runs with auditError ${f.auditErrors})`],
    [
      'reconciler runs',
      `${f.reconcilerRuns} by the driver (errors ${f.reconcilerErrors}, longest ${seconds(f.reconcilerLongestRunMs)}, republished ${f.republished}, ` +
        `read models repaired ${f.readModelRepairs}); ${f.reconcilerRunsDone} finished in all, sweeps republished ${f.sweepRepublished}`,
    ],
    ['stack restarts', `${f.restarts}`],
    ['faults not available', t.faultsUnavailable.length === 0 ? 'none' : t.faultsUnavailable.join(', ')],
    ['drain / read-model convergence', `${seconds(t.drainMs)} / ${seconds(t.convergeMs)}`],
    ['wall time', seconds(t.wallTimeMs)],
    ['result', t.ok ? 'PASS' : 'FAIL'],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`);
  const samples = Object.entries(t.samples)
    .filter(([, list]) => list.length > 0)
    .map(([name, list]) => `  ${name}:\n${list.map((s) => `    ${s}`).join('\n')}`);
  return ['', 'Chaos run', ...lines, ...(samples.length === 0 ? [] : ['', 'Samples', ...samples]), ''].join('\n');
};

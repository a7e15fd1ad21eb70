/**
 * When each fault is in force, by progress (accepted commands / planned commands), so the whole
 * story happens at any number of orders. A phase that would be over too soon in wall time (small
 * runs) lasts at least `minPhaseMs`.
 */
export const PHASES = {
  /** Transient PutEvents failures and relay crashes after publishing: most of the run. */
  transient: { from: 0.05, to: 0.9, eventBridgeFailureRate: 0.2, relayCrashAfterPublishRate: 0.05 },
  /** The relay stops reading its stream; the reconciler and then the relay catch up. */
  relayPause: { from: 0.12, to: 0.2 },
  /** About 1% of the orders are refused for good by the bus: every `refuseEvery`-th order placed in the window. */
  refuse: { from: 0.25, to: 0.45, refuseEvery: 20 },
  /** The refusals are lifted and the parked events retried. */
  retryParked: { at: 0.5 },
  /** That share of projector invocations throws. */
  projector: { from: 0.55, to: 0.75, projectorFailureRate: 0.1 },
  /** The local stack is closed and started again on the same data folder and port. */
  restart: { at: 0.62 },
  /** One reconciler run with a failing Orders audit. */
  auditFails: { at: 0.8 },
  /**
   * Reconciler runs all along, small pages, a short grace (production's is minutes). With no
   * grace at all every sweep races the relay for the newest items and each race it loses is a
   * duplicate; at 20,000 orders, with the relay minutes behind, that made most of them.
   */
  reconciler: { everyMs: 5000, graceSeconds: 15, maxItems: 25 },
  /**
   * Orders one reconciler run audits (`AUDIT_MAX_ORDERS`, 5,000 deployed). The audit re-checks
   * its whole 24 h window pass after pass, two reads an order; at 5,000 a run and a run every few
   * seconds it took most of DynamoDB Local's time at 20,000 orders and starved the relay (its
   * marks took 20 s a batch). Deployed, a run comes every 5 minutes.
   */
  auditMaxOrders: 400,
  minPhaseMs: 2000,
  /**
   * How long a phase waits past its end for its evidence (the fault seen at work at least once).
   * Long: on a busy machine the relay can run minutes behind the commands, and a refused order
   * is refused only when its events reach the bus.
   */
  maxEvidenceWaitMs: 600_000,
} as const;

export type Fate = 'ship' | 'cancel-placed' | 'cancel-confirmed';

/** Most orders ship; some are cancelled from PLACED, some from CONFIRMED. */
export const fateOf = (random: () => number): Fate => {
  const r = random();
  return r < 0.1 ? 'cancel-placed' : r < 0.2 ? 'cancel-confirmed' : 'ship';
};

export const commandsOf = (fate: Fate): readonly ('place' | 'confirm' | 'ship' | 'cancel')[] =>
  fate === 'ship' ? ['place', 'confirm', 'ship'] : fate === 'cancel-placed' ? ['place', 'cancel'] : ['place', 'confirm', 'cancel'];

/**
 * A window phase: on from progress `from`; off once progress passes `to`, it has lasted
 * `minMs`, and its evidence says it did what it is for (a crash seen, an entry refused...).
 * Evidence may lag far behind progress on a busy machine (the relay runs behind); the phase then
 * waits for it, at most `maxWaitMs` past the rest, and ends anyway.
 */
export class Window {
  private startedAt: number | undefined;
  private dueAt: number | undefined;
  private ended = false;

  public constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly evidence: () => boolean = () => true,
    private readonly minMs: number = PHASES.minPhaseMs,
    private readonly maxWaitMs: number = PHASES.maxEvidenceWaitMs,
  ) {}

  /** What to do now: 'start', 'end', or nothing. */
  public step(progress: number, now: number): 'start' | 'end' | undefined {
    if (this.ended) return undefined;
    if (this.startedAt === undefined) {
      if (progress < this.from) return undefined;
      this.startedAt = now;
      return 'start';
    }
    if (progress < this.to || now - this.startedAt < this.minMs) return undefined;
    this.dueAt ??= now;
    if (!this.evidence() && now - this.dueAt < this.maxWaitMs) return undefined;
    this.ended = true;
    return 'end';
  }

  public get active(): boolean {
    return this.startedAt !== undefined && !this.ended;
  }

  public get happened(): boolean {
    return this.startedAt !== undefined;
  }
}

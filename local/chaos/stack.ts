import { accessSync, appendFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import type { LocalFaults } from '../apps/orders';
import { startOrdersStack } from '../apps/orders-stack';
import type { LocalStack } from '../stack';
import { PHASES } from './plan';
import type { CloudAssembly } from '../synth';
import { seededRandom } from '../events/bus';

/** What the local stack's own log lines say happened (its faults announce themselves there). */
export interface StackLogCounts {
  relayCrashes: number;
  /** Entries the local bus refused with a non-retryable code (eventBridgeRejectAggregateIds). */
  refusedEntries: number;
  projectorFailures: number;
  /** The Orders audit's queries the reconciler's DynamoDB proxy refused (auditFails). */
  auditQueriesRefused: number;
  /** Rule deliveries that gave up after their retries (to the dead-letter queue). */
  deliveriesGivenUp: number;
  /** Relay invocations that failed (a crash, a timeout, a thrown error). */
  relayInvocationsFailed: number;
  /** The orders the bus refused at least one entry of. */
  refusedAggregates: Set<string>;
  /** Reconciler runs that finished (the driver's and the template's schedule), from their log line. */
  reconcilerRunsDone: number;
  /** Items their sweeps republished. */
  sweepRepublished: number;
  /** ERROR-level lines by function. */
  functionErrors: Record<string, number>;
}

export interface ChaosStackOptions {
  readonly dataDir: string;
  readonly assembly: CloudAssembly;
  readonly seed: number;
  /** Every log line of the stack, with a timestamp, to this file. @default - none */
  readonly logFile?: string;
}

/**
 * The local stack under test, on one data folder and one port across restarts, counting what
 * its log lines report and the entries its bus failed (summed over every stack it started).
 */
export class ChaosStack {
  public readonly counts: StackLogCounts = {
    relayCrashes: 0,
    refusedEntries: 0,
    projectorFailures: 0,
    auditQueriesRefused: 0,
    refusedAggregates: new Set(),
    reconcilerRunsDone: 0,
    sweepRepublished: 0,
    deliveriesGivenUp: 0,
    relayInvocationsFailed: 0,
    functionErrors: {},
  };
  public restarts = 0;
  /** The last lines of the stack's log, for a failure report. */
  public readonly tail: string[] = [];
  private current: LocalStack<LocalFaults> | undefined;
  private port = 0;
  private failedEntriesOfClosedStacks = 0;

  public constructor(private readonly options: ChaosStackOptions) {}

  public get stack(): LocalStack<LocalFaults> {
    if (this.current === undefined) throw new Error('The local stack is not running.');
    return this.current;
  }

  public get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** PutEvents entries the bus failed, transient or permanent, over every stack of the run. */
  public get failedEntries(): number {
    return this.failedEntriesOfClosedStacks + (this.current === undefined ? 0 : failedEntriesOf(this.current));
  }

  public async start(): Promise<void> {
    this.current = await startOrdersStack({
      port: this.port,
      dataDir: this.options.dataDir,
      assembly: this.options.assembly,
      random: seededRandom(this.options.seed * 7919 + this.restarts),
      log: (line) => this.onLog(line),
      functionLog: (name, line) => this.onFunctionLog(name, line),
      environmentOverrides: {
        AUDIT_MAX_ORDERS: String(PHASES.auditMaxOrders),
        // The sweeps' grace here: older records may have been swept, so the relay checks them first.
        RELAY_STATUS_CHECK_AFTER_SECONDS: String(PHASES.reconciler.graceSeconds),
      },
    });
    this.port = Number(new URL(this.current.url).port);
  }

  /** Closes the stack (requests in flight fail) and starts it again on the same data and port. */
  public async restart(): Promise<void> {
    await this.close();
    this.restarts += 1;
    await this.start();
  }

  public async close(): Promise<void> {
    const stack = this.current;
    this.current = undefined;
    if (stack === undefined) return;
    this.failedEntriesOfClosedStacks += failedEntriesOf(stack);
    await stack.close();
  }

  private onLog(line: string): void {
    if (this.options.logFile !== undefined) appendFileSync(this.options.logFile, `${new Date().toISOString()} ${line}\n`);
    if (line.startsWith('http ') || line.startsWith('event ')) return;
    const c = this.counts;
    // Each fault names itself at the end of its line: `fault  ... (relayCrashAfterPublishRate)`.
    if (line.startsWith('fault ')) {
      if (line.endsWith('(relayCrashAfterPublishRate)')) c.relayCrashes += 1;
      else if (line.endsWith('(eventBridgeRejectAggregateIds)')) {
        c.refusedEntries += 1;
        // `fault  bus refused OrderConfirmed <order id> (eventBridgeRejectAggregateIds)`
        const id = line.split(' ').at(-2);
        if (id !== undefined) c.refusedAggregates.add(id);
      }
      else if (line.endsWith('(projectorFailureRate)')) c.projectorFailures += 1;
      else if (line.endsWith('(auditFails)')) c.auditQueriesRefused += 1;
      else return;
    } else if ((line.startsWith('async ') || line.startsWith('rule ')) && line.includes('gave up')) {
      c.deliveriesGivenUp += 1;
    } else if (line.startsWith('stream relay failed')) {
      c.relayInvocationsFailed += 1;
    } else {
      return;
    }
    this.remember(line);
  }

  private onFunctionLog(name: string, line: string): void {
    if (this.options.logFile !== undefined) appendFileSync(this.options.logFile, `${new Date().toISOString()} [${name}] ${line}\n`);
    if (name === 'reconciler' && line.includes('"message":"Reconcile run done')) this.onReconcilerRun(line);
    if (!line.includes('"level":"ERROR"') && !line.includes('Error')) return;
    this.counts.functionErrors[name] = (this.counts.functionErrors[name] ?? 0) + 1;
    this.remember(`[${name}] ${line.slice(0, 400)}`);
  }

  private onReconcilerRun(line: string): void {
    try {
      const run = JSON.parse(line) as { sweep?: { republished?: number } };
      this.counts.reconcilerRunsDone += 1;
      this.counts.sweepRepublished += run.sweep?.republished ?? 0;
    } catch {
      // Not one JSON line: not the run's summary.
    }
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
  }
}

const failedEntriesOf = (stack: LocalStack): number => stack.bus.calls.reduce((sum, call) => sum + call.failedEntryCount, 0);

/**
 * Where the run keeps DynamoDB Local's data: memory-backed `/dev/shm` where there is one (the
 * engine's SQLite writes are about 1.3x cheaper there than on this machine's disk, and a run
 * writes hundreds of thousands of items), else the OS temp folder. Either way it is on-disk
 * data to the engine, so the restart keeps it.
 */
export const dataRoot = (): string => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
};

import { type LocalStack, startLocalStack } from '../stack';
import type { CloudAssembly } from '../synth';
import { seededRandom } from '../eventbridge';

/** What the local stack's own log lines say happened (its faults announce themselves there). */
export interface StackLogCounts {
  relayCrashes: number;
  /** Entries the local bus refused with a non-retryable code (eventBridgeRejectAggregateIds). */
  refusedEntries: number;
  projectorFailures: number;
  /** Rule deliveries that gave up after their retries (to the dead-letter queue). */
  deliveriesGivenUp: number;
  /** Relay invocations that failed (a crash, a timeout, a thrown error). */
  relayInvocationsFailed: number;
  /** ERROR-level lines by function. */
  functionErrors: Record<string, number>;
}

export interface ChaosStackOptions {
  readonly dataDir: string;
  readonly assembly: CloudAssembly;
  readonly seed: number;
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
    deliveriesGivenUp: 0,
    relayInvocationsFailed: 0,
    functionErrors: {},
  };
  public restarts = 0;
  /** The last lines of the stack's log, for a failure report. */
  public readonly tail: string[] = [];
  private current: LocalStack | undefined;
  private port = 0;
  private failedEntriesOfClosedStacks = 0;

  public constructor(private readonly options: ChaosStackOptions) {}

  public get stack(): LocalStack {
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
    this.current = await startLocalStack({
      port: this.port,
      dataDir: this.options.dataDir,
      assembly: this.options.assembly,
      random: seededRandom(this.options.seed * 7919 + this.restarts),
      log: (line) => this.onLog(line),
      functionLog: (name, line) => this.onFunctionLog(name, line),
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
    if (line.startsWith('http ') || line.startsWith('event ')) return;
    const c = this.counts;
    if (line.startsWith('fault ')) {
      if (line.includes('relay runtime killed')) c.relayCrashes += 1;
      else if (/refus|reject/i.test(line)) c.refusedEntries += countIn(line);
      else if (/projector/i.test(line)) c.projectorFailures += 1;
    } else if (line.startsWith('rule ') && line.includes('gave up')) {
      c.deliveriesGivenUp += 1;
    } else if (line.startsWith('stream relay failed')) {
      c.relayInvocationsFailed += 1;
    } else if (line.startsWith('[')) {
      return;
    }
    this.remember(line);
  }

  private onFunctionLog(name: string, line: string): void {
    if (!line.includes('"level":"ERROR"') && !line.includes('Error')) return;
    this.counts.functionErrors[name] = (this.counts.functionErrors[name] ?? 0) + 1;
    this.remember(`[${name}] ${line.slice(0, 400)}`);
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 50) this.tail.shift();
  }
}

const failedEntriesOf = (stack: LocalStack): number => stack.bus.calls.reduce((sum, call) => sum + call.failedEntryCount, 0);

/** "refused 3 entries" counts 3; a line without a number counts 1. */
const countIn = (line: string): number => {
  const match = /(\d+) entr/.exec(line);
  return match === null ? 1 : Number(match[1]);
};

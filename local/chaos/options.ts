/** The chaos run's options (run.ts). */
import type { CloudAssembly } from '../synth';

export interface ChaosOptions {
  /** @default 2000 */
  readonly orders?: number;
  /** Orders driven at once. @default 24 */
  readonly concurrency?: number;
  /** Seeds the orders' fates and the stack's fault dice. @default 1 */
  readonly seed?: number;
  /** @default - synthesize now (reusing cdk.out when the sources have not changed) */
  readonly assembly?: CloudAssembly;
  /** Progress lines. @default - to stderr */
  readonly progress?: (line: string) => void;
  /** @default 3000 */
  readonly progressEveryMs?: number;
  /** Stops the run (the stack is closed and the data folder deleted). */
  readonly signal?: AbortSignal;
  /**
   * Fault rates other than the plan's (PHASES), e.g. a higher relay crash rate so that a small
   * run surely sees a crash. @default - PHASES
   */
  readonly rates?: Partial<FaultRates>;
  /** Every log line of the local stack and its functions, timestamped, to this file. @default - none */
  readonly logFile?: string;
}

export interface FaultRates {
  readonly eventBridgeFailureRate: number;
  readonly relayCrashAfterPublishRate: number;
  readonly projectorFailureRate: number;
}

import { type LocalFaults, noFaults } from '../apps/orders';
import type { ChaosHttp } from './http';

/** Every fault of CONTRACT.md's `PUT /_local/faults`, as the chaos run wants it now. */
export type ChaosFaults = LocalFaults;

export type FaultName = keyof ChaosFaults;

export { noFaults };

const FAULT_NAMES = Object.keys(noFaults()) as FaultName[];

/**
 * Keeps the stack's faults equal to what the run wants. Every PUT carries every fault the stack
 * knows (CONTRACT: omitted fields are off). A fault the stack does not know yet (it answers 400
 * to unknown fields) is named once in `unavailable` and left out; the run carries on without it.
 */
export class FaultController {
  public readonly desired: ChaosFaults = noFaults();
  public readonly unavailable = new Set<FaultName>();
  private chain: Promise<void> = Promise.resolve();

  public constructor(
    private readonly http: () => ChaosHttp,
    private readonly say: (line: string) => void,
  ) {}

  /** Asks the stack, one fault at a time (each set to off), which faults it knows. */
  public async probe(): Promise<void> {
    for (const name of FAULT_NAMES) {
      const answer = await this.http().send('PUT', '/_local/faults', { body: { [name]: noFaults()[name] } });
      if (answer.status === 400 && !this.unavailable.has(name)) {
        this.unavailable.add(name);
        this.say(`chaos: the local stack has no fault '${name}' (it answered 400); the run goes on without it`);
      } else if (answer.status !== 200 && answer.status !== 400) {
        throw new Error(`PUT /_local/faults answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    }
  }

  /** Changes the wanted faults and sends them; calls are applied in the order they are made. */
  public async set(change: Partial<ChaosFaults>): Promise<void> {
    Object.assign(this.desired, change);
    await this.apply();
  }

  /** Sends the wanted faults (again, e.g. after a restart: a new stack starts with none). */
  public async apply(): Promise<void> {
    const next = this.chain.then(async () => {
      const body = Object.fromEntries(FAULT_NAMES.filter((name) => !this.unavailable.has(name)).map((name) => [name, this.desired[name]]));
      const answer = await this.http().send('PUT', '/_local/faults', { body });
      if (answer.status !== 200) throw new Error(`PUT /_local/faults answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    });
    this.chain = next.catch(() => undefined);
    await next;
  }

  public available(name: FaultName): boolean {
    return !this.unavailable.has(name);
  }

  /** The faults in force, short, for the progress line. */
  public describe(): string {
    const d = this.desired;
    const parts = [
      d.eventBridgeFailureRate > 0 ? `putEvents ${d.eventBridgeFailureRate}` : '',
      d.relayCrashAfterPublishRate > 0 ? `relayCrash ${d.relayCrashAfterPublishRate}` : '',
      d.relayPaused ? 'relayPaused' : '',
      d.eventBridgeRejectAggregateIds.length > 0 ? `refuse ${d.eventBridgeRejectAggregateIds.length} orders` : '',
      d.projectorFailureRate > 0 ? `projector ${d.projectorFailureRate}` : '',
      d.auditFails ? 'auditFails' : '',
    ].filter(Boolean);
    return parts.length === 0 ? 'none' : parts.join(', ');
  }
}

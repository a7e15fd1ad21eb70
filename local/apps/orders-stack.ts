/**
 * The Orders service on the local stack: its stack name and its hooks, the defaults every place
 * that runs the Orders service locally shares (`npm start`, the chaos run, the e2e tests, the
 * benchmarks). Another app calls `synthesizeApp` and `startLocalStack` with its own stack name
 * and hooks (or none), with no change to local/.
 */
import type { LocalStack, LocalStackOptions } from '../stack';
import { startLocalStack } from '../stack';
import { type CloudAssembly, type SynthOptions, loadCloudAssembly, synthesizeApp } from '../synth';
import { type LocalFaults, ORDERS_STACK, startOrdersHooks } from './orders';

export { type LocalFaults, noFaults } from './orders';

/** The Orders service as `cdk deploy` would ship it (bin/app.ts's `OrdersService` stack). */
export const synthesizeOrdersApp = async (options: Omit<SynthOptions, 'stackName'> = {}): Promise<CloudAssembly> =>
  synthesizeApp({ ...options, stackName: ORDERS_STACK });

/** The Orders service's assembly an earlier synth wrote to `dir`. */
export const loadOrdersAssembly = (dir: string): CloudAssembly => loadCloudAssembly(dir, ORDERS_STACK);

export type OrdersStackOptions = Omit<LocalStackOptions<LocalFaults>, 'assembly' | 'hooks'> & {
  /** @default - synthesize now (reusing cdk.out when the sources have not changed) */
  readonly assembly?: CloudAssembly;
};

/** The Orders service on this machine, with its hooks (outbox statistics, faults). */
export const startOrdersStack = async (options: OrdersStackOptions = {}): Promise<LocalStack<LocalFaults>> =>
  startLocalStack({ ...options, assembly: options.assembly ?? (await synthesizeOrdersApp()), hooks: startOrdersHooks });

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import type { LocalEventBridgeOptions } from '../events/bus';
import type { FunctionError, LocalFunction } from '../lambda/functions';
import type { MappedPoller } from '../lambda/streams';
import type { AppModel, FunctionModel, StreamMappingSettings } from '../model';

/**
 * What an app-specific file (local/apps/*) may add to the generic emulators: its admin state
 * (`/_local/outbox`, `/_local/faults`) and the fault hooks it sets on them. Every hook is
 * optional; an app without one gets the emulators exactly as AWS runs them.
 */
export interface AppHooks<Faults> {
  /** The faults as they are now (`GET /_local/faults`); the object is kept up to date. */
  readonly faults: Faults;
  /** Validates a `PUT /_local/faults` body and applies it, or says what is wrong (nothing changes). */
  setFaults(body: unknown): { readonly faults: Faults } | { readonly invalid: z.ZodError };
  /** `GET /_local/outbox`. */
  outbox(): Promise<unknown>;
  readonly entryFault?: LocalEventBridgeOptions['entryFault'];
  readonly beforeRespond?: LocalEventBridgeOptions['beforeRespond'];
  /** Variables set over a function's own (e.g. an endpoint that can inject faults). */
  environmentOf?(fn: FunctionModel): Record<string, string>;
  /** An error fails the invocation before the function runs. */
  injectFault?(fn: FunctionModel): FunctionError | undefined;
  /** Called with each stream batch before the mapping's function gets it. */
  beforeStreamBatch?(mapping: StreamMappingSettings, event: DynamoDBStreamEvent): void;
  /** The emulators run: the hooks that act on them now have them. */
  started?(running: { readonly functions: ReadonlyMap<string, LocalFunction>; readonly pollers: readonly MappedPoller[]; setBusFailureRate(rate: number): void }): void;
  close?(): Promise<void>;
}

/** What an app's hooks are started with: the app's model and the running DynamoDB. */
export interface AppHooksContext {
  readonly model: AppModel;
  readonly dynamodb: DynamoDBClient;
  readonly dynamodbEndpoint: string;
  readonly log: (line: string) => void;
  readonly random: () => number;
}

/** Starts an app's hooks (the Orders service's: `startOrdersHooks` in local/apps/orders.ts). */
export type AppHooksFactory<Faults> = (context: AppHooksContext) => Promise<AppHooks<Faults>>;

const noFaultsBody = z.strictObject({});

/**
 * An app that brings no hooks: the emulators exactly as AWS runs them, no faults to set
 * (`PUT /_local/faults` takes only `{}`) and no outbox statistics (`GET /_local/outbox` is null).
 */
export const noAppHooks: AppHooksFactory<Record<string, never>> = async () => ({
  faults: {},
  setFaults: (body) => {
    const parsed = noFaultsBody.safeParse(body);
    return parsed.success ? { faults: {} } : { invalid: parsed.error };
  },
  outbox: async () => null,
});

/**
 * EventBridge on this machine: the `PutEvents` endpoint (bus.ts), the log of every event the
 * bus accepted (`GET /_local/events`, and `events.jsonl` in the data folder so it survives a
 * restart), and the template's rules, targets and schedules (rules.ts).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../model/template';
import { type AcceptedEvent, type LocalEventBridge, type LocalEventBridgeOptions, startLocalEventBridge } from './bus';

export interface LocalEventsOptions extends Pick<LocalEventBridgeOptions, 'random' | 'entryFault' | 'beforeRespond'> {
  /** Where `events.jsonl` lives. @default - in memory */
  readonly dataDir?: string;
  readonly log: (line: string) => void;
}

export interface LocalEvents {
  readonly bus: LocalEventBridge;
  /** Every event the bus accepted, in acceptance order (kept across restarts with a data folder). */
  readonly events: AcceptedEvent[];
  /** Called with each accepted event once it is logged (the rules hook in here). */
  onAccepted(listener: (accepted: AcceptedEvent) => void): void;
}

export const startLocalEvents = async (options: LocalEventsOptions): Promise<LocalEvents> => {
  const eventLog = options.dataDir === undefined ? undefined : path.join(options.dataDir, 'events.jsonl');
  const events: AcceptedEvent[] =
    eventLog !== undefined && existsSync(eventLog)
      ? readFileSync(eventLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AcceptedEvent)
      : [];
  const listeners: ((accepted: AcceptedEvent) => void)[] = [];
  const bus = await startLocalEventBridge({
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.entryFault === undefined ? {} : { entryFault: options.entryFault }),
    ...(options.beforeRespond === undefined ? {} : { beforeRespond: options.beforeRespond }),
    onAccepted: (accepted) => {
      events.push(accepted);
      if (eventLog !== undefined) appendFileSync(eventLog, `${JSON.stringify(accepted)}\n`);
      const detail = accepted.event.detail as { aggregateId?: string; version?: number };
      options.log(`event  ${accepted.event['detail-type']} ${detail.aggregateId ?? ''} v${detail.version ?? '?'} on ${accepted.eventBusName}`);
      for (const listener of listeners) listener(accepted);
    },
  });
  return { bus, events, onAccepted: (listener) => listeners.push(listener) };
};

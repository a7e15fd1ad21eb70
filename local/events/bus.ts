/**
 * EventBridge's `PutEvents` (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html):
 * the awsJson1_1 wire protocol, its limits (10 entries, the request size as
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html counts it), per-entry
 * results with `FailedEntryCount`, and the event as a target receives it.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { entrySize } from '../../lambdas/outbox/entries';
import { listenOnLoopback, refuseUnlessLocalSdk } from '../loopback-server';

/** An event as EventBridge delivers it to a target, with the bus that accepted it. */
export interface DeliveredEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface AcceptedEvent {
  readonly eventBusName: string;
  readonly event: DeliveredEvent;
}

export type TransientErrorCode = 'InternalFailure' | 'ThrottlingException';

export interface EventBridgeFaults {
  /** Share of entries (0..1) failed with `failureCode`. @default 0 */
  readonly failureRate?: number;
  /** @default 'InternalFailure' */
  readonly failureCode?: TransientErrorCode;
  /** Fails chosen entries with any code, e.g. a permanent one. @default - none */
  readonly entryFault?: (entry: WireEntry) => { code: string; message: string } | undefined;
}

/** An event's `time` as EventBridge writes it: ISO-8601 in UTC, whole seconds. */
export const eventTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface LocalEventBridgeOptions extends EventBridgeFaults {
  /** @default - a free port */
  readonly port?: number;
  /** The request size limit, counted as EventBridge counts it. @default 1048576 (1 MB, AWS since 2026) */
  readonly maxRequestBytes?: number;
  readonly region?: string;
  readonly account?: string;
  /** Random source for fault injection; seed it for repeatable tests. @default Math.random */
  readonly random?: () => number;
  /** Called with each accepted event, after it is recorded (rules and targets hook in here). */
  readonly onAccepted?: (accepted: AcceptedEvent) => void;
  /**
   * Decides, after a call was processed, whether its answer is sent or the connection dropped
   * (the caller then never learns what was accepted, as when its runtime dies). `caller` is the
   * function named in the endpoint path `/fn/{name}/`, when the caller used one.
   * @default - always answer
   */
  readonly beforeRespond?: (call: { caller?: string; accepted: number }) => 'respond' | 'drop';
}

/** What one `PutEvents` request looked like, accepted or refused. */
export interface PutEventsCall {
  readonly entries: number;
  readonly bytes: number;
  readonly status: number;
  readonly failedEntryCount: number;
}

export interface LocalEventBridge {
  readonly endpoint: string;
  /** Every event accepted, in acceptance order. */
  readonly accepted: AcceptedEvent[];
  readonly calls: PutEventsCall[];
  setFaults(faults: EventBridgeFaults): void;
  reset(): void;
  close(): Promise<void>;
}

/** An entry as it arrives on the wire (awsJson1_1: `Time` is epoch seconds). */
export interface WireEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: string[];
  readonly Time?: number;
}

const MAX_ENTRIES = 10;

/** A small seeded generator (mulberry32) for repeatable fault injection. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * A local EventBridge `PutEvents` endpoint for the real `@aws-sdk/client-eventbridge`: the
 * awsJson1_1 wire protocol, AWS's refusals of more than 10 entries and of oversized requests,
 * per-entry validation, a record of what it accepted, and injected entry failures.
 */
export const startLocalEventBridge = async (options: LocalEventBridgeOptions = {}): Promise<LocalEventBridge> => {
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const random = options.random ?? Math.random;
  let faults: EventBridgeFaults = {
    failureRate: options.failureRate ?? 0,
    failureCode: options.failureCode ?? 'InternalFailure',
    ...(options.entryFault === undefined ? {} : { entryFault: options.entryFault }),
  };
  const accepted: AcceptedEvent[] = [];
  const calls: PutEventsCall[] = [];

  const putEvents = (body: { Entries?: unknown }): { status: number; payload: unknown } => {
    const entries = body.Entries;
    if (!Array.isArray(entries)) {
      return validationError('1 validation error detected: Value null at \'entries\' failed to satisfy constraint: Member must not be null');
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      return validationError(
        `1 validation error detected: Value '${JSON.stringify(entries).slice(0, 200)}' at 'entries' failed to satisfy constraint: ` +
          `Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`}`,
      );
    }
    const wire = entries as WireEntry[];
    const bytes = wire.reduce((sum, entry) => sum + entrySize(toSdkEntry(entry)), 0);
    if (bytes > maxRequestBytes) {
      calls.push({ entries: wire.length, bytes, status: 400, failedEntryCount: wire.length });
      return validationError('Total size of the entries in the request is over the limit.');
    }
    const results = wire.map((entry) => {
      const fault = injectedFault(entry) ?? invalid(entry);
      if (fault !== undefined) {
        return { ErrorCode: fault.code, ErrorMessage: fault.message };
      }
      const id = randomUUID();
      const event: DeliveredEvent = {
        version: '0',
        id,
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account,
        time: eventTime(new Date(entry.Time === undefined ? Date.now() : entry.Time * 1000)),
        region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
      };
      const record = { eventBusName: busNameOf(entry.EventBusName), event };
      accepted.push(record);
      options.onAccepted?.(record);
      return { EventId: id };
    });
    const failedEntryCount = results.filter((result) => 'ErrorCode' in result).length;
    calls.push({ entries: wire.length, bytes, status: 200, failedEntryCount });
    return { status: 200, payload: { Entries: results, FailedEntryCount: failedEntryCount } };
  };

  const injectedFault = (entry: WireEntry): { code: string; message: string } | undefined => {
    const chosen = faults.entryFault?.(entry);
    if (chosen !== undefined) return chosen;
    if ((faults.failureRate ?? 0) > 0 && random() < (faults.failureRate ?? 0)) {
      return { code: faults.failureCode ?? 'InternalFailure', message: 'Injected failure (local EventBridge).' };
    }
    return undefined;
  };

  const server = createServer((request, response) => {
    if (refuseUnlessLocalSdk(request, response)) return;
    // A caller that goes away mid-request (its runtime killed, the stack closing) aborts the body read.
    handle(request, response).catch(() => response.destroy());
  });
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = request.headers['x-amz-target'];
    const caller = /^\/fn\/([^/]+)/.exec(request.url ?? '')?.[1];
    const acceptedBefore = accepted.length;
    let result: { status: number; payload: unknown };
    if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      result = { status: 400, payload: { __type: 'UnknownOperationException', message: `Unsupported operation ${String(target)}` } };
    } else {
      try {
        result = putEvents(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: unknown });
      } catch {
        result = { status: 400, payload: { __type: 'SerializationException', message: 'Malformed request body.' } };
      }
    }
    const decision = options.beforeRespond?.({
      ...(caller === undefined ? {} : { caller }),
      accepted: accepted.length - acceptedBefore,
    });
    if (decision === 'drop') {
      request.socket.destroy();
      return;
    }
    const body = JSON.stringify(result.payload);
    response.writeHead(result.status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    response.end(body);
  };

  const listener = await listenOnLoopback(server, options.port);
  return {
    endpoint: listener.endpoint,
    accepted,
    calls,
    setFaults: (next) => {
      faults = { ...faults, ...next };
    },
    reset: () => {
      accepted.length = 0;
      calls.length = 0;
    },
    close: listener.close,
  };
};

const validationError = (message: string): { status: number; payload: unknown } => ({
  status: 400,
  payload: { __type: 'ValidationException', message },
});

const toSdkEntry = (entry: WireEntry): PutEventsRequestEntry => ({
  ...(entry.Source === undefined ? {} : { Source: entry.Source }),
  ...(entry.DetailType === undefined ? {} : { DetailType: entry.DetailType }),
  ...(entry.Detail === undefined ? {} : { Detail: entry.Detail }),
  ...(entry.Resources === undefined ? {} : { Resources: entry.Resources }),
  ...(entry.Time === undefined ? {} : { Time: new Date(entry.Time * 1000) }),
});

/** The bus name of an entry: a name or an ARN; no name is the default bus. */
const busNameOf = (name: string | undefined): string =>
  name === undefined || name === '' ? 'default' : (name.split('/').at(-1) ?? name);

const invalid = (entry: WireEntry): { code: string; message: string } | undefined => {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || (entry[field] as string).length === 0) {
      return { code: 'InvalidArgument', message: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
    }
  }
  try {
    const detail = JSON.parse(entry.Detail as string) as unknown;
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return { code: 'MalformedDetail', message: 'Detail is malformed.' };
    }
  } catch {
    return { code: 'MalformedDetail', message: 'Detail is malformed.' };
  }
  return undefined;
};

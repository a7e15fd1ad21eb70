/**
 * The X-Ray trace header an outbox item carries from the request that wrote it to the
 * `PutEvents` entry that announces it (`TraceHeader`), so EventBridge continues the request's
 * trace to the bus's targets. Tracing is a convenience: a header that is absent or not of the
 * expected shape is simply left out, never a reason to refuse a write or an event.
 */

/** `PutEventsRequestEntry.TraceHeader` takes at most 500 characters. */
export const MAX_TRACE_HEADER_LENGTH = 500;

/**
 * `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1|?>`, then any further `key=value`
 * fields Lambda adds (`Lineage=…`), in the order Lambda writes them.
 */
const TRACE_HEADER = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01?](?:;[A-Za-z][A-Za-z0-9_-]*=[A-Za-z0-9:._-]+)*$/;

/** The header when it is a well-formed X-Ray trace header, else `undefined`. */
export const validTraceHeader = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length <= MAX_TRACE_HEADER_LENGTH && TRACE_HEADER.test(value) ? value : undefined;

/**
 * The header worth storing on an outbox item: a well-formed one of a sampled request. X-Ray
 * records only sampled traces (by default the first request a second and 5% of the rest), so
 * an unsampled header would continue a trace that exists nowhere, and its ~110 bytes would
 * push a typical item over DynamoDB's 1 KB write unit on every write for nothing.
 */
export const tracedHeaderToKeep = (value: unknown): string | undefined => {
  const header = validTraceHeader(value);
  return header !== undefined && /;Sampled=1(?:;|$)/.test(header) ? header : undefined;
};

/**
 * The current invocation's trace header. Lambda sets `_X_AMZN_TRACE_ID` anew for every
 * invocation, so it is read at the moment it is needed, never kept from the cold start.
 */
export const currentTraceHeader = (): string | undefined => validTraceHeader(process.env._X_AMZN_TRACE_ID);

/**
 * The `correlationId` of a stored `detail`, for log lines about an item (rare: failures, parks,
 * republications), so the item need not carry it twice. `undefined` when there is none.
 */
export const correlationIdOf = (detail: string): string | undefined => {
  try {
    const parsed = JSON.parse(detail) as { correlationId?: unknown };
    return typeof parsed.correlationId === 'string' ? parsed.correlationId.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
};

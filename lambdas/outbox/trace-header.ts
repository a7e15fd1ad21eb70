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
 * The current invocation's trace header. Lambda sets `_X_AMZN_TRACE_ID` anew for every
 * invocation, so it is read at the moment it is needed, never kept from the cold start.
 */
export const currentTraceHeader = (): string | undefined => validTraceHeader(process.env._X_AMZN_TRACE_ID);

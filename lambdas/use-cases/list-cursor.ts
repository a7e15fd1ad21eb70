import { z } from 'zod';
import { ORDER_ID_PATTERN } from '../domain/order';
import { InvalidCursorError } from './errors';
import type { OrderListPosition } from './order-queries';

/**
 * `GET /orders` cursors: base64url of the JSON of exactly the read model's index key at the last
 * order of a page (`{customerId, createdAt, id}`). Nothing is signed (no key to manage, rotate or
 * leak): every field is checked for type, length and format, and the customer must be the one
 * listed, so a cursor a client makes up can only name a position in a listing it may read
 * anyway, and nothing malformed reaches DynamoDB.
 */

/** Above the longest cursor this service issues (2,174 characters: a 255-character customer id, every character JSON-escaped). */
export const MAX_CURSOR_LENGTH = 4096;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ISO_UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const position = z.strictObject({
  // The longest customer id: a caller's `sub` (an OIDC subject is at most 255 characters).
  customerId: z.string().min(1).max(255),
  createdAt: z
    .string()
    .regex(ISO_UTC_MILLIS)
    .refine((value) => !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value),
  id: z.string().regex(ORDER_ID_PATTERN),
});

export const encodeListCursor = (at: OrderListPosition): string =>
  Buffer.from(JSON.stringify({ customerId: at.customerId, createdAt: at.createdAt, id: at.id }), 'utf8').toString(
    'base64url',
  );

/** The position a cursor names in `customerId`'s listing, or `InvalidCursorError` saying why not. */
export const decodeListCursor = (cursor: string, customerId: string): OrderListPosition => {
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw new InvalidCursorError(`is longer than ${MAX_CURSOR_LENGTH} characters`);
  }
  if (!BASE64URL.test(cursor)) {
    throw new InvalidCursorError('is not base64url');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cursor, 'base64url')));
  } catch {
    throw new InvalidCursorError('is not a cursor this service issued');
  }
  const parsed = position.safeParse(decoded);
  if (!parsed.success) {
    throw new InvalidCursorError('is not a cursor this service issued');
  }
  if (parsed.data.customerId !== customerId) {
    throw new InvalidCursorError("belongs to another customer's listing");
  }
  return parsed.data;
};

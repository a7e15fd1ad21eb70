import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../lambdas/use-cases/errors';
import { MAX_CURSOR_LENGTH, decodeListCursor, encodeListCursor } from '../../../lambdas/use-cases/list-cursor';

const at = { customerId: 'c-1', createdAt: '2026-11-25T10:00:00.000Z', id: '5f0c8a52-3a4b-4c1d-9e2f-0123456789ab' };
const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const refusal = (cursor: string, customerId = 'c-1'): unknown => {
  try {
    decodeListCursor(cursor, customerId);
  } catch (error: unknown) {
    return error;
  }
  return undefined;
};

describe('list cursors', () => {
  it('read back the position they were made from', () => {
    expect(decodeListCursor(encodeListCursor(at), 'c-1')).toEqual(at);
  });

  it('are base64url JSON of exactly the index key fields', () => {
    expect(JSON.parse(Buffer.from(encodeListCursor(at), 'base64url').toString('utf8'))).toEqual(at);
  });

  it('accept the index key fields in any order', () => {
    expect(decodeListCursor(cursorOf({ id: at.id, createdAt: at.createdAt, customerId: 'c-1' }), 'c-1')).toEqual(at);
  });

  it('fit a 255-character customer id of escaped characters under the length limit', () => {
    expect(encodeListCursor({ ...at, customerId: '\u0001'.repeat(255) }).length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
  });

  it.each<[string, string]>([
    ['an id alone, emptied', cursorOf({ id: '' })],
    ['a createdAt alone, emptied', cursorOf({ createdAt: '' })],
    ['an emptied id', cursorOf({ ...at, id: '' })],
    ['an emptied createdAt', cursorOf({ ...at, createdAt: '' })],
    ['an emptied customerId', cursorOf({ ...at, customerId: '' })],
    ['a field missing', cursorOf({ customerId: at.customerId, createdAt: at.createdAt })],
    ['an extra field', cursorOf({ ...at, status: 'PLACED' })],
    ['a numeric id', cursorOf({ ...at, id: 7 })],
    ['a numeric createdAt', cursorOf({ ...at, createdAt: 1_764_064_800_000 })],
    ['a null customerId', cursorOf({ ...at, customerId: null })],
    ['an id in DynamoDB wire format', cursorOf({ ...at, id: { S: at.id } })],
    ['an id that is not an order id', cursorOf({ ...at, id: 'order-1' })],
    ['an upper-case id', cursorOf({ ...at, id: at.id.toUpperCase() })],
    ['a createdAt that is no date', cursorOf({ ...at, createdAt: '2026-13-45T25:61:61.000Z' })],
    ['a createdAt with an offset', cursorOf({ ...at, createdAt: '2026-11-25T10:00:00.000+01:00' })],
    ['a createdAt without milliseconds', cursorOf({ ...at, createdAt: '2026-11-25T10:00:00Z' })],
    ['a customerId over 255 characters', cursorOf({ ...at, customerId: 'c'.repeat(256) })],
    ['a JSON array', cursorOf([at.customerId, at.createdAt, at.id])],
    ['JSON null', cursorOf(null)],
    ['a JSON string', cursorOf('c-1')],
    ['no JSON at all', Buffer.from('not json', 'utf8').toString('base64url')],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
    ['characters outside base64url', `${encodeListCursor(at)}+/`],
    ['padding', `${Buffer.from(JSON.stringify(at)).toString('base64')}==`],
    ['nothing', ''],
    ['a cursor over the length limit', 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
  ])('refuse %s', (_, cursor) => {
    expect(refusal(cursor)).toBeInstanceOf(InvalidCursorError);
  });

  it("refuse a well-formed cursor of another customer's listing", () => {
    const error = refusal(encodeListCursor({ ...at, customerId: 'c-2' }), 'c-1');

    expect(error).toBeInstanceOf(InvalidCursorError);
    expect((error as InvalidCursorError).reason).toMatch(/another customer/);
  });
});

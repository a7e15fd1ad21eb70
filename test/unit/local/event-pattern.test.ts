import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../local/event-pattern';

const event = {
  source: 'orders',
  'detail-type': 'OrderPlaced',
  detail: { version: 3, status: 'PLACED', customerId: 'c-17', tags: ['vip', 'eu'], total: 2500 },
};

describe('matchesPattern', () => {
  it.each([
    ['an exact value', { source: ['orders'] }, true],
    ['one of several values', { 'detail-type': ['OrderShipped', 'OrderPlaced'] }, true],
    ['a value that differs', { source: ['payments'] }, false],
    ['a nested field', { detail: { status: ['PLACED'] } }, true],
    ['a prefix', { detail: { customerId: [{ prefix: 'c-' }] } }, true],
    ['a suffix', { detail: { customerId: [{ suffix: '-18' }] } }, false],
    ['anything-but a value', { detail: { status: [{ 'anything-but': 'CANCELLED' }] } }, true],
    ['anything-but a list', { detail: { status: [{ 'anything-but': ['PLACED', 'CANCELLED'] }] } }, false],
    ['anything-but a prefix', { detail: { customerId: [{ 'anything-but': { prefix: 'x' } }] } }, true],
    ['exists', { detail: { total: [{ exists: true }] } }, true],
    ['does not exist', { detail: { refund: [{ exists: false }] } }, true],
    ['exists on a missing field', { detail: { refund: [{ exists: true }] } }, false],
    ['a numeric range', { detail: { total: [{ numeric: ['>', 1000, '<=', 2500] }] } }, true],
    ['a numeric range that excludes', { detail: { version: [{ numeric: ['>=', 4] }] } }, false],
    ['any element of an array field', { detail: { tags: ['eu'] } }, true],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'orderplaced' }] }, true],
    ['a wildcard', { 'detail-type': [{ wildcard: 'Order*d' }] }, true],
    ['a missing field', { detail: { missing: ['x'] } }, false],
    ['every field, not just one', { source: ['orders'], 'detail-type': ['OrderShipped'] }, false],
  ])('matches %s: %j -> %s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('matches a stream filter on the event name', () => {
    expect(matchesPattern({ eventName: ['INSERT'] }, { eventName: 'INSERT', dynamodb: {} })).toBe(true);
    expect(matchesPattern({ eventName: ['INSERT'] }, { eventName: 'MODIFY', dynamodb: {} })).toBe(false);
  });
});

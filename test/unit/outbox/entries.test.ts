import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES_PER_CALL, entrySize, packCalls, toEntry } from '../../../lambdas/outbox/entries';
import { outboxItem } from '../../support/eventbridge';

describe('entrySize', () => {
  it('counts 14 bytes for Time and the UTF-8 bytes of source, detail type, detail and resources', () => {
    const size = entrySize({
      Time: new Date(),
      Source: 'orders',
      DetailType: 'OrderPlaced',
      Detail: '{"name":"Zoë"}',
      Resources: ['arn:a', 'arn:bb'],
    });

    expect(size).toBe(14 + 6 + 11 + 15 + 5 + 6);
  });

  it('does not count the bus name', () => {
    const entry = { Source: 's', DetailType: 'd', Detail: '{}' };

    expect(entrySize({ ...entry, EventBusName: 'a-very-long-bus-name' })).toBe(entrySize(entry));
  });

  it('builds the entry from the stored item, stamped with occurredAt', () => {
    const item = outboxItem('o-1', 3);

    expect(toEntry(item, 'orders-bus')).toEqual({
      EventBusName: 'orders-bus',
      Source: 'orders',
      DetailType: 'OrderPlaced',
      Detail: item.detail,
      Time: new Date('2026-11-25T10:00:00.000Z'),
    });
  });
});

describe('packCalls', () => {
  const ones = (n: number) => Array.from({ length: n }, () => 1);

  it.each([
    [1, 1],
    [10, 1],
    [11, 2],
    [250, 25],
  ])('packs %i small entries into %i calls', (count, calls) => {
    const packed = packCalls(ones(count), (size) => size, 256 * 1024);

    expect(packed).toHaveLength(calls);
    expect(packed.every((call) => call.length <= MAX_ENTRIES_PER_CALL)).toBe(true);
    expect(packed.flat()).toHaveLength(count);
  });

  it('keeps each call within the byte limit', () => {
    const sizes = [120, 120, 120, 120, 120, 120, 120, 120, 120, 120].map((kb) => kb * 1024);

    const packed = packCalls(sizes, (size) => size, 256 * 1024);

    expect(packed).toHaveLength(5);
    for (const call of packed) expect(call.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(256 * 1024);
  });

  it('fills gaps left by large entries with small ones', () => {
    const sizes = [200, 200, 50, 50].map((kb) => kb * 1024);

    expect(packCalls(sizes, (size) => size, 256 * 1024)).toHaveLength(2);
  });
});

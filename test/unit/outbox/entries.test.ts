import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES_PER_CALL, entrySize, packCalls, toEntry } from '../../../lambdas/outbox/entries';
import { newPendingOutboxItem } from '../../../lambdas/outbox/item';
import { correlationIdOf } from '../../../lambdas/outbox/trace-header';
import { outboxItem } from '../../support/eventbridge';

const TRACE_HEADER = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

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

describe('toEntry and the trace header', () => {
  it("sets the entry's TraceHeader from the item", () => {
    const item = { ...outboxItem('o-1', 1), traceHeader: TRACE_HEADER };

    expect(toEntry(item, 'orders-bus').TraceHeader).toBe(TRACE_HEADER);
  });

  it('leaves TraceHeader out when the item has none', () => {
    expect(toEntry(outboxItem('o-1', 1), 'orders-bus')).not.toHaveProperty('TraceHeader');
  });

  it('counts the UTF-8 bytes of the TraceHeader in the entry size', () => {
    const untraced = toEntry(outboxItem('o-1', 1), 'orders-bus');
    const traced = toEntry({ ...outboxItem('o-1', 1), traceHeader: TRACE_HEADER }, 'orders-bus');

    expect(entrySize(traced)).toBe(entrySize(untraced) + TRACE_HEADER.length);
  });
});

describe('newPendingOutboxItem', () => {
  const event = {
    source: 'orders',
    detailType: 'OrderPlaced',
    detail: { eventId: 'e-1', correlationId: 'c-9', aggregateType: 'Order', aggregateId: 'o-1', version: 1, occurredAt: '2026-11-25T10:00:00.000Z' },
  };
  const now = new Date('2026-11-25T10:00:00.000Z');

  it.each([
    ['a sampled header', TRACE_HEADER],
    ['a sampled header with a Lineage', `${TRACE_HEADER};Lineage=1:a87bd80c:0`],
  ])('stores %s', (_name, header) => {
    expect(newPendingOutboxItem(event, 4, now, header).traceHeader).toBe(header);
  });

  it.each([
    ['absent', undefined],
    ['not sampled (its trace is recorded nowhere)', TRACE_HEADER.replace('Sampled=1', 'Sampled=0')],
    ['undecided', TRACE_HEADER.replace('Sampled=1', 'Sampled=?')],
    ['empty', ''],
    ['without a Parent', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'],
    ['with a bad Root', 'Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'],
    ['with a line break', `${TRACE_HEADER}\n`],
    ['over 500 characters', `${TRACE_HEADER};Lineage=${'a'.repeat(500)}`],
  ])('leaves the trace header out when it is %s', (_name, header) => {
    const item = newPendingOutboxItem(event, 4, now, header);

    expect(item).not.toHaveProperty('traceHeader');
    expect(item.status).toBe('PENDING');
  });

  it('keeps the correlation id in the stored detail only', () => {
    const item = newPendingOutboxItem(event, 4, now, TRACE_HEADER);

    expect(JSON.parse(item.detail)).toMatchObject({ correlationId: 'c-9' });
    expect(correlationIdOf(item.detail)).toBe('c-9');
    expect(Object.keys(item)).not.toContain('correlationId');
  });

});

describe('correlationIdOf', () => {
  it.each([
    ['a detail without one', '{"eventId":"e"}', undefined],
    ['a detail that is not JSON', 'not json', undefined],
    ['a correlation id that is not a string', '{"correlationId":7}', undefined],
  ])('answers undefined for %s', (_name, detail, expected) => {
    expect(correlationIdOf(detail)).toBe(expected);
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

import { setTimeout as sleep } from 'node:timers/promises';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { outboxOf, scanAll } from '../support/dynamodb';
import { eventually, STAFF, useE2e } from '../support/e2e';

/**
 * TTL pruning on the local stack. Pruning removes outbox items on purpose, so this file does not
 * check the one-event-per-version invariant at the end (every other e2e file does).
 */
const ctx = useE2e({ caller: STAFF, checkInvariant: false });



describe('TTL pruning', () => {
  it('removes published items after their TTL, publishes nothing for the deletion, and never gives a pending item a TTL', async () => {
    const published = await ctx.placeOrder();
    await eventually(() => outboxOf(ctx.doc, ctx.tables.outbox, published.id), (items) => items[0]?.status === 'PUBLISHED');
    const [item] = await outboxOf(ctx.doc, ctx.tables.outbox, published.id);
    expect(item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 6 * 86_400);
    const eventsBefore = ctx.api.events.length;

    // As if the 7 days of retention had passed.
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tables.outbox,
        Key: { aggregateId: published.id, version: 1 },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    const gone = await eventually(() => outboxOf(ctx.doc, ctx.tables.outbox, published.id), (items) => items.length === 0, 30_000);
    await sleep(1000);

    expect(gone).toEqual([]);
    expect(ctx.api.events.length).toBe(eventsBefore);
    await ctx.setFaults({ relayPaused: true });
    try {
      const pending = await ctx.placeOrder();
      const items = await outboxOf(ctx.doc, ctx.tables.outbox, pending.id);
      expect(items).toEqual([expect.objectContaining({ status: 'PENDING' })]);
      expect(items[0]?.expiresAt).toBeUndefined();
    } finally {
      await ctx.setFaults({ relayPaused: false });
    }
    const all = await scanAll(ctx.doc, ctx.tables.outbox);
    expect(all.filter((i) => i.status === 'PENDING' && i.expiresAt !== undefined)).toEqual([]);
  }, 60_000);
});

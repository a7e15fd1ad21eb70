import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOrderReader } from './dynamodb-order-repository';
import { type ChangeCursor, type ChangedOrder, ordersChangedSince } from './order-changes';
import { eventForCurrentState } from '../domain/order';
import { CONTROL_VERSION, type OutboxItem, newPendingOutboxItem } from '../outbox/item';
import { currentTraceHeader } from '../outbox/trace-header';
import type { Audit, AuditRunOptions } from '../outbox/reconciler-handler';

export interface OrdersAuditOptions {
  readonly ordersTableName: string;
  readonly outboxTableName: string;
  readonly readModelTableName: string;
  readonly pendingShards: number;
  readonly retentionSeconds: number;
}

/** Hands one event to the read model's projector alone (never the bus: other consumers see nothing). */
export interface ReadModelRepairer {
  repair(item: OutboxItem): Promise<void>;
}

export interface AuditReport {
  readonly changedOrders: number;
  /** Orders checked by this run (at most `maxOrders`, within the time budget). */
  readonly auditedOrders: number;
  /** Changed orders read ahead that this run did not reach (its deadline came first). */
  readonly ordersLeft: number;
  /** True when changed orders remain after the last one checked: the next run resumes there. */
  readonly leftForNextRun: boolean;
  /** Orders whose check failed (counted, and the run went on); the first error, for the logs. */
  readonly ordersFailed: number;
  readonly firstError?: string;
  /** Items the audit's index queries and reads returned: its read cost. */
  readonly itemsRead: number;
  readonly missingEvents: number;
  readonly missingEventsRepaired: number;
  readonly readModelBehind: number;
  readonly readModelRepaired: number;
  /** Read models behind whose repair waits: the run's repair cap, or the order's backoff. */
  readonly readModelRepairsDeferred: number;
  /** Published items given their missing `expiresAt`, or pending items relieved of one. */
  readonly ttlRepaired: number;
}

type MutableReport = { -readonly [K in keyof Omit<AuditReport, 'leftForNextRun'>]: AuditReport[K] };

/** Where the audit keeps its place between runs: a control record of the outbox table. */
const CURSOR_KEY = { aggregateId: '#orders-audit', version: CONTROL_VERSION } as const;
/** Repairs of one order back off from the grace period, doubling, up to this. */
const MAX_REPAIR_BACKOFF_MS = 6 * 60 * 60 * 1000;

/**
 * Audits the orders changed in a recent window, each against the outbox and the read model:
 * a version without its outbox event gets the event back (rebuilt from the state, same id; the
 * relay publishes it), a read model still behind past the grace period gets the latest event
 * handed to its projector alone (capped per run, with a backoff per order so a broken projector
 * causes no storm), and TTL is made right (published items expire, pending items never do).
 *
 * A run checks at most `maxOrders`, oldest change first, and stops starting work at its
 * deadline; it keeps its place in a cursor and the next run resumes there, wrapping to the start
 * of the window once it reaches the present. Its cost follows the number of changed orders,
 * never the size of a table.
 */
export class OrdersAudit implements Audit<AuditReport> {
  private readonly orders: DynamoOrderReader;

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: OrdersAuditOptions,
    private readonly repairer: ReadModelRepairer,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.orders = new DynamoOrderReader(client, options.ordersTableName);
  }

  public async run(run: AuditRunOptions): Promise<AuditReport> {
    const now = this.now();
    const cursor = await this.readCursor();
    const changed = await ordersChangedSince(
      this.client,
      this.options.ordersTableName,
      { from: new Date(now.getTime() - run.windowHours * 3_600_000), to: now, ...(cursor === undefined ? {} : { cursor }) },
      run.maxOrders,
    );
    const report: MutableReport = {
      changedOrders: changed.orders.length,
      auditedOrders: 0,
      ordersLeft: 0,
      ordersFailed: 0,
      itemsRead: changed.itemsRead,
      missingEvents: 0,
      missingEventsRepaired: 0,
      readModelBehind: 0,
      readModelRepaired: 0,
      readModelRepairsDeferred: 0,
      ttlRepaired: 0,
    };
    const graceMs = run.graceSeconds * 1000;
    let last: ChangedOrder | undefined;

    try {
      for (const order of changed.orders) {
        if (this.now().getTime() >= run.deadline) break;
        last = order;
        report.auditedOrders += 1;
        try {
          await this.check(order, now, graceMs, run.maxRepairs, report);
        } catch (error: unknown) {
          // One order's failure (a throttle, a denied repair) is counted and the run goes on,
          // so a single bad order can never pin the cursor and stop every later check.
          report.ordersFailed += 1;
          report.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
      }
    } finally {
      report.ordersLeft = changed.orders.length - report.auditedOrders;
      // At the present: the next run starts again at the beginning of the window.
      await this.writeCursor(report.ordersLeft > 0 || changed.more ? (last ?? cursor) : undefined);
    }
    return { ...report, leftForNextRun: report.ordersLeft > 0 || changed.more };
  }

  private async check(order: ChangedOrder, now: Date, graceMs: number, maxRepairs: number, report: MutableReport): Promise<void> {
    const event = await this.outboxItem(order.id, order.version);
    if (event === undefined) {
      report.missingEvents += 1;
      report.missingEventsRepaired += (await this.restoreEvent(order.id, order.version)) ? 1 : 0;
    } else {
      report.itemsRead += 1;
      report.ttlRepaired += (await this.repairTtl(event, now)) ? 1 : 0;
    }
    if (Date.parse(order.updatedAt) > now.getTime() - graceMs) return;
    const { Item: projected } = await this.client.send(
      new GetCommand({
        TableName: this.options.readModelTableName,
        Key: { id: order.id },
        ProjectionExpression: 'lastProcessedVersion',
        ConsistentRead: true,
      }),
    );
    if (projected !== undefined) report.itemsRead += 1;
    if (((projected?.lastProcessedVersion as number | undefined) ?? 0) >= order.version) return;
    report.readModelBehind += 1;
    // A pending event is on its way (relay or sweep) and a parked one waits for an operator;
    // only a published one needs handing to the projector again.
    if (event?.status !== 'PUBLISHED') return;
    if (report.readModelRepaired >= maxRepairs || !this.repairDue(event, now, graceMs)) {
      report.readModelRepairsDeferred += 1;
      return;
    }
    // Recorded first: a repair whose record failed is never sent again without its backoff.
    await this.recordRepair(event, now);
    await this.repairer.repair(event);
    report.readModelRepaired += 1;
  }

  private async readCursor(): Promise<ChangeCursor | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.options.outboxTableName, Key: CURSOR_KEY, ConsistentRead: true }));
    const updatedAt = Item?.cursorUpdatedAt as string | undefined;
    const id = Item?.cursorId as string | undefined;
    return updatedAt === undefined || id === undefined ? undefined : { updatedAt, id };
  }

  private async writeCursor(cursor: ChangeCursor | undefined): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.options.outboxTableName,
        Item: {
          ...CURSOR_KEY,
          status: 'AUDIT_CURSOR',
          savedAt: this.now().toISOString(),
          ...(cursor === undefined ? {} : { cursorUpdatedAt: cursor.updatedAt, cursorId: cursor.id }),
        },
      }),
    );
  }

  /** An order's repairs back off: the grace period after the first, doubling after each. */
  private repairDue(event: OutboxItem, now: Date, graceMs: number): boolean {
    if (event.lastRepairAt === undefined) return true;
    const backoff = Math.min(MAX_REPAIR_BACKOFF_MS, graceMs * 2 ** Math.max(0, (event.repairCount ?? 1) - 1));
    return Date.parse(event.lastRepairAt) + backoff <= now.getTime();
  }

  private async recordRepair(event: OutboxItem, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.options.outboxTableName,
        Key: { aggregateId: event.aggregateId, version: event.version },
        UpdateExpression: 'SET repairCount = if_not_exists(repairCount, :zero) + :one, lastRepairAt = :now',
        ConditionExpression: 'attribute_exists(aggregateId)',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now.toISOString() },
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  private async outboxItem(aggregateId: string, version: number): Promise<OutboxItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.options.outboxTableName, Key: { aggregateId, version }, ConsistentRead: true }),
    );
    return Item as OutboxItem | undefined;
  }

  /** Writes the missing event of the order's current version, unless the order moved on. */
  private async restoreEvent(orderId: string, version: number): Promise<boolean> {
    const order = await this.orders.get(orderId);
    if (order?.version !== version) return false;
    const event = eventForCurrentState(order);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.outboxTableName,
          // The reconciler's own trace: the repaired event's delivery joins the run that restored it.
          Item: newPendingOutboxItem(
            { source: event.source, detailType: event.type, detail: event.detail },
            this.options.pendingShards,
            this.now(),
            currentTraceHeader(),
          ),
          ConditionExpression: 'attribute_not_exists(aggregateId)',
        }),
      );
      return true;
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async repairTtl(item: OutboxItem, now: Date): Promise<boolean> {
    const key = { aggregateId: item.aggregateId, version: item.version };
    try {
      if (item.status === 'PUBLISHED' && item.expiresAt === undefined) {
        const publishedAt = item.publishedAt === undefined ? now.getTime() : Date.parse(item.publishedAt);
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.outboxTableName,
            Key: key,
            UpdateExpression: 'SET expiresAt = :expiresAt',
            ConditionExpression: '#status = :published AND attribute_not_exists(expiresAt)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':expiresAt': Math.floor(publishedAt / 1000) + this.options.retentionSeconds, ':published': 'PUBLISHED' },
          }),
        );
        return true;
      }
      if (item.status === 'PENDING' && item.expiresAt !== undefined) {
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.outboxTableName,
            Key: key,
            UpdateExpression: 'REMOVE expiresAt',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'PENDING' },
          }),
        );
        return true;
      }
    } catch (error: unknown) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    return false;
  }
}

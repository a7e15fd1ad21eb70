import { z } from 'zod';
import { ORDER_AGGREGATE_TYPE, ORDER_EVENT_SOURCE, ORDER_EVENT_TYPES } from '../domain/events';
import { ORDER_STATUSES, type Order } from '../domain/order';
import type { ProjectionOutcome } from '../adapters/dynamodb-read-model';

export interface ReadModelWriter {
  apply(state: Order, version: number): Promise<ProjectionOutcome>;
}

export class MalformedEventError extends Error {
  public constructor(public readonly problems: string) {
    super(`The event is not an order event this projector understands: ${problems}`);
    this.name = 'MalformedEventError';
  }
}

const orderState = z.object({
  id: z.string().min(1),
  customerId: z.string(),
  currency: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number(), unitPrice: z.number() })),
  total: z.number(),
  status: z.enum(ORDER_STATUSES),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
  trackingNumber: z.string().optional(),
  cancellationReason: z.string().optional(),
});

/** The EventBridge event a rule hands the projector (CONTRACT.md, "Events"). */
const orderEvent = z.object({
  source: z.literal(ORDER_EVENT_SOURCE),
  'detail-type': z.enum(ORDER_EVENT_TYPES),
  detail: z.object({
    eventId: z.string().min(1),
    // Only for the logs: an event without one (a repair), or with an odd one, still projects.
    correlationId: z.unknown().optional(),
    aggregateType: z.literal(ORDER_AGGREGATE_TYPE),
    aggregateId: z.string().min(1),
    version: z.number().int().positive(),
    occurredAt: z.string(),
    state: orderState,
  }),
});

export interface ProjectionReport {
  readonly aggregateId: string;
  readonly version: number;
  readonly eventId: string;
  /** The envelope's `correlationId`, when it has one. */
  readonly correlationId?: string;
  readonly outcome: ProjectionOutcome['kind'];
  /** Versions skipped over by this apply (0 when the previous version was the one before). */
  readonly gap: number;
  /** Apply time minus `occurredAt`. */
  readonly lagMs: number;
}

/**
 * Applies an order event to the read model. Correct under at-least-once delivery and any order:
 * an event applies only if it is newer than what the read model has seen, and since every event
 * carries the whole state at its version, a newer event can apply across a gap.
 */
export class OrderProjector {
  public constructor(
    private readonly readModel: ReadModelWriter,
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async project(event: unknown): Promise<ProjectionReport> {
    const parsed = orderEvent.safeParse(event);
    if (!parsed.success) {
      throw new MalformedEventError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    }
    const { detail } = parsed.data;
    if (detail.state.id !== detail.aggregateId || detail.state.version !== detail.version) {
      throw new MalformedEventError('the state does not belong to this aggregate and version');
    }
    const outcome = await this.readModel.apply(detail.state as Order, detail.version);
    const gap = outcome.kind === 'applied' ? detail.version - (outcome.previousVersion ?? 0) - 1 : 0;
    return {
      aggregateId: detail.aggregateId,
      version: detail.version,
      eventId: detail.eventId,
      ...(typeof detail.correlationId === 'string' ? { correlationId: detail.correlationId.slice(0, 128) } : {}),
      outcome: outcome.kind,
      gap,
      lagMs: this.now().getTime() - Date.parse(detail.occurredAt),
    };
  }
}

import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { z } from 'zod';
import { assertMayRun } from '../domain/caller';
import { OrderNotFoundError } from '../domain/errors';
import type { OrderCommand } from '../domain/order';
import type { CommandOutcome, OrderCommands } from '../use-cases/order-commands';
import type { CallerReader } from './caller';
import {
  type HttpHandler,
  httpHandler,
  orderResponse,
  readIdempotency,
  readIfMatch,
  readJsonBody,
  readOrderId,
} from './http';
import { parseWith } from './schemas';

/**
 * Counts a command that committed: one `CommandsAccepted` per state change and its outbox event,
 * the start of the flow the dashboard follows to the bus. A replayed outcome committed nothing
 * and is not counted.
 */
export const countAccepted = (metrics: Metrics, outcome: CommandOutcome): void => {
  if (outcome.replayed) return;
  metrics.addMetric('CommandsAccepted', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
};

/**
 * The shape shared by `POST /orders/{id}/confirm|ship|cancel`: the caller, an optional JSON body
 * checked by `schema`, `If-Match`, `Idempotency-Key`, one use-case call.
 */
export const createOrderCommandHandler = <TSchema extends z.ZodType>(
  commands: OrderCommands,
  log: Logger,
  metrics: Metrics,
  callers: CallerReader,
  schema: TSchema,
  toCommand: (body: z.infer<TSchema>) => OrderCommand,
): HttpHandler =>
  httpHandler(log, async (event, { correlationId }) => {
    const caller = callers(event);
    const body = readJsonBody(event) ?? {};
    const command = toCommand(parseWith(schema, body));
    const expectedVersion = readIfMatch(event);
    const idempotency = readIdempotency(event, body);
    // Staff work is refused before the id is looked at: a customer's confirm is 403 for any id.
    assertMayRun(caller, command.type);
    const orderId = readOrderId(event);
    if (orderId === undefined) {
      throw new OrderNotFoundError(event.pathParameters?.id ?? '');
    }
    const outcome = await commands.apply(caller, orderId, command, {
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...(idempotency === undefined ? {} : { idempotency }),
      correlationId,
    });
    countAccepted(metrics, outcome);
    log.info(outcome.replayed ? 'Order command replayed' : 'Order command applied', {
      orderId,
      command: command.type,
      version: outcome.order.version,
      staff: caller.staff,
    });
    return orderResponse(200, outcome.order, outcome.replayed ? { 'idempotent-replayed': 'true' } : {});
  });

import type { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import { OrderNotFoundError } from '../domain/errors';
import type { OrderCommand } from '../domain/order';
import type { OrderCommands } from '../use-cases/order-commands';
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
 * The shape shared by `POST /orders/{id}/confirm|ship|cancel`: an optional JSON body checked by
 * `schema`, `If-Match`, `Idempotency-Key`, one use-case call.
 */
export const createOrderCommandHandler = <TSchema extends z.ZodType>(
  commands: OrderCommands,
  log: Logger,
  schema: TSchema,
  toCommand: (body: z.infer<TSchema>) => OrderCommand,
): HttpHandler =>
  httpHandler(log, async (event) => {
    const body = readJsonBody(event) ?? {};
    const command = toCommand(parseWith(schema, body));
    const expectedVersion = readIfMatch(event);
    const idempotency = readIdempotency(event, body);
    const orderId = readOrderId(event);
    if (orderId === undefined) {
      throw new OrderNotFoundError(event.pathParameters?.id ?? '');
    }
    const outcome = await commands.apply(orderId, command, {
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...(idempotency === undefined ? {} : { idempotency }),
    });
    log.info(outcome.replayed ? 'Order command replayed' : 'Order command applied', {
      orderId,
      command: command.type,
      version: outcome.order.version,
    });
    return orderResponse(200, outcome.order, outcome.replayed ? { 'idempotent-replayed': 'true' } : {});
  });

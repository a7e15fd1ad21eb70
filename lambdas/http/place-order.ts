import type { Logger } from '@aws-lambda-powertools/logger';
import { ValidationError } from '../domain/errors';
import type { OrderCommands } from '../use-cases/order-commands';
import { type HttpHandler, httpHandler, orderResponse, readIdempotency, readJsonBody } from './http';
import { parseWith, placeOrderBody } from './schemas';

/** `POST /orders`: places an order; its `OrderPlaced` event is written in the same transaction. */
export const createPlaceOrderHandler = (commands: OrderCommands, log: Logger): HttpHandler =>
  httpHandler(log, async (event) => {
    const body = readJsonBody(event);
    if (body === undefined) {
      throw new ValidationError([{ path: 'body', message: 'is required' }], 'The request needs a JSON body.');
    }
    const command = parseWith(placeOrderBody, body);
    const idempotency = readIdempotency(event, body);
    const outcome = await commands.place(command, { ...(idempotency === undefined ? {} : { idempotency }) });
    log.info(outcome.replayed ? 'Order placement replayed' : 'Order placed', {
      orderId: outcome.order.id,
      itemCount: outcome.order.items.length,
    });
    return orderResponse(201, outcome.order, {
      location: `/orders/${outcome.order.id}`,
      ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  });

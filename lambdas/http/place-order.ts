import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ValidationError } from '../domain/errors';
import type { OrderCommands } from '../use-cases/order-commands';
import { type CallerReader, requestedCustomer } from './caller';
import { type HttpHandler, httpHandler, orderResponse, readIdempotency, readJsonBody } from './http';
import { countAccepted } from './order-command';
import { parseWith, placeOrderBody } from './schemas';

/**
 * `POST /orders`: places an order; its `OrderPlaced` event is written in the same transaction.
 * A customer may leave `customerId` out (it is then their `sub`); staff must give it.
 */
export const createPlaceOrderHandler = (commands: OrderCommands, log: Logger, metrics: Metrics, callers: CallerReader): HttpHandler =>
  httpHandler(log, async (event, { correlationId }) => {
    const caller = callers(event);
    const body = readJsonBody(event);
    if (body === undefined) {
      throw new ValidationError([{ path: 'body', message: 'is required' }], 'The request needs a JSON body.');
    }
    const request = parseWith(placeOrderBody, body);
    const customerId = requestedCustomer(caller, request.customerId, 'body.customerId');
    const idempotency = readIdempotency(event, body);
    const outcome = await commands.place(
      caller,
      { customerId, currency: request.currency, items: request.items },
      { ...(idempotency === undefined ? {} : { idempotency }), correlationId },
    );
    countAccepted(metrics, outcome);
    log.info(outcome.replayed ? 'Order placement replayed' : 'Order placed', {
      orderId: outcome.order.id,
      itemCount: outcome.order.items.length,
      staff: caller.staff,
    });
    return orderResponse(201, outcome.order, {
      location: `/orders/${outcome.order.id}`,
      ...(outcome.replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  });

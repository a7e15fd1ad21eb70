import type { Logger } from '@aws-lambda-powertools/logger';
import { OrderNotFoundError } from '../domain/errors';
import type { OrderQueries } from '../use-cases/order-queries';
import { type HttpHandler, httpHandler, orderResponse, readMinVersion, readOrderId } from './http';

/** `GET /orders/{id}`, honouring `X-Min-Version`. */
export const createGetOrderHandler = (queries: OrderQueries, log: Logger): HttpHandler =>
  httpHandler(log, async (event) => {
    const minVersion = readMinVersion(event);
    const orderId = readOrderId(event);
    if (orderId === undefined) {
      throw new OrderNotFoundError(event.pathParameters?.id ?? '');
    }
    const view = await queries.get(orderId, minVersion);
    return orderResponse(200, view.order, { 'x-read-source': view.source });
  });

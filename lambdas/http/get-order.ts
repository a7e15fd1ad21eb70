import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrderNotFoundError } from '../domain/errors';
import type { OrderQueries } from '../use-cases/order-queries';
import type { CallerReader } from './caller';
import { type HttpHandler, httpHandler, orderResponse, readMinVersion, readOrderId } from './http';

/**
 * `GET /orders/{id}`, honouring `X-Min-Version`; `X-Read-Source` says which model answered. A
 * customer reads their own orders only: another's is `404`, as a missing one.
 */
export const createGetOrderHandler = (
  queries: OrderQueries,
  log: Logger,
  metrics: Metrics,
  callers: CallerReader,
): HttpHandler =>
  httpHandler(log, async (event) => {
    const caller = callers(event);
    const minVersion = readMinVersion(event);
    const orderId = readOrderId(event);
    if (orderId === undefined) {
      throw new OrderNotFoundError(event.pathParameters?.id ?? '');
    }
    const view = await queries.get(caller, orderId, minVersion);
    metrics.addMetric(view.source === 'read-model' ? 'ReadsFromReadModel' : 'ReadsFromWriteModel', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return orderResponse(200, view.order, { 'x-read-source': view.source });
  });

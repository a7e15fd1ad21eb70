import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { OrderCommands } from '../use-cases/order-commands';
import type { CallerReader } from './caller';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { shipOrderBody } from './schemas';

/** `POST /orders/{id}/ship`: staff only (`403` for a customer). */
export const createShipOrderHandler = (commands: OrderCommands, log: Logger, metrics: Metrics, callers: CallerReader): HttpHandler =>
  createOrderCommandHandler(commands, log, metrics, callers, shipOrderBody, (body) => ({
    type: 'ship',
    ...(body.trackingNumber === undefined ? {} : { trackingNumber: body.trackingNumber }),
  }));

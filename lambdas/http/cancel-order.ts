import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { OrderCommands } from '../use-cases/order-commands';
import type { CallerReader } from './caller';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { cancelOrderBody } from './schemas';

/** `POST /orders/{id}/cancel`: a customer their own orders, staff any. */
export const createCancelOrderHandler = (commands: OrderCommands, log: Logger, metrics: Metrics, callers: CallerReader): HttpHandler =>
  createOrderCommandHandler(commands, log, metrics, callers, cancelOrderBody, (body) => ({
    type: 'cancel',
    ...(body.reason === undefined ? {} : { reason: body.reason }),
  }));

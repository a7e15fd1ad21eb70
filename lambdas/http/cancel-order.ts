import type { Logger } from '@aws-lambda-powertools/logger';
import type { OrderCommands } from '../use-cases/order-commands';
import type { CallerReader } from './caller';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { cancelOrderBody } from './schemas';

/** `POST /orders/{id}/cancel`: a customer their own orders, staff any. */
export const createCancelOrderHandler = (commands: OrderCommands, log: Logger, callers: CallerReader): HttpHandler =>
  createOrderCommandHandler(commands, log, callers, cancelOrderBody, (body) => ({
    type: 'cancel',
    ...(body.reason === undefined ? {} : { reason: body.reason }),
  }));

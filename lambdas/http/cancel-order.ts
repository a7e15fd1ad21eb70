import type { Logger } from '@aws-lambda-powertools/logger';
import type { OrderCommands } from '../use-cases/order-commands';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { cancelOrderBody } from './schemas';

/** `POST /orders/{id}/cancel` */
export const createCancelOrderHandler = (commands: OrderCommands, log: Logger): HttpHandler =>
  createOrderCommandHandler(commands, log, cancelOrderBody, (body) => ({
    type: 'cancel',
    ...(body.reason === undefined ? {} : { reason: body.reason }),
  }));

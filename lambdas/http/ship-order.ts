import type { Logger } from '@aws-lambda-powertools/logger';
import type { OrderCommands } from '../use-cases/order-commands';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { shipOrderBody } from './schemas';

/** `POST /orders/{id}/ship` */
export const createShipOrderHandler = (commands: OrderCommands, log: Logger): HttpHandler =>
  createOrderCommandHandler(commands, log, shipOrderBody, (body) => ({
    type: 'ship',
    ...(body.trackingNumber === undefined ? {} : { trackingNumber: body.trackingNumber }),
  }));

import type { Logger } from '@aws-lambda-powertools/logger';
import type { OrderCommands } from '../use-cases/order-commands';
import type { HttpHandler } from './http';
import { createOrderCommandHandler } from './order-command';
import { confirmOrderBody } from './schemas';

/** `POST /orders/{id}/confirm` */
export const createConfirmOrderHandler = (commands: OrderCommands, log: Logger): HttpHandler =>
  createOrderCommandHandler(commands, log, confirmOrderBody, () => ({ type: 'confirm' }));

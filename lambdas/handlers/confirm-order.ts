import { createConfirmOrderHandler } from '../http/confirm-order';
import { logger, orderCommandsFromEnv } from './runtime';

/** Lambda entry point for `POST /orders/{id}/confirm`: configuration and clients are built once, at cold start. */
export const handler = createConfirmOrderHandler(orderCommandsFromEnv(), logger);

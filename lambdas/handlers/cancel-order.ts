import { Metrics } from '@aws-lambda-powertools/metrics';
import { createCancelOrderHandler } from '../http/cancel-order';
import { callersFromEnv, logger, orderCommandsFromEnv } from './runtime';

/** Lambda entry point for `POST /orders/{id}/cancel`: configuration and clients are built once, at cold start. */
export const handler = createCancelOrderHandler(orderCommandsFromEnv(), logger, new Metrics(), callersFromEnv());

import { Metrics } from '@aws-lambda-powertools/metrics';
import { createCancelOrderHandler } from '../http/cancel-order';
import { callersFromEnv, logger, orderCommandsFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `POST /orders/{id}/cancel`: configuration and clients are built once, at cold start. */
export const handler = traced(createCancelOrderHandler(orderCommandsFromEnv(), logger, new Metrics(), callersFromEnv()));

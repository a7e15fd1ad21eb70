import { Metrics } from '@aws-lambda-powertools/metrics';
import { createShipOrderHandler } from '../http/ship-order';
import { callersFromEnv, logger, orderCommandsFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `POST /orders/{id}/ship`: configuration and clients are built once, at cold start. */
export const handler = traced(createShipOrderHandler(orderCommandsFromEnv(), logger, new Metrics(), callersFromEnv()));

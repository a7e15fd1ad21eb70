import { Metrics } from '@aws-lambda-powertools/metrics';
import { createPlaceOrderHandler } from '../http/place-order';
import { callersFromEnv, logger, orderCommandsFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `POST /orders`: configuration and clients are built once, at cold start. */
export const handler = traced(createPlaceOrderHandler(orderCommandsFromEnv(), logger, new Metrics(), callersFromEnv()));

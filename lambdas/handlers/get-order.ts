import { Metrics } from '@aws-lambda-powertools/metrics';
import { createGetOrderHandler } from '../http/get-order';
import { callersFromEnv, logger, orderQueriesFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `GET /orders/{id}`: configuration and clients are built once, at cold start. */
export const handler = traced(createGetOrderHandler(orderQueriesFromEnv(), logger, new Metrics(), callersFromEnv()));

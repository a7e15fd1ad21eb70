import { Metrics } from '@aws-lambda-powertools/metrics';
import { createGetOrderHandler } from '../http/get-order';
import { callersFromEnv, logger, orderQueriesFromEnv } from './runtime';

/** Lambda entry point for `GET /orders/{id}`: configuration and clients are built once, at cold start. */
export const handler = createGetOrderHandler(orderQueriesFromEnv(), logger, new Metrics(), callersFromEnv());

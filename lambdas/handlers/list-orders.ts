import { createListOrdersHandler } from '../http/list-orders';
import { callersFromEnv, logger, orderListingFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `GET /orders?customerId=…`: configuration and clients are built once, at cold start. */
export const handler = traced(createListOrdersHandler(orderListingFromEnv(), logger, callersFromEnv()));

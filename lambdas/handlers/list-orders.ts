import { createListOrdersHandler } from '../http/list-orders';
import { callersFromEnv, logger, orderListingFromEnv } from './runtime';

/** Lambda entry point for `GET /orders?customerId=…`: configuration and clients are built once, at cold start. */
export const handler = createListOrdersHandler(orderListingFromEnv(), logger, callersFromEnv());

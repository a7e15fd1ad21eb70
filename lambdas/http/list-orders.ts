import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { OrderListing } from '../use-cases/order-queries';
import { type CallerReader, requestedCustomer } from './caller';
import { type HttpHandler, httpHandler, json } from './http';
import { customerId, parseWith } from './schemas';

const listQuery = z.strictObject({
  customerId: customerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  // Its length, encoding and content are the listing's to check (`400` naming `query.cursor`).
  cursor: z.string().optional(),
});

/**
 * `GET /orders?customerId=…&limit=…&cursor=…`: a customer's orders from the read model, newest
 * first. A customer lists their own (`customerId` may be left out; another's is `403`); staff
 * name the customer.
 */
export const createListOrdersHandler = (listing: OrderListing, log: Logger, callers: CallerReader): HttpHandler =>
  httpHandler(log, async (event) => {
    const caller = callers(event);
    const query = parseWith(listQuery, event.queryStringParameters ?? {}, 'query');
    const page = await listing.list(caller, {
      customerId: requestedCustomer(caller, query.customerId, 'query.customerId'),
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return json(200, { items: page.items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) });
  });

import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { InvalidCursorError, type OrderPage } from '../adapters/dynamodb-read-model';
import { ValidationError } from '../domain/errors';
import { type HttpHandler, httpHandler, json } from './http';
import { parseWith } from './schemas';

export interface OrderLister {
  listByCustomer(customerId: string, limit: number, cursor?: string): Promise<OrderPage>;
}

const listQuery = z.strictObject({
  customerId: z.string().min(1).max(64),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** `GET /orders?customerId=…&limit=…&cursor=…`: a customer's orders from the read model, newest first. */
export const createListOrdersHandler = (lister: OrderLister, log: Logger): HttpHandler =>
  httpHandler(log, async (event) => {
    const query = parseWith(listQuery, event.queryStringParameters ?? {}, 'query');
    try {
      const page = await lister.listByCustomer(query.customerId, query.limit, query.cursor);
      return json(200, { items: page.items, ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) });
    } catch (error: unknown) {
      if (error instanceof InvalidCursorError) {
        throw new ValidationError([{ path: 'query.cursor', message: 'is not a cursor from this listing' }]);
      }
      throw error;
    }
  });

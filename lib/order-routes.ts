/**
 * The Orders HTTP API: one entry per route, with the handler module that serves it and what the
 * handler may do to the data. The stack builds a function and a route from each entry; the
 * local HTTP server serves the same table, so the two cannot disagree on a route.
 */
export interface OrderRoute {
  /** The construct id of the route's function. A contract: renaming it replaces the function. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  /** An HTTP API path, `{name}` for a path parameter. */
  readonly path: string;
  /** The handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /**
   * `write` functions commit orders and events; `read` functions read one order (read model,
   * then write model); `list` functions query the read model's by-customer index.
   */
  readonly access: 'read' | 'write' | 'list';
}

/**
 * The environment variable that tells every order function how callers are authenticated:
 * `jwt` (the API's JWT authorizer verified the caller; a request without a `sub` claim is an
 * error) or `none` (`auth: 'none'`: no authorizer, every request is treated as staff). The stack
 * sets it on every function of `ORDER_ROUTES`; the local stack runs the same template.
 */
export const AUTH_MODE_ENV = 'AUTH_MODE';

export const ORDER_ROUTES: readonly OrderRoute[] = [
  { id: 'PlaceOrder', method: 'POST', path: '/orders', entry: 'lambdas/handlers/place-order.ts', access: 'write' },
  {
    id: 'ConfirmOrder',
    method: 'POST',
    path: '/orders/{id}/confirm',
    entry: 'lambdas/handlers/confirm-order.ts',
    access: 'write',
  },
  { id: 'ShipOrder', method: 'POST', path: '/orders/{id}/ship', entry: 'lambdas/handlers/ship-order.ts', access: 'write' },
  {
    id: 'CancelOrder',
    method: 'POST',
    path: '/orders/{id}/cancel',
    entry: 'lambdas/handlers/cancel-order.ts',
    access: 'write',
  },
  { id: 'GetOrder', method: 'GET', path: '/orders/{id}', entry: 'lambdas/handlers/get-order.ts', access: 'read' },
  { id: 'ListOrders', method: 'GET', path: '/orders', entry: 'lambdas/handlers/list-orders.ts', access: 'list' },
];

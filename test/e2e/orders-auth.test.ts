import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrdersAssembly } from '../../local/apps/orders-stack';
import { routeAuthorizationsOf } from '../../local/model';
import { ordersFunctionsOf } from '../../local/apps/orders';
import { useE2e } from '../support/e2e';
import { type BadToken, badTokens } from '../support/tokens';

/**
 * The Orders API on the local stack is as closed as the deployed one: every route of the
 * template has the JWT authorizer (the stack's Cognito user pool by default), and the local
 * stack refuses what API Gateway refuses, before any function runs and writes anything.
 */
const { template } = loadOrdersAssembly(inject('cloudAssemblyDir'));
const routes = [...routeAuthorizationsOf(template)];
const ctx = useE2e();
let bad: BadToken[];

beforeAll(async () => {
  bad = await badTokens(ctx.api.issuer);
});

/** Invocations of the API's functions (the relay, projector and reconciler run on their own). */
const invocations = (): number => {
  const background = new Set(Object.values(ordersFunctionsOf(template)));
  return [...ctx.api.functions.values()].filter((fn) => !background.has(fn.spec.logicalId)).reduce((sum, fn) => sum + fn.invocations, 0);
};

describe.runIf(routes.some(([, rule]) => rule.type === 'JWT'))('the Orders API behind its JWT authorizer', () => {
  it('needs a JWT on every route of the template', () => {
    expect(routes.filter(([, rule]) => rule.type !== 'JWT').map(([routeKey]) => routeKey)).toEqual([]);
  });

  it.each(routes.map(([routeKey]) => routeKey))(
    'answers 401 {"message":"Unauthorized"} on %s to no token, a forged, an alg:none, an expired or a foreign token, and runs and writes nothing',
    async (routeKey) => {
      const order = await ctx.placeOrder();
      const [method = 'GET', template = '/'] = routeKey.split(' ');
      const path = template.replace('{id}', order.id).concat(method === 'GET' && !template.includes('{id}') ? '?customerId=c-1' : '');
      const body = method === 'POST' ? JSON.stringify(routeKey === 'POST /orders' ? { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] } : {}) : undefined;
      const before = { counts: await ctx.counts(), invocations: invocations() };

      for (const { name, authorization } of bad) {
        const result = await ctx.as('anonymous').request(method, path, {
          ...(body === undefined ? {} : { body }),
          headers: { 'content-type': 'application/json', 'idempotency-key': `k-${name}`, ...(authorization === undefined ? {} : { authorization }) },
        });

        expect({ name, status: result.status, body: result.body }).toEqual({ name, status: 401, body: { message: 'Unauthorized' } });
      }
      expect(invocations()).toBe(before.invocations);
      expect(await ctx.counts()).toEqual(before.counts);
    },
  );

  it('lets a token minted by POST /_local/token through to the function', async () => {
    const order = await ctx.placeOrder();

    const read = await ctx.get(`/orders/${order.id}`);

    expect(read.status).toBe(200);
    expect(read.body).toEqual(order);
  });
});

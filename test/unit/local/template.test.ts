import { describe, expect, it } from 'vitest';
import { DEFAULT_ASYNC_INVOKE, asyncInvokeSettingsOf, logicalIdOf, ordersFunctionsOf, synthesizeOrdersTemplate } from '../../../local/template';

const template = synthesizeOrdersTemplate();

describe('the functions local faults act on', () => {
  it('finds the relay, the reconciler and the projector by their construct paths', () => {
    expect(ordersFunctionsOf(template)).toEqual({
      relay: logicalIdOf(template, 'OrdersService/Outbox/Relay/Resource'),
      reconciler: logicalIdOf(template, 'OrdersService/Outbox/Reconciler/Resource'),
      projector: logicalIdOf(template, 'OrdersService/ReadModel/Projector/Resource'),
    });
  });

  it('finds none in a template without them', () => {
    expect(ordersFunctionsOf({ Resources: {} })).toEqual({});
  });
});

describe('asyncInvokeSettingsOf', () => {
  it("reads the projector's EventInvokeConfig: its retries and its dead-letter queue as on-failure destination", () => {
    const projector = logicalIdOf(template, 'OrdersService/ReadModel/Projector/Resource');

    expect(asyncInvokeSettingsOf(template).get(projector)).toEqual({
      maxRetryAttempts: 2,
      maxEventAgeSeconds: DEFAULT_ASYNC_INVOKE.maxEventAgeSeconds,
      onFailureQueueLogicalId: logicalIdOf(template, 'OrdersService/ReadModel/DeadLetters/Resource'),
    });
  });

  it('leaves out functions without one (they get Lambda defaults)', () => {
    const relay = logicalIdOf(template, 'OrdersService/Outbox/Relay/Resource');

    expect(asyncInvokeSettingsOf(template).has(relay)).toBe(false);
  });
});

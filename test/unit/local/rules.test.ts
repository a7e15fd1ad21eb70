import { describe, expect, it } from 'vitest';
import type { AcceptedEvent, DeliveredEvent } from '../../../local/events/bus';
import { type AsyncInvoker, startLocalRules } from '../../../local/events/rules';
import type { RuleModel } from '../../../local/model';

/**
 * A rule target's delivery as EventBridge makes it: the rule's RetryPolicy and dead-letter queue
 * cover only Lambda refusing the invocation, an error the local engine never produces by itself,
 * so the Lambda side is a stand-in here (a function's own errors are Lambda's, see local-faults).
 */
const rule: RuleModel = {
  logicalId: 'Orders',
  eventPattern: { source: ['orders'] },
  targets: [
    {
      id: 'projector',
      functionLogicalId: 'Projector',
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      deadLetterQueueLogicalId: 'Dlq',
    },
  ],
};

const event: DeliveredEvent = {
  version: '0',
  id: 'e-1',
  'detail-type': 'OrderPlaced',
  source: 'orders',
  account: '000000000000',
  time: '2026-11-27T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { aggregateId: 'o-1', version: 1 },
};

const run = async (invokeAsync: AsyncInvoker, rules: RuleModel[] = [rule]) => {
  let publish: ((accepted: AcceptedEvent) => void) | undefined;
  const queues: { queue: string; message: unknown }[] = [];
  const lines: string[] = [];
  const local = startLocalRules({
    rules,
    events: { onAccepted: (listener) => (publish = listener) },
    functionName: () => 'projector',
    invokeAsync,
    log: (line) => lines.push(line),
    sendToQueue: (queue, body, attributes) => queues.push({ queue, message: { body, attributes } }),
    retryDelaysMs: [1],
  });
  publish?.({ eventBusName: 'default', event });
  for (let i = 0; i < 100 && queues.length === 0 && !lines.some((line) => line.includes('gave up')); i++) await new Promise((r) => setTimeout(r, 5));
  local.close();
  return { queues, lines };
};

describe('a rule target delivery', () => {
  it("hands a matching event to Lambda once, and nothing more when Lambda queues it (a function error is Lambda's to retry)", async () => {
    const calls: unknown[] = [];

    const { queues, lines } = await run((_, payload) => {
      calls.push(payload);
      return undefined;
    });

    expect(calls).toEqual([event]);
    expect(queues).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("retries a delivery Lambda refuses per the target's RetryPolicy, then sends the event to its dead-letter queue with EventBridge's attributes", async () => {
    let calls = 0;

    const { queues, lines } = await run(() => {
      calls += 1;
      return { code: 'TooManyRequestsException', message: 'Rate Exceeded.' };
    });

    expect(calls).toBe(3);
    expect(queues).toEqual([
      {
        queue: 'Dlq',
        message: {
          body: event,
          attributes: {
            RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/Orders',
            TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:projector',
            ERROR_CODE: 'TooManyRequestsException',
            ERROR_MESSAGE: 'Rate Exceeded.',
          },
        },
      },
    ]);
    expect(lines).toEqual(['rule   Orders gave up on projector after 3 attempts (TooManyRequestsException): Rate Exceeded. -> Dlq']);
  });

  it('gives up when the next retry, on EventBridge\'s back-off (1, 2, 4 ... s), would come after MaximumEventAgeInSeconds', async () => {
    let calls = 0;
    const shortLived: RuleModel = { ...rule, targets: rule.targets.map((target) => ({ ...target, retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 60 } })) };

    const { queues, lines } = await run(() => {
      calls += 1;
      return { code: 'TooManyRequestsException', message: 'Rate Exceeded.' };
    }, [shortLived]);

    // Retries after 1, 2, 4, 8 and 16 s (31 s); the next, 32 s later, would be at 63 s.
    expect(calls).toBe(6);
    expect(queues).toHaveLength(1);
    expect(lines).toEqual(['rule   Orders gave up on projector after 6 attempts (TooManyRequestsException): Rate Exceeded. -> Dlq']);
  });

  it('sends an event Lambda refuses for good to the dead-letter queue without retrying it', async () => {
    let calls = 0;

    const { queues } = await run(() => {
      calls += 1;
      return { code: 'RequestTooLargeException', message: 'Request must be smaller than 1048576 bytes for the Invoke operation' };
    });

    expect(calls).toBe(1);
    expect(queues).toHaveLength(1);
  });

  it('leaves out events the pattern does not match', async () => {
    let calls = 0;

    await run(
      () => {
        calls += 1;
        return undefined;
      },
      [{ ...rule, eventPattern: { source: ['billing'] } }],
    );

    expect(calls).toBe(0);
  });
});

import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { QueueModel } from '../../../local/model';
import { SqsError } from '../../../local/sqs/errors';
import { md5Hex, md5OfMessageAttributes } from '../../../local/sqs/md5';
import { LocalQueue } from '../../../local/sqs/queue';

const model: QueueModel = {
  logicalId: 'Dlq',
  name: 'Dlq',
  url: 'http://127.0.0.1:3000/000000000000/Dlq',
  arn: 'arn:aws:sqs:us-east-1:000000000000:Dlq',
  visibilityTimeoutSeconds: 30,
  messageRetentionSeconds: 60,
  delaySeconds: 0,
  receiveWaitTimeSeconds: 0,
  maximumMessageSizeBytes: 1024,
};

/** A queue on a clock the test moves. */
const queueAt = (start = 1_000_000) => {
  const clock = { now: start };
  const queue = new LocalQueue(model, { now: () => clock.now });
  return { queue, clock };
};

const codeOf = (action: () => unknown): string | undefined => {
  try {
    action();
    return undefined;
  } catch (error: unknown) {
    return error instanceof SqsError ? error.code : String(error);
  }
};

describe('the MD5 digests SQS answers with', () => {
  it('digests a body as the hex MD5 of its UTF-8 bytes', () => {
    expect(md5Hex('derp')).toBe('58fd9edd83341c29f1aebba81c31e257');
  });

  it('digests message attributes as SQS does (digests moto pins as what AWS answers)', () => {
    expect(md5OfMessageAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } })).toBe('235c5c510d26fb653d073faed50ae77c');
    expect(md5OfMessageAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359901' } })).toBe('994258b45346a2cc3f9cbb611aa7af30');
    expect(
      md5OfMessageAttributes({
        ccc: { DataType: 'String', StringValue: 'testjunk' },
        aaa: { DataType: 'Binary', BinaryValue: Buffer.from([2, 3, 4]).toString('base64') },
        zzz: { DataType: 'Number', StringValue: '0230.01' },
        öther_encodings: { DataType: 'String', StringValue: 'Tüst' },
      }),
    ).toBe('8ae21a7957029ef04146b42aeaa18a22');
  });

  it('has no attribute digest without attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});

describe('a local queue', () => {
  it('hides a received message for the visibility timeout, then hands it out again with its receive count', async () => {
    const { queue, clock } = queueAt();
    queue.send('one');

    const first = await queue.receive({ maxNumberOfMessages: 10 });
    const hidden = await queue.receive({ maxNumberOfMessages: 10 });
    clock.now += 30_000;
    const again = await queue.receive({ maxNumberOfMessages: 10 });

    expect(first.map((r) => r.message.body)).toEqual(['one']);
    expect(hidden).toEqual([]);
    expect(again.map((r) => r.message.receiveCount)).toEqual([2]);
    expect(again[0]?.receiptHandle).not.toBe(first[0]?.receiptHandle);
  });

  it('counts visible, in-flight and delayed messages apart', async () => {
    const { queue } = queueAt();
    queue.send('a');
    queue.send('b');
    queue.send('later', {}, 60);

    await queue.receive({ maxNumberOfMessages: 1 });

    expect(queue.counts()).toEqual({ visible: 1, notVisible: 1, delayed: 1 });
  });

  it('deletes a message by its receipt handle, and a second delete of it succeeds as on SQS', async () => {
    const { queue } = queueAt();
    queue.send('one');
    const [received] = await queue.receive({ maxNumberOfMessages: 1 });

    queue.delete(received?.receiptHandle ?? '');
    queue.delete(received?.receiptHandle ?? '');

    expect(queue.snapshot()).toEqual([]);
  });

  it('refuses a receipt handle it never gave out', () => {
    const { queue } = queueAt();

    expect(codeOf(() => queue.delete('not-a-handle'))).toBe('ReceiptHandleIsInvalid');
  });

  it('changes the visibility of an in-flight message only, and only through its latest receipt handle', async () => {
    const { queue, clock } = queueAt();
    queue.send('one');
    const [first] = await queue.receive({ maxNumberOfMessages: 1, visibilityTimeoutSeconds: 5 });
    queue.changeVisibility(first?.receiptHandle ?? '', 0);
    const [second] = await queue.receive({ maxNumberOfMessages: 1, visibilityTimeoutSeconds: 5 });
    clock.now += 5_000;

    expect(codeOf(() => queue.changeVisibility(first?.receiptHandle ?? '', 10))).toBe('ReceiptHandleIsInvalid');
    expect(codeOf(() => queue.changeVisibility(second?.receiptHandle ?? '', 10))).toBe('MessageNotInflight');
  });

  it('drops messages older than the retention period', () => {
    const { queue, clock } = queueAt();
    queue.send('old');
    clock.now += 30_000;
    queue.send('new');
    clock.now += 31_000;

    expect(queue.snapshot().map((message) => message.body)).toEqual(['new']);
  });

  it('refuses a message over the maximum size and one with characters SQS does not take, and keeps nothing', () => {
    const { queue } = queueAt();

    expect(codeOf(() => queue.send('x'.repeat(1025)))).toBe('InvalidParameterValue');
    expect(codeOf(() => queue.send('bell \u0007'))).toBe('InvalidMessageContents');
    expect(queue.snapshot()).toEqual([]);
  });

  it('answers a long poll as soon as a message arrives', async () => {
    // The poll's own 20 s timer never fires: only the wake-up can end it (else the test times out).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const queue = new LocalQueue(model);

    const polling = queue.receive({ maxNumberOfMessages: 1, waitTimeSeconds: 20 });
    queue.send('arrived');

    expect((await polling).map((r) => r.message.body)).toEqual(['arrived']);
  });

  it('ends a long poll empty when the queue closes', async () => {
    // The poll's own 20 s timer never fires: only the wake-up can end it (else the test times out).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const queue = new LocalQueue(model);

    const polling = queue.receive({ maxNumberOfMessages: 1, waitTimeSeconds: 20 });
    queue.close();

    expect(await polling).toEqual([]);
  });
});

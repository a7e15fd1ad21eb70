import { randomUUID } from 'node:crypto';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { OutboxItem } from '../outbox/item';
import type { ReadModelRepairer } from './dynamodb-orders-audit';

/** Names the repair in the event's `resources`, so the projector's logs can tell it from a bus delivery. */
export const READ_MODEL_REPAIR_RESOURCE = 'orders:read-model-repair';

/**
 * Repairs a lagging read model by handing the order's latest event to the projector alone: an
 * asynchronous `Invoke` (so the projector's own retries and on-failure destination apply), with
 * the event shaped as EventBridge delivers it. Nothing goes to the bus, so no other consumer sees
 * a repair.
 */
export class LambdaProjectorRepair implements ReadModelRepairer {
  public constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
    private readonly region: string,
  ) {}

  public async repair(item: OutboxItem): Promise<void> {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': item.detailType,
      source: item.source,
      time: item.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [READ_MODEL_REPAIR_RESOURCE],
      detail: JSON.parse(item.detail) as unknown,
    };
    await this.client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }),
    );
  }
}

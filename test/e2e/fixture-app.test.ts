import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newPendingOutboxItem } from '../../lambdas/outbox/item';
import { ordersResourcesOf } from '../../local/apps/orders';
import { logicalIdOf } from '../../local/model';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { SYNTH_INPUTS, synthesizeApp } from '../../local/synth';
import { uniquePrefix } from '../support/dynamodb';
import { eventually } from '../support/e2e';

/**
 * The local stack is not the Orders service's alone: a second, tiny CDK app
 * (test/fixtures/outbox-app: the TransactionalOutbox, one function, one rule on the outbox's bus)
 * synthesized as `cdk deploy` would ship it and run from its own template, with nothing in local/
 * that knows it.
 */
const outDir = mkdtempSync(path.join(tmpdir(), 'outbox-fixture-'));
const functionLines: string[] = [];
let stack: LocalStack;
let documents: DynamoDBDocumentClient;
let outboxTable: string;

beforeAll(async () => {
  const assembly = await synthesizeApp({
    app: 'npx tsx test/fixtures/outbox-app/app.ts',
    stackName: 'OutboxFixture',
    outDir,
    inputs: [...SYNTH_INPUTS, 'test/fixtures/outbox-app'],
  });
  stack = await startLocalStack({
    port: 0,
    assembly,
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tablePrefix: uniquePrefix(),
    log: () => undefined,
    functionLog: (name, line) => functionLines.push(`[${name}] ${line}`),
  });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamodbEndpoint }));
  const outboxLogicalId = logicalIdOf(stack.template, 'OutboxFixture/Outbox/Table/Resource');
  outboxTable = stack.tables[outboxLogicalId] ?? '';
}, 180_000);

afterAll(async () => {
  documents?.destroy();
  await stack?.close();
  rmSync(outDir, { recursive: true, force: true });
});

/** An event written into the outbox as an application writes it (in its own transaction, here alone). */
const writeOutboxEvent = async (): Promise<string> => {
  const eventId = randomUUID();
  const item = newPendingOutboxItem(
    {
      source: 'fixture',
      detailType: 'ThingHappened',
      detail: { eventId, aggregateType: 'Thing', aggregateId: `thing-${eventId}`, version: 1, occurredAt: new Date().toISOString() },
    },
    4,
    new Date(),
  );
  await documents.send(new PutCommand({ TableName: outboxTable, Item: item }));
  return eventId;
};

const consumerGot = (eventId: string): boolean => functionLines.some((line) => line.startsWith('[consumer] ') && line.includes(eventId));

describe('a second CDK app on the local stack', () => {
  it("runs what its template has: the outbox relay on the table's stream, the rule, and the app's function", () => {
    expect([...stack.functions.keys()].sort()).toEqual(['consumer', 'operations', 'reconciler', 'relay']);
    expect(stack.pollers.map((p) => p.functionName)).toEqual(['relay']);
    expect(stack.rules.find((rule) => rule.pattern !== undefined)?.targets.map((t) => t.functionName)).toEqual(['consumer']);
  });

  it('publishes an outbox item through the relay, and the rule delivers the event to the function', async () => {
    const eventId = await writeOutboxEvent();

    await eventually(async () => consumerGot(eventId), Boolean);

    expect(consumerGot(eventId)).toBe(true);
    const accepted = stack.events.find((event) => (event.event.detail as { eventId?: string }).eventId === eventId);
    expect(accepted?.event).toMatchObject({ source: 'fixture', 'detail-type': 'ThingHappened' });
    const stored = await eventually(
      async () => (await documents.send(new GetCommand({ TableName: outboxTable, Key: { aggregateId: `thing-${eventId}`, version: 1 } }))).Item,
      (found) => found?.status === 'PUBLISHED',
    );
    expect(stored?.status).toBe('PUBLISHED');
  });

  it("runs with no app hooks (none given): no Orders faults to set, no outbox statistics, its relay untouched", async () => {
    expect(ordersResourcesOf(stack.template)).toEqual({});
    const put = await fetch(`${stack.url}/_local/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ relayPaused: true, relayCrashAfterPublishRate: 1, projectorFailureRate: 1 }),
    });
    const faults = await (await fetch(`${stack.url}/_local/faults`)).json();
    const outbox = await (await fetch(`${stack.url}/_local/outbox`)).json();

    const eventId = await writeOutboxEvent();
    await eventually(async () => consumerGot(eventId), Boolean);

    expect(put.status).toBe(400);
    expect(faults).toEqual({});
    expect(stack.faults).toEqual({});
    expect(outbox).toBeNull();
    expect(consumerGot(eventId)).toBe(true);
    expect(stack.functions.get('relay')?.coldStarts).toBe(1);
  });
});

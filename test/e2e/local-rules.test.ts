import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack';
import type { CfnTemplate } from '../../local/model';
import { localEventBridgeClient } from '../support/eventbridge';

/**
 * The local bus's rules and schedules, on a small hand-made assembly: a rule with an
 * EventBridge pattern and two Lambda targets (one that always fails, whose asynchronous
 * invocations go to an on-failure queue), and a scheduled rule run on demand.
 */
let dir: string;
let out: string;
let stack: LocalStack;

const fn = (name: string, environment: Record<string, string>) => ({
  Type: 'AWS::Lambda::Function',
  Metadata: { 'aws:cdk:path': `Test/${name}/Resource`, 'aws:asset:path': `asset.${name}` },
  Properties: { Handler: 'index.handler', Timeout: 5, MemorySize: 128, Environment: { Variables: environment } },
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'rules-assembly-'));
  out = path.join(dir, 'recorded.jsonl');
  const assets = {
    Recorder: "exports.handler = async (event) => { require('fs').appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n'); return event; };",
    Failing: "exports.handler = async () => { throw new Error('always fails'); };",
  };
  for (const [name, code] of Object.entries(assets)) {
    mkdirSync(path.join(dir, `asset.${name}`));
    writeFileSync(path.join(dir, `asset.${name}`, 'index.js'), code);
  }
  const template: CfnTemplate = {
    Resources: {
      TestBus: { Type: 'AWS::Events::EventBus', Properties: {} },
      TestDlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      Recorder: fn('Recorder', { OUT: out }),
      Failing: fn('Failing', {}),
      FailingInvokeConfig: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'Failing' },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['TestDlq', 'Arn'] } } },
        },
      },
      OrdersRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'TestBus' },
          EventPattern: { source: ['orders'], 'detail-type': [{ prefix: 'Order' }], detail: { version: [{ numeric: ['>=', 2] }] } },
          Targets: [
            { Id: 'recorder', Arn: { 'Fn::GetAtt': ['Recorder', 'Arn'] } },
            {
              Id: 'failing',
              Arn: { 'Fn::GetAtt': ['Failing', 'Arn'] },
              RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TestDlq', 'Arn'] } },
            },
          ],
        },
      },
      Nightly: {
        Type: 'AWS::Events::Rule',
        Properties: { ScheduleExpression: 'cron(0 3 * * ? *)', Targets: [{ Id: 'recorder', Arn: { 'Fn::GetAtt': ['Recorder', 'Arn'] } }] },
      },
    },
  };
  stack = await startLocalStack({
    port: 0,
    assembly: { dir, template, reused: true },
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    log: () => undefined,
  });
});

afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const recorded = (): { source?: string; 'detail-type'?: string; detail?: { version?: number }; graceSeconds?: number }[] =>
  existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];

const put = async (entries: { source: string; detailType: string; version: number }[]) =>
  localEventBridgeClient(stack.eventBridgeEndpoint).send(
    new PutEventsCommand({
      Entries: entries.map((entry) => ({
        EventBusName: 'TestBus',
        Source: entry.source,
        DetailType: entry.detailType,
        Detail: JSON.stringify({ version: entry.version }),
      })),
    }),
  );

describe('local rules and schedules', () => {
  it('delivers only the events a rule pattern matches to its targets', async () => {
    await put([
      { source: 'orders', detailType: 'OrderConfirmed', version: 2 },
      { source: 'orders', detailType: 'OrderPlaced', version: 1 },
      { source: 'payments', detailType: 'OrderPaid', version: 5 },
    ]);

    for (let i = 0; i < 50 && recorded().length === 0; i++) await sleep(100);
    await sleep(300);

    expect(recorded().map((event) => [event.source, event['detail-type'], event.detail?.version])).toEqual([
      ['orders', 'OrderConfirmed', 2],
    ]);
  });

  it("invokes a target asynchronously: a failing one is retried per its EventInvokeConfig, then its record goes to the on-failure queue", async () => {
    for (let i = 0; i < 100 && (stack.queues.get('TestDlq') ?? []).length === 0; i++) await sleep(100);

    const dead = stack.queues.get('TestDlq') ?? [];
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { 'detail-type': 'OrderConfirmed' },
      responsePayload: { errorMessage: expect.stringContaining('always fails') },
    });
    expect(stack.functions.get('failing')?.invocations).toBe(3);
  });

  it('runs a scheduled function on demand with its scheduled event, merged with the request body', async () => {
    const response = await fetch(`${stack.url}/_local/functions/recorder/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ graceSeconds: 5 }),
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', graceSeconds: 5 });
    expect(stack.rules.find((rule) => rule.logicalId === 'Nightly')?.schedule?.expression).toBe('cron(0 3 * * ? *)');
  });

  it('answers a function error with its type and message', async () => {
    const response = await fetch(`${stack.url}/_local/functions/failing/invoke`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ errorType: 'Error', errorMessage: expect.stringContaining('always fails') });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CfnTemplate } from '../../local/model';
import { md5OfMessageAttributes } from '../../local/sqs/md5';
import { type LocalStack, startLocalStack } from '../../local/stack';
import type { CloudAssembly } from '../../local/synth';
import { localEventBridgeClient } from '../support/eventbridge';
import { invokeJson } from '../support/lambda';

/**
 * The AWS APIs the operations CLI calls, served on the local stack's API port as AWS serves
 * them, through the real SDK clients pointed at `stack.url` only: CloudFormation's
 * DescribeStacks, SQS, Lambda's Invoke. On a small hand-made assembly (two queues, a function,
 * a rule whose target Lambda refuses so its event goes to the rule's dead-letter queue).
 */
let dir: string;
let assembly: CloudAssembly;
let stack: LocalStack;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clients = (url: string) => ({
  sqs: new SQSClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  cloudformation: new CloudFormationClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  lambda: new LambdaClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 }),
});
let aws: ReturnType<typeof clients>;

const fn = (name: string) => ({
  Type: 'AWS::Lambda::Function',
  Metadata: { 'aws:cdk:path': `LocalAwsTest/${name}/Resource`, 'aws:asset:path': `asset.${name}` },
  Properties: { Handler: 'index.handler', Timeout: 5, MemorySize: 128 },
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'aws-apis-assembly-'));
  mkdirSync(path.join(dir, 'asset.Echo'));
  writeFileSync(path.join(dir, 'asset.Echo', 'index.js'), 'exports.handler = async (event) => ({ echoed: event });');
  const template: CfnTemplate = {
    Resources: {
      TestBus: { Type: 'AWS::Events::EventBus', Properties: {} },
      Parked: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 5 } },
      RuleDlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      Echo: fn('Echo'),
      TooBig: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventBusName: { Ref: 'TestBus' },
          EventPattern: { source: ['big'] },
          // An input over Lambda's 1 MB asynchronous limit: Lambda refuses it, so the event goes to the DLQ at once.
          Targets: [
            {
              Id: 'echo',
              Arn: { 'Fn::GetAtt': ['Echo', 'Arn'] },
              Input: JSON.stringify({ padding: 'x'.repeat(1_100_000) }),
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['RuleDlq', 'Arn'] } },
            },
          ],
        },
      },
    },
    Outputs: {
      ParkedQueueUrl: { Value: { Ref: 'Parked' }, Description: 'Where parked things go' },
      ParkedQueueName: { Value: { 'Fn::GetAtt': ['Parked', 'QueueName'] } },
      EchoFunction: { Value: { Ref: 'Echo' }, Export: { Name: { 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, 'echo']] } } },
      Imported: { Value: { 'Fn::ImportValue': 'SomeoneElsesExport' } },
    },
  };
  assembly = { dir, template, stackName: 'LocalAwsTest', reused: true };
  stack = await startLocalStack({ port: 0, assembly, dynamodbEndpoint: inject('dynamodbEndpoint'), log: () => undefined });
  aws = clients(stack.url);
});

afterAll(async () => {
  for (const client of Object.values(aws ?? {})) client.destroy();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const queueUrl = (name: string): string => `${stack.url}/000000000000/${name}`;

describe('CloudFormation DescribeStacks on the local API port', () => {
  it('describes the local stack by its name: CREATE_COMPLETE, with the outputs the local stack resolves', async () => {
    const { Stacks } = await aws.cloudformation.send(new DescribeStacksCommand({ StackName: 'LocalAwsTest' }));

    expect(Stacks).toHaveLength(1);
    expect(Stacks?.[0]).toMatchObject({ StackName: 'LocalAwsTest', StackStatus: 'CREATE_COMPLETE' });
    expect(Stacks?.[0]?.CreationTime).toBeInstanceOf(Date);
    expect(Stacks?.[0]?.Outputs).toEqual([
      { OutputKey: 'ParkedQueueUrl', OutputValue: queueUrl('Parked'), Description: 'Where parked things go' },
      { OutputKey: 'ParkedQueueName', OutputValue: 'Parked' },
      { OutputKey: 'EchoFunction', OutputValue: 'echo', ExportName: 'us-east-1-echo' },
    ]);
  });

  it('describes the one stack when no name is given', async () => {
    const { Stacks } = await aws.cloudformation.send(new DescribeStacksCommand({}));

    expect(Stacks?.map((s) => s.StackName)).toEqual(['LocalAwsTest']);
  });

  it("answers an unknown stack name with CloudFormation's ValidationError", async () => {
    const error = await aws.cloudformation.send(new DescribeStacksCommand({ StackName: 'Nope' })).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ValidationError', message: 'Stack with id Nope does not exist', $metadata: { httpStatusCode: 400 } });
  });
});

describe('SQS on the local API port', () => {
  const attributes = (name: string) =>
    aws.sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))
      .then((answer) => answer.Attributes);

  it('finds each queue of the template at a URL on the local API', async () => {
    const { QueueUrl } = await aws.sqs.send(new GetQueueUrlCommand({ QueueName: 'Parked' }));
    const { QueueUrls } = await aws.sqs.send(new ListQueuesCommand({}));

    expect(QueueUrl).toBe(queueUrl('Parked'));
    expect(QueueUrls).toEqual([queueUrl('Parked'), queueUrl('RuleDlq')]);
  });

  it('sends, receives (with attributes and digests the SDK checks), hides, shows again and deletes a message', async () => {
    const messageAttributes = { kind: { DataType: 'String', StringValue: 'parked' }, version: { DataType: 'Number', StringValue: '3' } };
    const sent = await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('Parked'), MessageBody: '{"orderId":"o-1"}', MessageAttributes: messageAttributes }));
    const first = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl('Parked'), MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'], MaxNumberOfMessages: 10 }),
    );
    const whileHidden = await attributes('Parked');
    const message = first.Messages?.[0];
    await aws.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl('Parked'), ReceiptHandle: message?.ReceiptHandle, VisibilityTimeout: 0 }));
    const second = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl('Parked'), MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl('Parked'), ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }));

    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(messageAttributes));
    expect(first.Messages).toHaveLength(1);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: '{"orderId":"o-1"}', MessageAttributes: messageAttributes, MD5OfMessageAttributes: sent.MD5OfMessageAttributes });
    expect(Object.keys(message?.Attributes ?? {}).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(whileHidden).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    expect(second.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Attributes: { ApproximateReceiveCount: '2' } });
    expect(second.Messages?.[0]?.MessageAttributes).toBeUndefined();
    expect(await attributes('Parked')).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it("answers GetQueueAttributes All with the queue's settings from the template", async () => {
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl('Parked'), AttributeNames: ['All'] }));

    expect(Attributes).toMatchObject({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:Parked', VisibilityTimeout: '5', MessageRetentionPeriod: '345600' });
  });

  it('sends and deletes in batches, answering a bad entry in Failed and the rest in Successful', async () => {
    const sent = await aws.sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl('Parked'), Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }),
    );
    const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl('Parked'), MaxNumberOfMessages: 10 }));
    const deleted = await aws.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl('Parked'),
        Entries: [...(Messages ?? []).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })), { Id: 'bad', ReceiptHandle: 'not-a-handle' }],
      }),
    );

    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['a', 'b', 'c']);
    expect(Messages?.map((m) => m.Body)).toEqual(['a', 'b', 'c']);
    expect(deleted.Successful).toHaveLength(3);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
  });

  it('answers a long poll as soon as a message arrives', async () => {
    const polling = aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl('Parked'), WaitTimeSeconds: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('Parked'), MessageBody: 'arrived' }));

    const { Messages } = await polling;
    await aws.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl('Parked') }));

    expect(Messages?.map((m) => m.Body)).toEqual(['arrived']);
    expect(await attributes('Parked')).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it("answers a queue the template does not have with SQS's QueueDoesNotExist", async () => {
    const error = await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('Nope'), MessageBody: 'x' })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QueueDoesNotExist);
  });

  it("hands a rule's dead-lettered event out through the SQS API, with EventBridge's attributes", async () => {
    const bus = localEventBridgeClient(stack.eventBridgeEndpoint);
    await bus.send(new PutEventsCommand({ Entries: [{ EventBusName: 'TestBus', Source: 'big', DetailType: 'Huge', Detail: '{"n":1}' }] }));
    bus.destroy();

    const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl('RuleDlq'), WaitTimeSeconds: 20, MessageAttributeNames: ['All'] }));

    expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({ source: 'big', 'detail-type': 'Huge', detail: { n: 1 } });
    expect(Messages?.[0]?.MessageAttributes).toEqual({
      RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:000000000000:rule/TooBig' },
      TARGET_ARN: { DataType: 'String', StringValue: 'arn:aws:lambda:us-east-1:000000000000:function:echo' },
      ERROR_CODE: { DataType: 'String', StringValue: 'RequestTooLargeException' },
      ERROR_MESSAGE: { DataType: 'String', StringValue: expect.stringContaining('Request must be smaller than') as unknown },
    });
    expect(stack.queues.get('RuleDlq')).toEqual([expect.objectContaining({ source: 'big' })]);
  });
});

describe('Lambda Invoke on the local API port', () => {
  it("answers a RequestResponse invoke with the function's result", async () => {
    expect(await invokeJson(aws.lambda, 'echo', { orderId: 'o-1' })).toEqual({ statusCode: 200, functionError: undefined, payload: { echoed: { orderId: 'o-1' } } });
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    const error = await invokeJson(aws.lambda, 'nope', {}).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });

  it('answers the AWS APIs only for signed requests, as the other local AWS endpoints do (a web page cannot sign)', async () => {
    const sqs = await fetch(stack.url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    const query = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeStacks&Version=2010-05-15' });

    expect([sqs.status, query.status]).toEqual([403, 403]);
  });

  it('leaves the HTTP API as it was: the admin routes still answer', async () => {
    expect((await fetch(`${stack.url}/_local/health`)).status).toBe(200);
  });
});

describe('local queues across a restart', () => {
  it('keeps the messages of a stack with a data folder for the next start', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aws-apis-data-'));
    try {
      const options = { port: 0, assembly, dataDir, dynamodbEndpoint: inject('dynamodbEndpoint'), log: () => undefined };
      const before = await startLocalStack(options);
      const beforeClients = clients(before.url);
      await beforeClients.sqs.send(new SendMessageCommand({ QueueUrl: `${before.url}/000000000000/Parked`, MessageBody: 'kept' }));
      beforeClients.sqs.destroy();
      await before.close();

      const after = await startLocalStack(options);
      const afterClients = clients(after.url);
      const { Messages } = await afterClients.sqs.send(new ReceiveMessageCommand({ QueueUrl: `${after.url}/000000000000/Parked` }));
      afterClients.sqs.destroy();
      await after.close();

      expect(Messages?.map((m) => m.Body)).toEqual(['kept']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

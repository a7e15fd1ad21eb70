import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack';
import type { CfnTemplate } from '../../local/model';
import { eventually } from '../support/e2e';
import { invokeJson, localLambdaClient } from '../support/lambda';

/**
 * The local Lambda `Invoke` API, driven by the real `@aws-sdk/client-lambda`, on a small hand-made
 * assembly: a function that answers with its event, one that records what it gets, and one that
 * always fails, whose asynchronous invocations retry once and then go to an on-failure queue.
 */
let dir: string;
let stack: LocalStack;
let lambda: LambdaClient;
const recorded: string[] = [];

const fn = (name: string, environment: Record<string, string> = {}) => ({
  Type: 'AWS::Lambda::Function',
  Metadata: { 'aws:cdk:path': `Test/${name}/Resource`, 'aws:asset:path': `asset.${name}` },
  Properties: { Handler: 'index.handler', Timeout: 5, MemorySize: 128, Environment: { Variables: environment } },
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'lambda-assembly-'));
  const assets = {
    Echo: 'exports.handler = async (event) => ({ event, lambdaEndpoint: process.env.AWS_ENDPOINT_URL_LAMBDA });',
    Recorder: "exports.handler = async (event) => { console.log('recorded ' + JSON.stringify(event)); };",
    Failing: "exports.handler = async () => { const error = new Error('always fails'); error.name = 'PaymentDeclined'; throw error; };",
    Big: "exports.handler = async (event) => 'x'.repeat(event.bytes);",
  };
  for (const [name, code] of Object.entries(assets)) {
    mkdirSync(path.join(dir, `asset.${name}`));
    writeFileSync(path.join(dir, `asset.${name}`, 'index.js'), code);
  }
  const template: CfnTemplate = {
    Resources: {
      FailedEvents: { Type: 'AWS::SQS::Queue', Properties: {} },
      Echo: fn('Echo'),
      Recorder: fn('Recorder'),
      Failing: fn('Failing'),
      Big: fn('Big'),
      FailingInvokeConfig: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'Failing' },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 1,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailedEvents', 'Arn'] } } },
        },
      },
    },
  };
  stack = await startLocalStack({
    port: 0,
    assembly: { dir, template, reused: true },
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    log: () => undefined,
    functionLog: (_, line) => recorded.push(line),
  });
  lambda = localLambdaClient(stack.lambdaEndpoint);
});

afterAll(async () => {
  lambda.destroy();
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local Lambda Invoke API', () => {
  it("answers a RequestResponse invoke with the function's result", async () => {
    const answer = await invokeJson(lambda, 'echo', { orderId: 'o-1' });

    expect(answer).toEqual({
      statusCode: 200,
      functionError: undefined,
      payload: { event: { orderId: 'o-1' }, lambdaEndpoint: stack.lambdaEndpoint },
    });
  });

  it('finds a function by its ARN and by a partial ARN, with or without $LATEST', async () => {
    const names = [
      'arn:aws:lambda:us-east-1:000000000000:function:echo',
      'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST',
      '000000000000:function:echo',
    ];

    const answers = await Promise.all(names.map(async (name) => invokeJson(lambda, name, { name })));

    expect(answers.map((answer) => answer.payload)).toEqual(names.map((name) => ({ event: { name }, lambdaEndpoint: stack.lambdaEndpoint })));
  });

  it('accepts an Event invoke with 202 and an empty body, then runs the function', async () => {
    const answer = await invokeJson(lambda, 'recorder', { orderId: 'o-async' }, 'Event');
    const lines = await eventually(async () => recorded.filter((line) => line.includes('o-async')), (found) => found.length > 0);

    expect(answer).toEqual({ statusCode: 202, functionError: undefined, payload: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('recorded {"orderId":"o-async"}');
  });

  it('answers a function error with X-Amz-Function-Error and the error as the payload', async () => {
    const answer = await invokeJson(lambda, 'failing', {});

    expect(answer.statusCode).toBe(200);
    expect(answer.functionError).toBe('Unhandled');
    expect(answer.payload).toMatchObject({ errorType: 'PaymentDeclined', errorMessage: 'always fails' });
  });

  it("answers a result over Lambda's 6 MB limit as the function's error, as Lambda does", async () => {
    const fits = await invokeJson(lambda, 'big', { bytes: 6_000_000 });
    const tooLarge = await invokeJson(lambda, 'big', { bytes: 6_300_000 });

    expect(fits.functionError).toBeUndefined();
    expect((fits.payload as string).length).toBe(6_000_000);
    expect(tooLarge.statusCode).toBe(200);
    expect(tooLarge.functionError).toBe('Unhandled');
    expect(tooLarge.payload).toEqual({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
  });

  it('refuses an unknown function with ResourceNotFoundException', async () => {
    const error = await invokeJson(lambda, 'no-such-function', {}).catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('function:no-such-function') as unknown,
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('retries a failing Event invoke MaximumRetryAttempts times, then sends its record to the on-failure queue', async () => {
    const before = stack.functions.get('failing')?.invocations ?? 0;

    await invokeJson(lambda, 'failing', { orderId: 'o-failing' }, 'Event');
    const failed = await eventually(async () => stack.queues.get('FailedEvents') ?? [], (queue) => queue.length > 0);
    await sleep(500);

    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2, functionArn: expect.stringContaining(':function:failing') as unknown },
      requestPayload: { orderId: 'o-failing' },
      responseContext: { functionError: 'Unhandled' },
      responsePayload: { errorType: 'PaymentDeclined', errorMessage: 'always fails' },
    });
    expect((stack.functions.get('failing')?.invocations ?? 0) - before).toBe(2);
  });
});

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { OPS_OUTPUTS } from '../lib/ops-outputs';
import { LOCAL_REGION } from '../local/model/template';
import { OpsError } from './errors';

/** Where the CLI works: a deployed stack, or the local stack (`--local URL`). */
export interface TargetOptions {
  readonly stackName: string;
  /** The local stack's URL; absent for a deployed stack (the normal credential chain and region). */
  readonly localUrl?: string;
}

/**
 * A stack the CLI talks to through the AWS APIs only: CloudFormation for its outputs, Lambda for
 * the operations function and the projector, SQS for the failure queues. The local stack serves
 * the same APIs on its own URL, so every command runs the same code against both.
 */
export class OpsTarget {
  private constructor(
    public readonly stackName: string,
    public readonly where: string,
    private readonly outputs: Readonly<Record<string, string>>,
    private readonly lambda: LambdaClient,
    private readonly sqs: SQSClient,
  ) {}

  public static async connect(options: TargetOptions): Promise<OpsTarget> {
    const config =
      options.localUrl === undefined
        ? {}
        : { endpoint: options.localUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const where = options.localUrl === undefined ? 'AWS' : `the local stack at ${options.localUrl}`;
    const cloudFormation = new CloudFormationClient(config);
    try {
      const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: options.stackName }));
      const stack = answer.Stacks?.[0];
      if (stack === undefined) throw new OpsError(`No stack ${options.stackName} on ${where}.`);
      const outputs = Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey === undefined || o.OutputValue === undefined ? [] : [[o.OutputKey, o.OutputValue]])));
      return new OpsTarget(options.stackName, where, outputs, new LambdaClient(config), new SQSClient(config));
    } catch (error: unknown) {
      if (error instanceof OpsError) throw error;
      throw new OpsError(describeConnectError(error, options, where));
    } finally {
      cloudFormation.destroy();
    }
  }

  /** A stack output the command needs; a stack deployed before it existed is told to redeploy. */
  public output(key: string): string {
    const value = this.outputs[key];
    if (value === undefined) {
      throw new OpsError(`Stack ${this.stackName} has no output ${key}: deploy this version of the app (cdk deploy) first.`);
    }
    return value;
  }

  public optionalOutput(key: string): string | undefined {
    return this.outputs[key];
  }

  /** The failure queues by name: every output named `<Name>QueueUrl`. */
  public failureQueues(): { name: string; url: string }[] {
    return Object.entries(this.outputs)
      .filter(([key]) => key.endsWith(OPS_OUTPUTS.queueSuffix) && key.length > OPS_OUTPUTS.queueSuffix.length)
      .map(([key, url]) => ({ name: key.slice(0, -OPS_OUTPUTS.queueSuffix.length), url }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Invokes a function synchronously with a JSON event; a function error becomes an `OpsError` with its message. */
  public async invoke<T>(functionName: string, event: unknown): Promise<T> {
    const answer = await this.lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }));
    const text = answer.Payload === undefined ? 'null' : Buffer.from(answer.Payload).toString('utf8');
    if (answer.FunctionError !== undefined) {
      throw new FunctionFailedError(functionName, errorMessageOf(text));
    }
    return JSON.parse(text) as T;
  }

  /** Messages in a queue, visible and in flight. */
  public async queueDepth(url: string): Promise<number> {
    const answer = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const attributes = answer.Attributes ?? {};
    return Number(attributes.ApproximateNumberOfMessages ?? 0) + Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  public get queues(): SQSClient {
    return this.sqs;
  }

  public close(): void {
    this.lambda.destroy();
    this.sqs.destroy();
  }
}

/** A function answered with an error (its message is the reason, e.g. an invalid request). */
export class FunctionFailedError extends OpsError {
  public constructor(
    public readonly functionName: string,
    reason: string,
  ) {
    super(`${functionName} failed: ${reason}`);
    this.name = 'FunctionFailedError';
  }
}

const errorMessageOf = (payload: string): string => {
  try {
    const error = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    return typeof error.errorMessage === 'string' ? error.errorMessage : payload;
  } catch {
    return payload;
  }
};

const describeConnectError = (error: unknown, options: TargetOptions, where: string): string => {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (options.localUrl !== undefined && (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message))) {
    return `Nothing answers at ${options.localUrl}: start the local stack (npm start) or pass --local URL.`;
  }
  if (name === 'ValidationError' && /does not exist/.test(message)) return `No stack ${options.stackName} on ${where}: pass --stack NAME, or deploy it.`;
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) return `No AWS credentials: ${message} (set AWS_PROFILE, or use --local).`;
  if (/region/i.test(message)) return `No AWS region: ${message} (set AWS_REGION or AWS_PROFILE).`;
  return `Could not read stack ${options.stackName} on ${where}: ${name}: ${message}`;
};

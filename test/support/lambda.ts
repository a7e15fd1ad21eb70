import { type InvocationType, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

/** A real Lambda client pointed at the local stack's `Invoke` API, without the SDK's own retries. */
export const localLambdaClient = (endpoint: string): LambdaClient =>
  new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

/** Invokes `functionName` with `payload` as JSON; the answer with its payload parsed (`undefined` when empty). */
export const invokeJson = async (
  client: LambdaClient,
  functionName: string,
  payload: unknown,
  invocationType: InvocationType = 'RequestResponse',
): Promise<{ statusCode: number | undefined; functionError: string | undefined; payload: unknown }> => {
  const answer = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: invocationType, Payload: JSON.stringify(payload) }),
  );
  // An empty payload (an Event invoke's 202) comes back as no Payload at all.
  const text = answer.Payload?.transformToString() ?? '';
  return { statusCode: answer.StatusCode, functionError: answer.FunctionError, payload: text === '' ? undefined : (JSON.parse(text) as unknown) };
};

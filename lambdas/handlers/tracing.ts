import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-client';

/**
 * The function's one tracer (service name from `POWERTOOLS_SERVICE_NAME`). Powertools turns it
 * off outside Lambda (no `AWS_EXECUTION_ENV`: tests, the local stack) and when
 * `POWERTOOLS_TRACE_ENABLED=false`; off, it adds nothing, logs nothing, and hands clients back
 * untouched.
 */
export const tracer = new Tracer();

/** A DynamoDB document client whose calls are subsegments of the invocation's trace. */
export const tracedDocumentClient = (): DynamoDBDocumentClient =>
  createDocumentClient(tracer.captureAWSv3Client(new DynamoDBClient({})));

/**
 * What Powertools' `captureLambdaHandler` does, without middy or a decorator: the invocation
 * runs in a `## <handler>` subsegment annotated with the cold start and the service, and an
 * error is recorded on it. Responses are recorded only when `POWERTOOLS_TRACER_CAPTURE_RESPONSE`
 * allows (the stack sets `false`: responses carry orders). With tracing off, or with no trace
 * context (no `_X_AMZN_TRACE_ID`, where the X-Ray SDK would warn on every invocation), the
 * handler runs as it is.
 */
export const traced =
  <TEvent, TResult>(handler: (event: TEvent, context: Context) => Promise<TResult>, using: Tracer = tracer) =>
  async (event: TEvent, context: Context): Promise<TResult> => {
    if (!using.isTracingEnabled() || process.env._X_AMZN_TRACE_ID === undefined) {
      return handler(event, context);
    }
    const segment = using.getSegment();
    if (segment === undefined) return handler(event, context);
    const name = process.env._HANDLER ?? 'index.handler';
    const subsegment = segment.addNewSubsegment(`## ${name}`);
    using.setSegment(subsegment);
    using.annotateColdStart();
    using.addServiceNameAnnotation();
    try {
      const result = await handler(event, context);
      using.addResponseAsMetadata(result, name);
      return result;
    } catch (error: unknown) {
      using.addErrorAsMetadata(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      try {
        subsegment.close();
      } catch (error: unknown) {
        // As Powertools' own wrapper: a segment that cannot be sent never fails the invocation.
        console.warn('Failed to close or serialize segment %s; the trace may miss it.', subsegment.name, error);
      }
      using.setSegment(segment);
    }
  };

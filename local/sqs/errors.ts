/**
 * SQS's errors as its JSON protocol answers them: the shape name in `__type`, the query
 * protocol's code and fault in `x-amzn-query-error` (the SDK reads both: `awsQueryCompatible`).
 */

/** Error codes the local SQS answers, with the query code and HTTP status SQS gives each. */
const CODES = {
  QueueDoesNotExist: { query: 'AWS.SimpleQueueService.NonExistentQueue', status: 400 },
  ReceiptHandleIsInvalid: { query: 'ReceiptHandleIsInvalid', status: 404 },
  MessageNotInflight: { query: 'AWS.SimpleQueueService.MessageNotInflight', status: 400 },
  InvalidMessageContents: { query: 'InvalidMessageContents', status: 400 },
  InvalidAttributeName: { query: 'InvalidAttributeName', status: 400 },
  EmptyBatchRequest: { query: 'AWS.SimpleQueueService.EmptyBatchRequest', status: 400 },
  TooManyEntriesInBatchRequest: { query: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', status: 400 },
  BatchEntryIdsNotDistinct: { query: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', status: 400 },
  InvalidBatchEntryId: { query: 'AWS.SimpleQueueService.InvalidBatchEntryId', status: 400 },
  BatchRequestTooLong: { query: 'AWS.SimpleQueueService.BatchRequestTooLong', status: 400 },
  // Not modelled shapes: SQS's common errors, which the SDK surfaces by name.
  InvalidParameterValue: { query: 'InvalidParameterValue', status: 400 },
  MissingParameter: { query: 'MissingParameter', status: 400 },
  UnknownOperationException: { query: 'UnknownOperationException', status: 400 },
  SerializationException: { query: 'SerializationException', status: 400 },
} as const;

export type SqsErrorCode = keyof typeof CODES;

/** An SQS error for the caller, named as SQS names it. */
export class SqsError extends Error {
  public constructor(
    public readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SqsError';
  }

  public get status(): number {
    return CODES[this.code].status;
  }

  /** The `x-amzn-query-error` header: the query code and the fault (`Sender`: the caller's). */
  public get queryError(): string {
    return `${CODES[this.code].query};Sender`;
  }

  /** The JSON body: the shape id in `__type` and the message. */
  public get body(): { __type: string; message: string } {
    return { __type: `com.amazonaws.sqs#${this.code}`, message: this.message };
  }
}

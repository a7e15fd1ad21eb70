/**
 * The SQS API as the v3 SDK speaks it (AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Operation>`),
 * for the local queues: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
 */
import { LOCAL_ACCOUNT } from '../model/template';
import { SqsError } from './errors';
import { md5Hex, md5OfMessageAttributes } from './md5';
import type { LocalQueue, MessageAttribute, MessageAttributes, ReceivedMessage } from './queue';
import { queueAttributes } from './attributes';

/** The local queues by name, and their URLs. */
export interface QueueDirectory {
  queueNamed(name: string): LocalQueue | undefined;
  readonly queues: readonly LocalQueue[];
}

type Input = Readonly<Record<string, unknown>>;

const SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] as const;

const str = (input: Input, name: string): string => {
  const value = input[name];
  if (value === undefined || value === null) throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  if (typeof value !== 'string') throw new SqsError('InvalidParameterValue', `Value for parameter ${name} is invalid: a string is expected.`);
  return value;
};

const int = (input: Input, name: string, min: number, max: number): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SqsError('InvalidParameterValue', `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`);
  }
  return value;
};

const strings = (input: Input, name: string): string[] => {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new SqsError('InvalidParameterValue', `Value for parameter ${name} is invalid: a list of strings is expected.`);
  }
  return value as string[];
};

const attributesOf = (input: Input): MessageAttributes => {
  const value = input.MessageAttributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') throw new SqsError('InvalidParameterValue', 'MessageAttributes must be a map.');
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const attribute = (raw ?? {}) as Partial<Record<string, unknown>>;
    const dataType = attribute.DataType;
    if (typeof dataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(dataType)) {
      throw new SqsError('InvalidParameterValue', `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    const binary = dataType.startsWith('Binary');
    const content = binary ? attribute.BinaryValue : attribute.StringValue;
    if (typeof content !== 'string' || content === '') {
      throw new SqsError('InvalidParameterValue', `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`);
    }
    attributes[name] = binary ? { DataType: dataType, BinaryValue: content } : { DataType: dataType, StringValue: content };
  }
  return attributes;
};

const selectAttributes = (attributes: MessageAttributes, names: readonly string[]): MessageAttributes => {
  const wanted = (name: string): boolean =>
    names.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))));
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted(name)));
};

const batchEntries = (input: Input): Input[] => {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
  if (entries.length > 10) throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const ids = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = str(entry, 'Id');
    if (!/^[\w-]{1,80}$/.test(id)) throw new SqsError('InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries as Input[];
};

/** Each entry's result or its error, as the batch operations answer them. */
const inBatch = async <T>(entries: Input[], each: (entry: Input) => Promise<T> | T) => {
  const Successful: (T & { Id: string })[] = [];
  const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
  for (const entry of entries) {
    const Id = String(entry.Id);
    try {
      Successful.push({ ...(await each(entry)), Id });
    } catch (error: unknown) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push({ Id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return { Successful, Failed };
};

const messageOf = ({ message, receiptHandle }: ReceivedMessage, systemNames: readonly string[], attributeNames: readonly string[]) => {
  const system: Record<(typeof SYSTEM_ATTRIBUTES)[number], string> = {
    SenderId: LOCAL_ACCOUNT,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
  };
  const wantedSystem = SYSTEM_ATTRIBUTES.filter((name) => systemNames.includes('All') || systemNames.includes(name));
  const attributes = selectAttributes(message.attributes, attributeNames);
  const md5OfAttributes = md5OfMessageAttributes(attributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: receiptHandle,
    MD5OfBody: md5Hex(message.body),
    Body: message.body,
    ...(wantedSystem.length === 0 ? {} : { Attributes: Object.fromEntries(wantedSystem.map((name) => [name, system[name]])) }),
    ...(md5OfAttributes === undefined ? {} : { MD5OfMessageAttributes: md5OfAttributes, MessageAttributes: attributes }),
  };
};

/** The operations of the local SQS API: each takes the request's JSON and answers the result's. */
export const sqsOperations = (directory: QueueDirectory) => {
  const queueOf = (input: Input): LocalQueue => {
    const url = str(input, 'QueueUrl');
    // Whatever the host (127.0.0.1, localhost, the amazonaws.com form): the account and the name.
    const match = /^(?:https?:\/\/[^/]+)?\/(\d{12})\/([\w-]{1,80})\/?$/.exec(url);
    const queue = match?.[1] === LOCAL_ACCOUNT && match[2] !== undefined ? directory.queueNamed(match[2]) : undefined;
    if (queue === undefined) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };
  const send = (queue: LocalQueue, entry: Input) => {
    const sent = queue.send(str(entry, 'MessageBody'), attributesOf(entry), int(entry, 'DelaySeconds', 0, 900));
    return { MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfBody, ...(sent.md5OfMessageAttributes === undefined ? {} : { MD5OfMessageAttributes: sent.md5OfMessageAttributes }) };
  };
  const operations: Record<string, (input: Input) => Promise<unknown> | unknown> = {
    SendMessage: (input) => send(queueOf(input), input),
    SendMessageBatch: (input) => {
      const queue = queueOf(input);
      return inBatch(batchEntries(input), (entry) => send(queue, entry));
    },
    ReceiveMessage: async (input) => {
      const queue = queueOf(input);
      const visibilityTimeout = int(input, 'VisibilityTimeout', 0, 43_200);
      const waitTimeSeconds = int(input, 'WaitTimeSeconds', 0, 20);
      // Read before receiving: a refused request must leave every message as it was.
      const systemNames = [...strings(input, 'AttributeNames'), ...strings(input, 'MessageSystemAttributeNames')];
      const attributeNames = strings(input, 'MessageAttributeNames');
      const received = await queue.receive({
        maxNumberOfMessages: int(input, 'MaxNumberOfMessages', 1, 10) ?? 1,
        ...(visibilityTimeout === undefined ? {} : { visibilityTimeoutSeconds: visibilityTimeout }),
        ...(waitTimeSeconds === undefined ? {} : { waitTimeSeconds }),
      });
      // An empty receive answers no Messages at all, as SQS does.
      return received.length === 0 ? {} : { Messages: received.map((message) => messageOf(message, systemNames, attributeNames)) };
    },
    DeleteMessage: (input) => {
      queueOf(input).delete(str(input, 'ReceiptHandle'));
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = queueOf(input);
      return inBatch(batchEntries(input), (entry) => {
        queue.delete(str(entry, 'ReceiptHandle'));
        return {};
      });
    },
    ChangeMessageVisibility: (input) => {
      const timeout = int(input, 'VisibilityTimeout', 0, 43_200);
      if (timeout === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
      queueOf(input).changeVisibility(str(input, 'ReceiptHandle'), timeout);
      return {};
    },
    GetQueueAttributes: (input) => ({ Attributes: queueAttributes(queueOf(input), strings(input, 'AttributeNames')) }),
    GetQueueUrl: (input) => {
      const queue = directory.queueNamed(str(input, 'QueueName'));
      if (queue === undefined) throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: queue.model.url };
    },
    ListQueues: (input) => {
      const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
      const max = int(input, 'MaxResults', 1, 1000);
      const urls = directory.queues.filter((queue) => queue.model.name.startsWith(prefix)).map((queue) => queue.model.url);
      const listed = urls.slice(0, max ?? 1000);
      return listed.length === 0 ? {} : { QueueUrls: listed };
    },
    PurgeQueue: (input) => {
      queueOf(input).purge();
      return {};
    },
  };
  return async (operation: string, input: Input): Promise<unknown> => {
    const run = operations[operation];
    if (run === undefined) throw new SqsError('UnknownOperationException', `The local SQS does not serve ${operation}.`);
    return run(input);
  };
};

/**
 * The digests SQS answers with (and the SDK checks the body's against):
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */
import { createHash } from 'node:crypto';
import type { MessageAttributes } from './queue';

export const md5Hex = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

const lengthPrefixed = (value: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
};

/**
 * The MD5 of message attributes: by name in byte order, each as the length-prefixed name, the
 * length-prefixed data type, a transport byte (1 string or number, 2 binary) and the
 * length-prefixed value. `undefined` without attributes (SQS then leaves the field out).
 */
export const md5OfMessageAttributes = (attributes: MessageAttributes): string | undefined => {
  const names = Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.DataType, 'utf8')));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(attribute.StringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
};

/**
 * DynamoDB stream records as Lambda delivers them to a function
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-ddb-batchfailurereporting):
 * attribute values in DynamoDB JSON, times in epoch seconds, and the partial batch response's
 * resume point (the lowest reported sequence number).
 */
import type { AttributeValue, _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';

/**
 * The index of the lowest reported sequence number in the batch. An identifier that names no
 * record of the batch fails the whole batch, as Lambda treats it.
 */
export const lowestReported = (batch: DynamoDBRecord[], identifiers: string[]): number | undefined => {
  if (identifiers.length === 0) return undefined;
  let lowest: number | undefined;
  for (const identifier of identifiers) {
    const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === identifier);
    if (index < 0) return 0;
    lowest = lowest === undefined ? index : Math.min(lowest, index);
  }
  return lowest;
};

/** The record as Lambda delivers it: attribute values in DynamoDB JSON, times in epoch seconds. */
export const toLambdaRecord = (record: StreamRecord, options: { readonly region?: string; readonly streamArn: string }): DynamoDBRecord => {
  const data = record.dynamodb;
  const images = (image: Record<string, AttributeValue> | undefined) =>
    image === undefined ? undefined : Object.fromEntries(Object.entries(image).map(([k, v]) => [k, toLambdaValue(v)]));
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: options.region ?? 'us-east-1',
    eventSourceARN: options.streamArn,
    ...(record.userIdentity === undefined
      ? {}
      : { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }),
    dynamodb: {
      ...(data?.ApproximateCreationDateTime === undefined
        ? {}
        : { ApproximateCreationDateTime: Math.floor(data.ApproximateCreationDateTime.getTime() / 1000) }),
      ...(data?.Keys === undefined ? {} : { Keys: images(data.Keys) }),
      ...(data?.NewImage === undefined ? {} : { NewImage: images(data.NewImage) }),
      ...(data?.OldImage === undefined ? {} : { OldImage: images(data.OldImage) }),
      ...(data?.SequenceNumber === undefined ? {} : { SequenceNumber: data.SequenceNumber }),
      ...(data?.SizeBytes === undefined ? {} : { SizeBytes: data.SizeBytes }),
      ...(data?.StreamViewType === undefined ? {} : { StreamViewType: data.StreamViewType }),
    },
  } as DynamoDBRecord;
};

type LambdaValue = Record<string, unknown>;

const toLambdaValue = (value: AttributeValue): LambdaValue => {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, toLambdaValue(v)])) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  const { $unknown: _unknown, ...rest } = value as AttributeValue & { $unknown?: unknown };
  return rest as LambdaValue;
};

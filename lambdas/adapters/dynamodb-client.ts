import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One document client per execution environment. The endpoint, region and credentials come
 * from the SDK's standard resolution (including `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local),
 * so no code path differs between AWS and the local stack.
 */
export const createDocumentClient = (client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });

import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb/engine';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** One in-memory DynamoDB Local per test tier; each test file makes its own tables in it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engine = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', engine.endpoint);
  return engine.stop;
}

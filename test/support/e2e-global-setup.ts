import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb/engine';
import { synthesizeOrdersApp } from '../../local/apps/orders-stack';

declare module 'vitest' {
  export interface ProvidedContext {
    cloudAssemblyDir: string;
  }
}

/**
 * The end-to-end tier runs the app as `cdk deploy` ships it: one synth (reusing cdk.out when the
 * sources have not changed) and one in-memory DynamoDB Local; each test file starts its own local
 * stack on them, with tables of its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [assembly, engine] = await Promise.all([synthesizeOrdersApp(), startDynamoDbLocal()]);
  project.provide('cloudAssemblyDir', assembly.dir);
  project.provide('dynamodbEndpoint', engine.endpoint);
  return engine.stop;
}

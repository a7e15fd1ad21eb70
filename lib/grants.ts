import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';

/**
 * `actions` on the table itself, not its indexes: `Table.grant` adds every index ARN too, which a
 * function that only gets and puts items never needs.
 */
export const grantOnTable = (table: ITable, grantee: IGrantable, ...actions: string[]): Grant =>
  Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });

/** `actions` on one index of the table, and nothing else. */
export const grantOnIndex = (table: ITable, indexName: string, grantee: IGrantable, ...actions: string[]): Grant =>
  Grant.addToPrincipal({ grantee, actions, resourceArns: [`${table.tableArn}/index/${indexName}`] });

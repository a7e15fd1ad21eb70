import { BillingMode, Table, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/**
 * The project's table: on demand, point-in-time recovery, encryption at rest with the AWS-managed
 * key. Every table of the service is one; only keys, indexes, stream, TTL and removal differ.
 */
export const durableTable = (
  scope: Construct,
  id: string,
  props: Omit<TableProps, 'billingMode' | 'encryption' | 'pointInTimeRecoverySpecification' | 'pointInTimeRecovery'>,
): Table =>
  new Table(scope, id, {
    ...props,
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
  });

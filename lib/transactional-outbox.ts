import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { OUTBOX_KEY, OUTBOX_PENDING_INDEX, OUTBOX_TTL_ATTRIBUTE } from '../lambdas/adapters/outbox';

export interface TransactionalOutboxProps {
  /**
   * How many partitions the sparse pending index spreads pending items over. One index partition
   * takes about 1,000 writes a second, and every event costs two index writes (pending, then
   * published), so raise this for sustained rates above a few hundred events a second.
   * @default 4
   */
  readonly pendingIndexShards?: number;
  /**
   * What happens to the outbox table when it leaves the stack.
   * @default RemovalPolicy.RETAIN - unsent events are never deleted with a stack
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The outbox a service writes its events into, in the same DynamoDB transaction as its own data.
 *
 * Items are keyed by aggregate id and version; the table streams new images for the relay; TTL
 * on `expiresAt` prunes published items; the sparse `pending` index holds only unsent items,
 * oldest first per shard, for the reconciler.
 */
export class TransactionalOutbox extends Construct {
  /** The outbox table. */
  public readonly table: Table;
  /** The number of pending-index shards writers spread items over. */
  public readonly pendingIndexShards: number;

  public constructor(scope: Construct, id: string, props: TransactionalOutboxProps = {}) {
    super(scope, id);
    this.pendingIndexShards = props.pendingIndexShards ?? 4;
    if (!Number.isInteger(this.pendingIndexShards) || this.pendingIndexShards < 1 || this.pendingIndexShards > 100) {
      throw new Error(
        `TransactionalOutbox: pendingIndexShards must be an integer from 1 to 100, got ${props.pendingIndexShards}. ` +
          'Leave it unset for the default of 4.',
      );
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: OUTBOX_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_KEY.sortKey, type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: OUTBOX_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: OUTBOX_PENDING_INDEX.indexName,
      partitionKey: { name: OUTBOX_PENDING_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: OUTBOX_PENDING_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  /** Lets `grantee` append events (as part of its transactions), and nothing else. */
  public grantAppend(grantee: IGrantable): Grant {
    // On the table alone: `Table.grant` would add its indexes too, which a writer never needs.
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.table.tableArn] });
  }

  /**
   * Makes `fn` a writer of this outbox: the right to append, and the environment the write
   * adapter reads (`OUTBOX_TABLE_NAME`, `OUTBOX_PENDING_SHARDS`).
   */
  public addWriter(fn: LambdaFunction): void {
    this.grantAppend(fn);
    fn.addEnvironment('OUTBOX_TABLE_NAME', this.table.tableName);
    fn.addEnvironment('OUTBOX_PENDING_SHARDS', String(this.pendingIndexShards));
  }
}

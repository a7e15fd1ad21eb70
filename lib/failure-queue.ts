import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue where work that could not be done lands (a failure destination or dead-letter queue),
 * encrypted, TLS only, kept 14 days, with an alarm on anything in it. Creates `id` and
 * `${id}Alarm` in `scope`.
 */
export const failureQueue = (
  scope: Construct,
  id: string,
  options: { readonly alarmDescription: string; readonly role: string },
): { queue: Queue; alarm: Alarm } => {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: `This queue is itself the ${options.role}; it needs no dead-letter queue of its own.`,
  });
  const alarm = new Alarm(scope, `${id}Alarm`, {
    alarmDescription: options.alarmDescription,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  return { queue, alarm };
};

// No CDK here: the operations CLI reads these without loading aws-cdk-lib.

/** The stack's name in this app (bin/app.ts), the local stack, and the operations CLI's default. */
export const ORDERS_STACK = 'OrdersService';

/** The stack outputs the operations CLI reads (ops/outbox.ts). */
export const OPS_OUTPUTS = {
  operationsFunction: 'OutboxOperationsFunctionName',
  projectorFunction: 'ProjectorFunctionName',
  archive: 'EventArchiveName',
  projectorDeadLetters: 'ProjectorDeadLetters',
  queueSuffix: 'QueueUrl',
} as const;

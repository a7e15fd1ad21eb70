#!/usr/bin/env node
import { App, Aspects, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { authFromContext } from '../lib/api-auth';
import { EventPatternValidation } from '../lib/event-pattern-aspect';
import { ORDERS_STACK } from '../lib/ops-outputs';
import { OrdersServiceStack } from '../lib/orders-service-stack';

const app = new App();
new OrdersServiceStack(app, ORDERS_STACK, {
  description: 'Orders service with a transactional outbox',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  // -c auth=none, or -c authIssuer=https://... -c authAudience=a,b; unset: the stack's Cognito user pool.
  auth: authFromContext((key) => app.node.tryGetContext(key)),
  // -c alarmTopicArn=arn:aws:sns:...: every alarm pages that topic (ALARM and OK); unset: no actions.
  ...(typeof app.node.tryGetContext('alarmTopicArn') === 'string' ? { alarmTopicArn: app.node.tryGetContext('alarmTopicArn') as string } : {}),
});
// Synth fails on an event pattern or Lambda filter that EventBridge or Lambda would refuse at deploy.
Aspects.of(app).add(new EventPatternValidation());
// Synth fails on any AwsSolutions finding that is not acknowledged, with its reason, in code.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

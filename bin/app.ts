#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { OrdersServiceStack } from '../lib/orders-service-stack';

const app = new App();
new OrdersServiceStack(app, 'OrdersService', {
  description: 'Orders service with a transactional outbox',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

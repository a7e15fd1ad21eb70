import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoReadModel } from '../adapters/dynamodb-read-model';
import { loadConfig, tableName } from '../config';
import { OrderProjector } from '../read-model/projector';
import { createProjectorHandler } from '../read-model/projector-handler';
import { logger } from './runtime';
import { traced, tracedDocumentClient } from './tracing';

const config = loadConfig({ READ_MODEL_TABLE_NAME: tableName });

/** Lambda entry point of the read-model projector (target of the order-events rule). */
export const handler = traced(createProjectorHandler(
  new OrderProjector(new DynamoReadModel(tracedDocumentClient(), config.READ_MODEL_TABLE_NAME)),
  logger,
  new Metrics(),
));

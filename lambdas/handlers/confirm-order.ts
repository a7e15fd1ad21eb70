import { Metrics } from '@aws-lambda-powertools/metrics';
import { createConfirmOrderHandler } from '../http/confirm-order';
import { callersFromEnv, logger, orderCommandsFromEnv } from './runtime';
import { traced } from './tracing';

/** Lambda entry point for `POST /orders/{id}/confirm`: configuration and clients are built once, at cold start. */
export const handler = traced(createConfirmOrderHandler(orderCommandsFromEnv(), logger, new Metrics(), callersFromEnv()));

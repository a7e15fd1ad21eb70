/**
 * Which requests on the local API's port are for the local AWS APIs rather than the HTTP API's
 * routes: tools (the operations CLI) point every AWS SDK client at this one URL, as they would
 * point them at AWS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { refuseUnlessLocalSdk } from '../loopback-server';
import type { DirectHandler } from './http-api';

export interface LocalAwsApis {
  /** SQS's JSON protocol (`X-Amz-Target: AmazonSQS.*`). */
  readonly sqs: DirectHandler;
  /** The query protocol (CloudFormation's `DescribeStacks`): a form POST to `/`. */
  readonly query: DirectHandler;
  /** Lambda's `Invoke` (`/2015-03-31/functions/{name}/invocations`). */
  readonly lambda: DirectHandler;
}

const LAMBDA_PATH = '/2015-03-31/functions/';

/**
 * The local AWS API a request is for, or `undefined` for the HTTP API. Decided on the request
 * line and headers only (the body is the API's to read): a form POST to `/` is the query
 * protocol, whose `Action` the API reads. Like the separate local endpoints, these answer only
 * signed requests from this machine (`refuseUnlessLocalSdk`); no JWT, as on AWS's own endpoints.
 */
export const localAwsRequest =
  (apis: LocalAwsApis) =>
  (request: IncomingMessage): DirectHandler | undefined => {
    const pathname = new URL(request.url ?? '/', 'http://local').pathname;
    const target = String(request.headers['x-amz-target'] ?? '');
    const contentType = String(request.headers['content-type'] ?? '');
    let api: DirectHandler | undefined;
    if (target.startsWith('AmazonSQS.')) api = apis.sqs;
    else if (request.method === 'POST' && pathname === '/' && contentType.startsWith('application/x-www-form-urlencoded')) api = apis.query;
    else if (pathname.startsWith(LAMBDA_PATH)) api = apis.lambda;
    if (api === undefined) return undefined;
    const chosen = api;
    return async (req: IncomingMessage, res: ServerResponse) => {
      if (refuseUnlessLocalSdk(req, res)) {
        req.resume();
        return;
      }
      await chosen(req, res);
    };
  };

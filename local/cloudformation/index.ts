/**
 * CloudFormation's `DescribeStacks` for the local stack's own stack, as the v3 SDK calls it (the
 * query protocol: a form POST with `Action=DescribeStacks&Version=2010-05-15`, an XML answer):
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html.
 * Tools that find a deployed stack by its outputs find the local one the same way.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../loopback-server';
import type { OutputModel } from '../model';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../model/template';

export interface LocalCloudFormationOptions {
  /** The synthesized stack's name (e.g. `OrdersService`). */
  readonly stackName: string;
  /** Its outputs, resolved locally. */
  readonly outputs: readonly OutputModel[];
  /** When the local stack started. @default now */
  readonly createdAt?: Date;
}

export interface LocalCloudFormation {
  readonly stackId: string;
  /** Answers one query-protocol request (a form POST to `/`). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const element = (name: string, value: string | undefined): string => (value === undefined ? '' : `<${name}>${escape(value)}</${name}>`);

class CloudFormationError extends Error {
  public constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
    this.name = 'CloudFormationError';
  }
}

export const localCloudFormation = (options: LocalCloudFormationOptions): LocalCloudFormation => {
  const createdAt = (options.createdAt ?? new Date()).toISOString();
  const stackId = `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${options.stackName}/${randomUUID()}`;
  const outputs = options.outputs
    .map(
      (output) =>
        `<member>${element('OutputKey', output.key)}${element('OutputValue', output.value)}${element('Description', output.description)}${element('ExportName', output.exportName)}</member>`,
    )
    .join('');
  const stack =
    `<member>${element('StackId', stackId)}${element('StackName', options.stackName)}${element('CreationTime', createdAt)}` +
    `${element('StackStatus', 'CREATE_COMPLETE')}${outputs === '' ? '' : `<Outputs>${outputs}</Outputs>`}` +
    `<DisableRollback>false</DisableRollback><EnableTerminationProtection>false</EnableTerminationProtection>` +
    `<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation></member>`;

  const describeStacks = (form: URLSearchParams): string => {
    const name = form.get('StackName');
    if (name !== null && name !== options.stackName && name !== stackId) {
      throw new CloudFormationError('ValidationError', `Stack with id ${name} does not exist`);
    }
    return `<DescribeStacksResult><Stacks>${stack}</Stacks></DescribeStacksResult>`;
  };

  return {
    stackId,
    handle: async (request, response) => {
      const form = new URLSearchParams((await readBody(request, 1024 * 1024))?.toString('utf8') ?? '');
      const action = form.get('Action') ?? '';
      const requestId = randomUUID();
      let status = 200;
      let xml: string;
      try {
        if (action !== 'DescribeStacks') {
          throw new CloudFormationError('InvalidAction', `The action ${action === '' ? '(none)' : action} is not valid for this web service: the local stack serves DescribeStacks.`);
        }
        if (form.get('Version') !== '2010-05-15') {
          throw new CloudFormationError('InvalidParameterValue', `Version ${form.get('Version') ?? '(none)'} is not CloudFormation's API version 2010-05-15.`);
        }
        xml = `<DescribeStacksResponse xmlns="${XMLNS}">${describeStacks(form)}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`;
      } catch (error: unknown) {
        if (!(error instanceof CloudFormationError)) throw error;
        status = error.status;
        xml = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type>${element('Code', error.code)}${element('Message', error.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      }
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
      response.writeHead(status, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(body)), 'x-amzn-requestid': requestId });
      response.end(body);
    },
  };
};

/**
 * The synthesized CloudFormation template as the local stack reads it, and the few lookups every
 * part of the model shares: resources by type, by construct path (the `aws:cdk:path` metadata
 * `cdk synth` writes), and the one error for a construct the local stack does not emulate.
 */

/** The parts of a CloudFormation template the local tooling reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, CfnOutput>;
}

/** A stack output as the template declares it (its value still a template value). */
export interface CfnOutput {
  readonly Value: unknown;
  readonly Description?: string;
  readonly Export?: { readonly Name: unknown };
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The account and region every local ARN names. */
export const LOCAL_ACCOUNT = '000000000000';

/** The ARN of a local function by its name. */
export const localFunctionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
/** The ARN of a local queue by its name. */
export const localQueueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
/** The ARN of a local rule by its logical id. */
export const localRuleArn = (logicalId: string): string => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${logicalId}`;
export const LOCAL_REGION = 'us-east-1';

/**
 * The template asks for something the local stack does not emulate. The message names the
 * resource, what it has, what is supported, and the way out.
 */
export class UnsupportedConstructError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedConstructError';
  }
}

/** Every resource of one type, with its logical id, in template order. */
export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** The construct path CDK recorded for a resource (`OrdersService/Outbox/Table/Resource`), if any. */
export const constructPathOf = (resource: CfnResource | undefined): string | undefined => {
  const value = resource?.Metadata?.['aws:cdk:path'];
  return typeof value === 'string' ? value : undefined;
};

/** The logical id of the resource a construct path (e.g. `OrdersService/PlaceOrder/Resource`) made. */
export const logicalIdOf = (template: CfnTemplate, constructPath: string): string => {
  const found = Object.entries(template.Resources).find(([, resource]) => constructPathOf(resource) === constructPath);
  if (found === undefined) {
    throw new Error(`The template has no resource at ${constructPath}.`);
  }
  return found[0];
};

/** The logical id a `Ref` or `Fn::GetAtt` points at, or `undefined` for any other value. */
export const referencedLogicalId = (value: unknown): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const intrinsic = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof intrinsic.Ref === 'string') return intrinsic.Ref;
  const getAtt = intrinsic['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
};

/** A short, stable name for a function: its construct id in kebab case (`PlaceOrder` -> `place-order`). */
export const friendlyName = (resource: CfnResource, logicalId: string): string => {
  const parts = (constructPathOf(resource) ?? logicalId).split('/');
  const id = parts.at(-1) === 'Resource' ? parts.at(-2) : parts.at(-1);
  return (id ?? logicalId).replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
};

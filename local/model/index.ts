import { type TableModel, tablesOf } from './dynamodb';
import { type RuleModel, rulesOf } from './events';
import { type HttpRouteModel, type JwtAuthorizerSettings, httpRoutesOf, jwtAuthorizersOf } from './http-api';
import { type LocalNames, resolver } from './intrinsics';
import { type FunctionModel, type StreamMappingSettings, functionsOf, streamMappingsOf } from './lambda';
import { type CfnResource, type CfnTemplate, constructPathOf, resourcesOfType } from './template';

export * from './dynamodb';
export * from './events';
export * from './http-api';
export * from './intrinsics';
export * from './lambda';
export * from './template';

/** An `AWS::SQS::Queue`: locally, the messages that reach it are kept in memory. */
export interface QueueModel {
  readonly logicalId: string;
  readonly constructPath?: string;
}

/**
 * The synthesized app as the local stack runs it: one typed description read from the template
 * before anything starts, intrinsic functions resolved, and one clear error
 * (`UnsupportedConstructError`) for the first construct the local stack cannot emulate.
 */
export interface AppModel {
  readonly template: CfnTemplate;
  readonly functions: readonly FunctionModel[];
  readonly httpRoutes: readonly HttpRouteModel[];
  /** JWT authorizers by logical id, audiences resolved in `audience` and as the template has them in `settings`. */
  readonly jwtAuthorizers: ReadonlyMap<string, { readonly settings: JwtAuthorizerSettings; readonly audience: readonly string[] }>;
  readonly tables: readonly TableModel[];
  readonly streamMappings: readonly StreamMappingSettings[];
  readonly rules: readonly RuleModel[];
  readonly queues: readonly QueueModel[];
}

/** Reads the template of a cloud assembly whose function bundles are in `assemblyDir`. */
export const readAppModel = (template: CfnTemplate, assemblyDir: string, names: LocalNames): AppModel => {
  const resolve = resolver(template, names);
  const httpRoutes = httpRoutesOf(template);
  const jwtAuthorizers = new Map(
    [...jwtAuthorizersOf(template)].map(([logicalId, settings]) => [
      logicalId,
      { settings, audience: settings.audience.map((value) => resolve(value, `authorizer ${logicalId}, Audience`)) },
    ]),
  );
  return {
    template,
    functions: functionsOf(template, assemblyDir, resolve),
    httpRoutes,
    jwtAuthorizers,
    tables: tablesOf(template, names),
    streamMappings: streamMappingsOf(template),
    rules: rulesOf(template, resolve),
    queues: resourcesOfType(template, 'AWS::SQS::Queue').map(([logicalId, resource]) => withPath({ logicalId }, resource)),
  };
};

const withPath = <T extends object>(value: T, resource: CfnResource): T & { constructPath?: string } => {
  const constructPath = constructPathOf(resource);
  return constructPath === undefined ? value : { ...value, constructPath };
};

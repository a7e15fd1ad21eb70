import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { esbuildCode } from './esbuild-bundling';

/** The repository root: entries, the lock file and esbuild are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface ServiceFunctionProps
  extends Omit<
    NodejsFunctionProps,
    'runtime' | 'architecture' | 'entry' | 'logGroup' | 'logRetention' | 'bundling' | 'code' | 'projectRoot' | 'depsLockFilePath'
  > {
  /** The handler module, relative to the project root (e.g. `lambdas/handlers/place-order.ts`). */
  readonly entry: string;
  /** The Powertools service name, for logs and metrics. */
  readonly serviceName: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * The one function construct every Lambda in this project uses: Node.js 22 on arm64, X-Ray
 * tracing (active, with the Powertools Tracer's environment; see lambdas/handlers/tracing.ts), a log group with retention, Powertools environment, and esbuild bundling that runs
 * offline from the npm package (never Docker): one minified CommonJS `index.js` with its source
 * map per function, what `NodejsFunction` would build with these flags, byte for byte, but
 * reused across synths while its inputs are unchanged (lib/esbuild-bundling.ts).
 */
export class ServiceFunction extends NodejsFunction {
  public constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const { entry, serviceName, logRetention, logLevel, environment, handler, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      memorySize: 1024,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      ...rest,
      code: esbuildCode(path.join(PROJECT_ROOT, entry), {
        projectRoot: PROJECT_ROOT,
        lockFile: path.join(PROJECT_ROOT, 'package-lock.json'),
        target: 'node22',
        format: 'cjs',
        minify: true,
        sourceMap: true,
        // Bundle the SDK too: the function runs the versions the lock file pins and tests ran.
        externalModules: [],
      }),
      handler: `index.${handler ?? 'handler'}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: serviceName,
        POWERTOOLS_LOG_LEVEL: logLevel ?? 'INFO',
        // Traces keep ids, timings and errors, never responses: the API's answers carry orders
        // (customer ids, items, prices), and a trace is readable by anyone with X-Ray access.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
    });

    // cdk-nag findings every function of this construct carries by design, each with its reason.
    const validations = Validations.of(this);
    validations.acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The basic execution role only lets the function write its own CloudWatch logs.',
    });
    validations.acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    });
    validations.acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason:
        'Functions stay on Node.js 22 (bundles target node22): the local stack and the end-to-end tests run these same bundles ' +
        "on the development machine's Node.js 20; Node.js 24 would widen the gap between what the tests run and what Lambda runs, " +
        'so the move waits until the local runtime can run it faithfully.',
    });
  }
}

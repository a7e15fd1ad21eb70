import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traced, tracer } from '../../../lambdas/handlers/tracing';

const context = { functionName: 'f', awsRequestId: 'r' } as unknown as Context;

describe('traced handlers off AWS', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('has the tracer off where there is no Lambda execution environment', () => {
    expect(tracer.isTracingEnabled()).toBe(false);
  });

  it('answers what the handler answers and writes nothing to the console, trace id or not', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');

    const result = await traced(async (event: { n: number }) => ({ doubled: event.n * 2 }))({ n: 21 }, context);

    expect(result).toEqual({ doubled: 42 });
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it("rethrows the handler's error untouched", async () => {
    const failure = new RangeError('boom');

    await expect(traced(async () => Promise.reject(failure))({}, context)).rejects.toBe(failure);
  });
});

describe('traced handlers in Lambda', () => {
  const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /**
   * A tracer as Lambda would have it (its execution environment, the stack's tracer env), on a
   * real X-Ray facade segment; only where the segment lives is stubbed, since no X-Ray context
   * exists off Lambda.
   */
  const lambdaTracer = () => {
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'orders');
    vi.stubEnv('POWERTOOLS_TRACER_CAPTURE_RESPONSE', 'false');
    vi.stubEnv('_X_AMZN_TRACE_ID', TRACE);
    vi.stubEnv('_HANDLER', 'index.handler');
    const lambda = new Tracer();
    const facade = new Segment('facade', '1-5759e988-bd862e3fe1be46a994272793', '53995c3f42cd8ad8');
    let current: Segment | Subsegment = facade;
    vi.spyOn(lambda.provider, 'getSegment').mockImplementation(() => current);
    vi.spyOn(lambda.provider, 'setSegment').mockImplementation((segment) => {
      current = segment;
    });
    return { lambda, facade, current: () => current };
  };

  it('runs the invocation in a closed "## index.handler" subsegment, annotated, without the response', async () => {
    const { lambda, facade, current } = lambdaTracer();
    let inside: Segment | Subsegment | undefined;

    const result = await traced(async () => {
      inside = current();
      return { customerId: 'c-1' };
    }, lambda)({}, context);

    expect(result).toEqual({ customerId: 'c-1' });
    const [subsegment] = facade.subsegments ?? [];
    expect(subsegment?.name).toBe('## index.handler');
    expect(inside).toBe(subsegment);
    expect(current()).toBe(facade);
    expect(subsegment?.isClosed()).toBe(true);
    const recorded = subsegment as unknown as { annotations?: Record<string, unknown>; metadata?: unknown };
    expect(recorded.annotations).toMatchObject({ ColdStart: expect.any(Boolean), Service: 'orders' });
    expect(JSON.stringify(recorded.metadata ?? {})).not.toContain('c-1');
  });

  it('records the error on the subsegment and rethrows it', async () => {
    const { lambda, facade } = lambdaTracer();
    const failure = new RangeError('boom');

    await expect(traced(async () => Promise.reject(failure), lambda)({}, context)).rejects.toBe(failure);

    const [subsegment] = facade.subsegments ?? [];
    expect(subsegment?.isClosed()).toBe(true);
    const recorded = subsegment as unknown as { fault?: boolean; error?: boolean; cause?: unknown };
    expect(recorded.fault === true || recorded.error === true).toBe(true);
    expect(JSON.stringify(recorded.cause)).toContain('boom');
  });
});

/**
 * Lambda's execution environments (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
 * see `LocalFunction`.
 */
import { localFunctionArn } from '../model/template';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { FunctionModel } from '../model/lambda';

/** What a function needs to run: its part of the template model (`FunctionModel`). */
export type LocalFunctionSpec = Pick<
  FunctionModel,
  'logicalId' | 'name' | 'file' | 'exportName' | 'environment' | 'timeoutMs' | 'memoryMb' | 'reservedConcurrency'
>;

/** An invocation that failed the way Lambda reports it: the function threw, timed out or died. */
export class FunctionError extends Error {
  public constructor(
    public readonly functionName: string,
    public readonly errorType: string,
    /** The message as the function gave it (Lambda's `errorMessage`). */
    public readonly errorMessage: string,
  ) {
    super(`${functionName}: ${errorType}: ${errorMessage}`);
    this.name = 'FunctionError';
  }
}

/** An invocation's failure as Lambda reports it (`errorType`, `errorMessage`), whatever was thrown. */
export const failureOf = (error: unknown): { errorType: string; errorMessage: string } =>
  error instanceof FunctionError
    ? { errorType: error.errorType, errorMessage: error.errorMessage }
    : { errorType: 'Runtime.Unknown', errorMessage: error instanceof Error ? error.message : String(error) };

interface Running {
  readonly id: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The invocation's timeout, armed once the environment is initialized. */
  timer: NodeJS.Timeout | undefined;
}

/** One execution environment: a worker thread that runs one invocation at a time, as Lambda's do. */
interface Environment {
  readonly worker: Worker;
  /** Settles when the init phase (loading the bundle) is over. */
  readonly ready: Promise<void>;
  running: Running | undefined;
}

interface Queued {
  readonly event: unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const RUNTIME = path.join(__dirname, 'function-runtime.cjs');

/** Lambda's limit on the init phase before the invocation's own timeout starts counting. */
const INIT_LIMIT_MS = 10_000;

/** Environments a function may have at once locally when it reserves no concurrency. */
export const LOCAL_CONCURRENCY = 6;

/**
 * One local Lambda function, run as Lambda runs it: each invocation gets an execution
 * environment of its own (a worker thread with the function's environment and module state,
 * started on first use like a cold start, reused warm afterwards), so one invocation's timeout or
 * crash ends that invocation alone and concurrent invocations never share a clock
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). At most
 * `reservedConcurrency` environments (the template's `ReservedConcurrentExecutions`), else
 * `LOCAL_CONCURRENCY`; an invocation beyond that waits for an environment, as Lambda's event
 * source mappings and async queue wait (a synchronous caller on AWS would get a 429 instead).
 * Its timeout counts from the moment it runs, after the init phase, as on AWS (where init has a
 * limit of its own, not emulated here: a busy laptop loads a bundle slower). `crash()` kills the runtimes mid-invocation as a
 * runtime failure would.
 */
export class LocalFunction {
  private readonly environments = new Set<Environment>();
  private readonly queue: Queued[] = [];
  public invocations = 0;
  public coldStarts = 0;
  /** The most environments busy at once so far. */
  public peakConcurrency = 0;
  private closed = false;

  public constructor(
    public readonly spec: LocalFunctionSpec,
    private readonly baseEnvironment: Record<string, string>,
    private readonly onOutput: (name: string, line: string) => void = () => undefined,
    /**
     * Called as each invocation starts; an error it returns fails the invocation before the
     * function runs (fault injection). @default - none
     */
    private readonly injectFault: () => FunctionError | undefined = () => undefined,
  ) {}

  private get maxEnvironments(): number {
    return this.spec.reservedConcurrency ?? LOCAL_CONCURRENCY;
  }

  /** Invocations running or waiting for an environment. */
  public get inFlight(): number {
    return this.busy + this.queue.length;
  }

  /** Environments running an invocation now. */
  private get busy(): number {
    return [...this.environments].filter((environment) => environment.running !== undefined).length;
  }

  public async invoke(event: unknown): Promise<unknown> {
    this.invocations += 1;
    if (this.closed) throw new FunctionError(this.spec.name, 'Runtime.ExitError', 'The function was closed.');
    const fault = this.injectFault();
    if (fault !== undefined) throw fault;
    if (this.spec.reservedConcurrency === 0) {
      throw new FunctionError(this.spec.name, 'TooManyRequestsException', 'Rate Exceeded. (reserved concurrency 0: the function is turned off)');
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.dispatch();
    });
  }

  /** Kills every runtime of the function now: each invocation in flight fails, the next one cold-starts. */
  public crash(): void {
    // Every environment goes first, so no waiting invocation is handed to one about to die.
    const error = new FunctionError(this.spec.name, 'Runtime.ExitError', 'The runtime was killed (injected crash).');
    const all = [...this.environments];
    this.environments.clear();
    for (const environment of all) this.end(environment, error, true);
    this.dispatch();
  }

  public async close(): Promise<void> {
    this.closed = true;
    // An invocation in flight or waiting fails now; its timeout timer would otherwise keep the
    // process alive for up to the function's timeout (5 minutes for the reconciler) after a close.
    const closed = new FunctionError(this.spec.name, 'Runtime.ExitError', 'The function was closed.');
    for (const queued of this.queue.splice(0)) queued.reject(closed);
    const workers = [...this.environments].map((environment) => environment.worker);
    for (const environment of [...this.environments]) this.kill(environment, closed, false);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** Starts waiting invocations on idle environments, starting new ones up to the limit. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let environment = [...this.environments].find((candidate) => candidate.running === undefined);
      if (environment === undefined) {
        if (this.environments.size >= this.maxEnvironments) return;
        environment = this.startEnvironment();
      }
      const next = this.queue.shift() as Queued;
      this.run(environment, next);
    }
  }

  private run(environment: Environment, invocation: Queued): void {
    const id = randomUUID();
    // Taken now, so no other invocation is dispatched to this environment while it initializes.
    environment.running = { id, resolve: invocation.resolve, reject: invocation.reject, timer: undefined };
    this.peakConcurrency = Math.max(this.peakConcurrency, this.busy);
    // Lambda gives init 10 s of its own; past that the invocation's timeout runs (init goes on within it).
    let initLimit: NodeJS.Timeout | undefined;
    const initOver = Promise.race([
      environment.ready,
      new Promise<void>((resolve) => {
        initLimit = setTimeout(resolve, INIT_LIMIT_MS);
      }),
    ]);
    void initOver.then(() => {
      clearTimeout(initLimit);
      const running = environment.running;
      if (running?.id !== id || !this.environments.has(environment)) return;
      running.timer = setTimeout(() => {
        this.kill(environment, new FunctionError(this.spec.name, 'Sandbox.Timedout', `Task timed out after ${this.spec.timeoutMs / 1000} seconds`));
      }, this.spec.timeoutMs);
      void environment.ready.then(() => {
        if (environment.running?.id === id && this.environments.has(environment)) this.post(environment, id, invocation.event);
      });
    });
  }

  private post(environment: Environment, id: string, event: unknown): void {
    environment.worker.postMessage({
      id,
      event,
      context: {
        functionName: this.spec.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: localFunctionArn(this.spec.name),
        memoryLimitInMB: String(this.spec.memoryMb),
        awsRequestId: id,
        logGroupName: `/aws/lambda/${this.spec.name}`,
        logStreamName: 'local',
        timeoutMs: this.spec.timeoutMs,
      },
    });
  }

  /** Ends an environment: its invocation (if any) fails with `error`; waiting invocations go on elsewhere. */
  private kill(environment: Environment, error: FunctionError, terminate = true): void {
    if (!this.environments.delete(environment)) return;
    this.end(environment, error, terminate);
    this.dispatch();
  }

  private end(environment: Environment, error: FunctionError, terminate: boolean): void {
    const running = environment.running;
    environment.running = undefined;
    if (running !== undefined) {
      clearTimeout(running.timer);
      running.reject(error);
    }
    if (terminate) void environment.worker.terminate();
  }

  private startEnvironment(): Environment {
    this.coldStarts += 1;
    const worker = new Worker(RUNTIME, {
      workerData: { file: this.spec.file, exportName: this.spec.exportName },
      env: {
        ...this.baseEnvironment,
        ...this.spec.environment,
        AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.spec.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: this.spec.memoryMb },
    });
    let initialized: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      initialized = resolve;
    });
    const environment: Environment = { worker, ready, running: undefined };
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.onOutput(this.spec.name, line));
    }
    worker.on('message', (message: { ready?: true; id?: string; result?: unknown; error?: { name: string; message: string } }) => {
      if (message.ready === true) {
        initialized();
        return;
      }
      const running = environment.running;
      if (running === undefined || running.id !== message.id) return;
      environment.running = undefined;
      clearTimeout(running.timer);
      if (message.error === undefined) {
        running.resolve(message.result ?? undefined);
      } else {
        running.reject(new FunctionError(this.spec.name, message.error.name, message.error.message));
      }
      this.dispatch();
    });
    worker.on('error', (error: Error) => this.kill(environment, new FunctionError(this.spec.name, 'Runtime.Crash', error.message)));
    worker.on('exit', () => this.kill(environment, new FunctionError(this.spec.name, 'Runtime.ExitError', 'The runtime exited.'), false));
    this.environments.add(environment);
    return environment;
  }
}

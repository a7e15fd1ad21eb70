import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

export interface LocalFunctionSpec {
  /** The function's logical id in the template. */
  readonly logicalId: string;
  /** A short name for logs and `/_local/functions/{name}/invoke`, e.g. `place-order`. */
  readonly name: string;
  /** The bundle to run (the asset `cdk synth` wrote) and the export to call. */
  readonly file: string;
  readonly exportName: string;
  /** The function's environment, resolved for this machine. */
  readonly environment: Record<string, string>;
  readonly timeoutMs: number;
  readonly memoryMb: number;
}

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

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const RUNTIME = path.join(__dirname, 'function-runtime.cjs');

/**
 * One local Lambda function: its bundle in a worker thread of its own (its own environment, its
 * own module state, started on first use like a cold start), invocations with the function's
 * timeout, and `crash()` to kill it mid-invocation as a runtime failure would.
 */
export class LocalFunction {
  private worker: Worker | undefined;
  private readonly pending = new Map<string, Pending>();
  public invocations = 0;
  public coldStarts = 0;

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

  public get inFlight(): number {
    return this.pending.size;
  }

  public async invoke(event: unknown): Promise<unknown> {
    this.invocations += 1;
    const fault = this.injectFault();
    if (fault !== undefined) throw fault;
    const worker = this.ensureWorker();
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill(new FunctionError(this.spec.name, 'Sandbox.Timedout', `Task timed out after ${this.spec.timeoutMs / 1000} seconds`));
      }, this.spec.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({
        id,
        event,
        context: {
          functionName: this.spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${this.spec.name}`,
          memoryLimitInMB: String(this.spec.memoryMb),
          awsRequestId: id,
          logGroupName: `/aws/lambda/${this.spec.name}`,
          logStreamName: 'local',
          timeoutMs: this.spec.timeoutMs,
        },
      });
    });
  }

  /** Kills the runtime now: every invocation in flight fails, the next one cold-starts. */
  public crash(): void {
    this.kill(new FunctionError(this.spec.name, 'Runtime.ExitError', 'The runtime was killed (injected crash).'));
  }

  public async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    // An invocation in flight fails now; its timeout timer would otherwise keep the process
    // alive for up to the function's timeout (5 minutes for the reconciler) after a close.
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new FunctionError(this.spec.name, 'Runtime.ExitError', 'The function was closed.'));
      this.pending.delete(id);
    }
    await worker?.terminate();
  }

  private kill(error: FunctionError): void {
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
    void worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
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
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.onOutput(this.spec.name, line));
    }
    worker.on('message', (message: { id: string; result?: unknown; error?: { name: string; message: string } }) => {
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error === undefined) {
        pending.resolve(message.result ?? undefined);
      } else {
        pending.reject(new FunctionError(this.spec.name, message.error.name, message.error.message));
      }
    });
    worker.on('error', (error: Error) => {
      if (this.worker === worker) this.kill(new FunctionError(this.spec.name, 'Runtime.Crash', error.message));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.kill(new FunctionError(this.spec.name, 'Runtime.ExitError', 'The runtime exited.'));
    });
    this.worker = worker;
    return worker;
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** What the retries saw, for the progress line and the table. */
export interface HttpStats {
  /** Attempts that were sent again (a network error, a 5xx, or a 401 for a stale token). */
  retries: number;
  networkErrors: number;
  serverErrors: number;
  unauthorized: number;
}

export interface SendOptions {
  readonly body?: unknown;
  /**
   * Read on every attempt, so a retry carries the current token: a restarted stack has a new
   * issuer key, and a token minted before the restart is refused.
   */
  readonly headers?: Record<string, string> | (() => Record<string, string>);
  /** Send again on a 401 too, with fresh headers (a token the restart made stale). @default false */
  readonly retryUnauthorized?: boolean;
  /** Send again, the same request, on a network error (always) and on a 5xx (when true). @default true */
  readonly retryServerErrors?: boolean;
  /** Give up after this long. @default 180 s (a restart of the local stack takes a few seconds) */
  readonly deadlineMs?: number;
  /** One attempt is cut after this long, then sent again. @default 120 s */
  readonly timeoutMs?: number;
}

export class ChaosAbortedError extends Error {
  public constructor() {
    super('The chaos run was stopped.');
    this.name = 'ChaosAbortedError';
  }
}

export class RequestGaveUpError extends Error {
  public constructor(
    public readonly request: string,
    public readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(`${request} still failed after ${attempts} attempts: ${describe(options.cause)}`, options);
    this.name = 'RequestGaveUpError';
  }
}

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
};

/**
 * HTTP to the local stack, as a careful client does it: a network error or a 5xx is answered by
 * sending the SAME request again (same headers, so the same `Idempotency-Key`), with backoff,
 * until a deadline. A stack restart in the middle looks exactly like that to the client.
 */
export class ChaosHttp {
  public readonly stats: HttpStats = { retries: 0, networkErrors: 0, serverErrors: 0, unauthorized: 0 };

  public constructor(
    private readonly baseUrl: string,
    private readonly signal: AbortSignal,
    private readonly random: () => number = Math.random,
  ) {}

  public async send(method: string, path: string, options: SendOptions = {}): Promise<HttpAnswer> {
    const deadline = Date.now() + (options.deadlineMs ?? 180_000);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    for (let attempt = 0; ; attempt++) {
      if (this.signal.aborted) throw new ChaosAbortedError();
      const own = typeof options.headers === 'function' ? options.headers() : options.headers;
      const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...own };
      let failure: unknown;
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          // A request the stack never answers is cut, then sent again (the key makes that safe).
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)]),
        });
        const text = await response.text();
        if (response.status === 401 && options.retryUnauthorized === true) {
          this.stats.unauthorized += 1;
          failure = new Error(`HTTP 401: ${text.slice(0, 200)}`);
        } else if (response.status < 500 || options.retryServerErrors === false) {
          return { status: response.status, headers: response.headers, body: parse(text) };
        } else {
          this.stats.serverErrors += 1;
          failure = new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
        }
      } catch (error: unknown) {
        if (this.signal.aborted) throw new ChaosAbortedError();
        this.stats.networkErrors += 1;
        failure = error;
      }
      if (Date.now() > deadline) throw new RequestGaveUpError(`${method} ${path}`, attempt + 1, { cause: failure });
      this.stats.retries += 1;
      await sleep(Math.min(2000, 50 * 2 ** attempt) * (0.5 + this.random() / 2), undefined, { signal: this.signal }).catch(() => undefined);
    }
  }
}

const parse = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** A staff token when the stack has callers (`POST /_local/token`); none when it does not. */
export const tokenHeaders = async (admin: ChaosHttp): Promise<Record<string, string>> => {
  const answer = await admin.send('POST', '/_local/token', { body: { sub: 'chaos-staff', staff: true, expiresInSeconds: 86_400 } });
  const token = (answer.body as { token?: unknown } | undefined)?.token;
  return answer.status === 200 && typeof token === 'string' ? { authorization: `Bearer ${token}` } : {};
};

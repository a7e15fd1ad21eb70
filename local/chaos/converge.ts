import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ordersTablesOf } from '../apps/orders';
import { type AcceptedCommand, type ModelAudit, auditModels } from './audit';
import type { ChaosHttp } from './http';
import type { ChaosStack } from './stack';

/** What the reconciler answers (design-issue9.md); older reconcilers answer a part of it. */
export interface ReconcilerResult {
  readonly retried?: { readonly aggregates?: number; readonly republished?: number; readonly stillParked?: number };
  readonly sweep?: { readonly republished?: number; readonly parked?: number };
  readonly audit?: { readonly readModelRepaired?: number };
  readonly auditError?: string;
  readonly parked?: { readonly count?: number };
}

export interface ReconcilerRun {
  readonly status: number;
  readonly result?: ReconcilerResult;
}

/** Manual reconciler runs through `POST /_local/functions/reconciler/invoke`, one at a time. */
export class Reconciler {
  public runs = 0;
  public errors = 0;
  public republished = 0;
  /** Read models the audit repaired (before issue 9, by republishing the order's last event to the bus). */
  public readModelRepairs = 0;
  public longestRunMs = 0;
  /** The most parked items a run reported. */
  public parkedPeak = 0;
  /** Runs whose audit failed (the sweep ran all the same). */
  public auditErrors = 0;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  public constructor(private readonly admin: ChaosHttp) {}

  public async run(body: Record<string, unknown>): Promise<ReconcilerRun> {
    const started = Date.now();
    // A run may take the function's whole timeout (5 min); it is never cut and sent again early.
    const answer = await this.admin.send('POST', '/_local/functions/reconciler/invoke', {
      body,
      retryServerErrors: false,
      timeoutMs: 330_000,
      deadlineMs: 600_000,
    });
    this.runs += 1;
    this.longestRunMs = Math.max(this.longestRunMs, Date.now() - started);
    if (answer.status !== 200) {
      this.errors += 1;
      return { status: answer.status };
    }
    const result = answer.body as ReconcilerResult;
    this.republished += result.sweep?.republished ?? 0;
    this.readModelRepairs += result.audit?.readModelRepaired ?? 0;
    if (result.auditError !== undefined) this.auditErrors += 1;
    this.parkedPeak = Math.max(this.parkedPeak, result.parked?.count ?? 0);
    return { status: answer.status, result };
  }

  /** Runs `task` after every run and task before it: one reconciler run at a time, as with reserved concurrency 1. */
  public async enqueue(task: () => Promise<void>): Promise<void> {
    this.queued += 1;
    const done = this.chain.then(task).finally(() => {
      this.queued -= 1;
    });
    this.chain = done.catch(() => undefined);
    return done;
  }

  /** A periodic run, unless a run or a task is going or waiting. */
  public startIfIdle(body: Record<string, unknown>): void {
    if (this.queued > 0) return;
    this.enqueue(async () => {
      await this.run(body);
    }).catch(() => undefined);
  }

  public get busy(): boolean {
    return this.queued > 0;
  }

  public async idle(): Promise<void> {
    await this.chain;
  }
}

export interface Converged {
  readonly pending: number | null;
  readonly parked: number | null;
  readonly parkedPeak: number;
  readonly drainMs: number;
  readonly convergeMs: number;
  readonly models: ModelAudit;
}

interface OutboxStats {
  readonly pending?: number;
  readonly parked?: number;
}

/**
 * The end of the run, faults cleared: the reconciler (retryParked, no grace) until the outbox has
 * nothing pending or parked; then the read model given time (and reconciler runs, whose audit
 * repairs it) until it equals the write model. Both bounded; what is left is reported, not hidden.
 */
export const converge = async (input: {
  admin: ChaosHttp;
  reconciler: Reconciler;
  chaos: ChaosStack;
  accepted: readonly AcceptedCommand[];
  orders: number;
  say: (line: string) => void;
}): Promise<Converged> => {
  const { admin, reconciler, chaos, accepted, say } = input;
  const started = Date.now();
  const bound = Math.max(300_000, input.orders * 150);
  let outbox: OutboxStats = {};
  let parkedPeak = 0;
  let previousPending = Number.POSITIVE_INFINITY;
  for (let round = 0; ; round++) {
    outbox = (await admin.send('GET', '/_local/outbox')).body as OutboxStats;
    const pending = outbox.pending ?? 0;
    const parked = outbox.parked ?? 0;
    parkedPeak = Math.max(parkedPeak, parked);
    if (pending === 0 && parked === 0) break;
    if (Date.now() - started > bound) {
      say(`chaos: the outbox did not drain in ${bound / 1000} s: ${JSON.stringify(outbox)}`);
      break;
    }
    if (round % 5 === 0) say(`chaos: draining the outbox: pending ${outbox.pending ?? '?'}, parked ${outbox.parked ?? '-'}`);
    // While the relay is catching up on its own, a no-grace sweep would only publish twice.
    if (parked > 0 || pending >= previousPending) await reconciler.run({ retryParked: true, graceSeconds: 0 });
    previousPending = pending;
    await sleep(1000);
  }
  const drainMs = Date.now() - started;

  const client = new DynamoDBClient({
    endpoint: chaos.stack.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(client);
  const tables = ordersTablesOf(chaos.stack.template, chaos.stack.tables);
  const convergeStarted = Date.now();
  let models: ModelAudit;
  try {
    for (let round = 0; ; round++) {
      models = auditModels(await scanAll(doc, tables.orders), await scanAll(doc, tables.readModel), accepted);
      if (models.readModelsUnequal === 0) break;
      if (Date.now() - convergeStarted > bound) {
        say(`chaos: the read model did not converge in ${bound / 1000} s: ${models.readModelsUnequal} orders differ`);
        break;
      }
      if (round % 3 === 0) say(`chaos: waiting for the read model: ${models.readModelsUnequal} orders differ`);
      // Deliveries still retrying land on their own; after that, the audit repairs what is behind.
      if (Date.now() - convergeStarted > 10_000) await reconciler.run({ graceSeconds: 0 });
      await sleep(2000);
    }
  } finally {
    client.destroy();
  }
  return {
    pending: outbox.pending ?? null,
    parked: outbox.parked ?? null,
    parkedPeak,
    drainMs,
    convergeMs: Date.now() - convergeStarted,
    models,
  };
};

const scanAll = async (doc: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
};

/** Parked events the retry republished (the reconciler's `retried.republished`). */
export const retriedCount = (result: { retried?: { republished?: unknown } } | undefined): number | undefined => {
  const republished = result?.retried?.republished;
  return typeof republished === 'number' ? republished : undefined;
};

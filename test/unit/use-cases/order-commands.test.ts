import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../lambdas/domain/caller';
import {
  ConcurrentUpdateError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  OrderNotFoundError,
  VersionMismatchError,
} from '../../../lambdas/domain/errors';
import type { OrderEvent } from '../../../lambdas/domain/events';
import { type Order, type OrderChange, applyCommand, placeOrder } from '../../../lambdas/domain/order';
import { IdempotencyKeyTakenError, StaleVersionError, WriteConflictError } from '../../../lambdas/use-cases/errors';
import { type CommandContext, OrderCommands } from '../../../lambdas/use-cases/order-commands';
import type {
  IdempotencyBinding,
  IdempotencyKey,
  IdempotencyRequest,
  OrderRepository,
  StoredOutcome,
} from '../../../lambdas/use-cases/ports';

/**
 * The retry and replay policy, with a repository that reports conditions on demand: persistent
 * transaction conflicts cannot be produced at will on DynamoDB Local.
 */
const staff: Caller = { sub: 'staff-1', staff: true };
const order: Order = placeOrder({ customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] }).order;

const repositoryThat = (commit: (change: OrderChange) => Promise<void>, outcome?: StoredOutcome) => {
  const calls = { commit: 0, get: 0, findOutcome: 0 };
  const repository: OrderRepository = {
    get: async () => {
      calls.get += 1;
      return order;
    },
    findOutcome: async () => {
      calls.findOutcome += 1;
      return outcome;
    },
    commit: async (change) => {
      calls.commit += 1;
      return commit(change);
    },
  };
  return { repository, calls };
};

const noDelay = { baseDelayMs: 0, random: () => 0 };

describe('OrderCommands', () => {
  it('gives up with CONCURRENT_UPDATE after the bounded number of conflicting attempts', async () => {
    const { repository, calls } = repositoryThat(async () => {
      throw new WriteConflictError(order.id);
    });
    const commands = new OrderCommands(repository, { maxAttempts: 4, ...noDelay });

    const error = await commands.apply(staff, order.id, { type: 'confirm' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE', attempts: 4 });
    expect(calls).toEqual({ commit: 4, get: 4, findOutcome: 0 });
  });

  it('re-reads the order and retries after losing an optimistic-concurrency race', async () => {
    let failures = 1;
    const { repository, calls } = repositoryThat(async () => {
      if (failures-- > 0) throw new StaleVersionError(order.id, 1, 2);
    });
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(staff, order.id, { type: 'confirm' });

    expect(outcome).toMatchObject({ replayed: false, created: false, order: { version: 2 } });
    expect(calls).toEqual({ commit: 2, get: 2, findOutcome: 0 });
  });

  it('answers a lost race under If-Match with VERSION_MISMATCH instead of retrying', async () => {
    const { repository, calls } = repositoryThat(async () => {
      throw new StaleVersionError(order.id, 1, 2);
    });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(staff, order.id, { type: 'confirm' }, { expectedVersion: 1 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(error).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(calls.commit).toBe(1);
  });

  it('passes unknown failures through untouched', async () => {
    const boom = new Error('network down');
    const { repository, calls } = repositoryThat(async () => {
      throw boom;
    });
    const commands = new OrderCommands(repository, noDelay);

    await expect(commands.apply(staff, order.id, { type: 'confirm' })).rejects.toBe(boom);
    expect(calls.commit).toBe(1);
  });
});

/** The in-memory store's key: a caller's key, as the adapter keeps them apart. */
const keyOf = ({ owner, key }: IdempotencyKey): string => JSON.stringify([owner, key]);

/**
 * An in-memory write model that checks what the DynamoDB transaction checks, in the order the
 * adapter reports it: the key first, then the order's version. `interleave` runs once, inside the
 * next `get` or `commit` it names, before that call looks at anything: another writer landing
 * while `decide()` reads the order, or between `decide()` and the commit.
 */
class InMemoryOrderRepository implements OrderRepository {
  public readonly orders = new Map<string, Order>();
  public readonly outcomes = new Map<string, StoredOutcome>();
  public readonly events: OrderEvent[] = [];
  public readonly calls = { get: 0, findOutcome: 0, commit: 0 };
  public interleave: { readonly at: 'get' | 'commit'; readonly run: () => Promise<unknown> } | undefined;

  public async get(orderId: string): Promise<Order | undefined> {
    this.calls.get += 1;
    await this.interleaved('get');
    return this.orders.get(orderId);
  }

  public async findOutcome(key: IdempotencyKey): Promise<StoredOutcome | undefined> {
    this.calls.findOutcome += 1;
    return this.outcomes.get(keyOf(key));
  }

  public async commit(change: OrderChange, idempotency?: IdempotencyBinding): Promise<void> {
    this.calls.commit += 1;
    await this.interleaved('commit');
    const taken = idempotency === undefined ? undefined : this.outcomes.get(keyOf(idempotency));
    if (taken !== undefined) throw new IdempotencyKeyTakenError(taken);
    const current = this.orders.get(change.order.id);
    if (change.expectedVersion === 0 ? current !== undefined : current?.version !== change.expectedVersion) {
      if (current === undefined) throw new OrderNotFoundError(change.order.id);
      throw new StaleVersionError(change.order.id, change.expectedVersion, current.version);
    }
    this.orders.set(change.order.id, change.order);
    this.events.push(change.event);
    if (idempotency !== undefined) {
      this.outcomes.set(keyOf(idempotency), { fingerprint: idempotency.fingerprint, created: idempotency.created, order: change.order });
    }
  }

  private async interleaved(at: 'get' | 'commit'): Promise<void> {
    const interleave = this.interleave;
    if (interleave?.at !== at) return;
    this.interleave = undefined;
    await interleave.run();
  }
}

const placeCommand = { customerId: 'c', currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPrice: 1 }] };
const keyed: IdempotencyRequest = { key: 'k', fingerprint: 'f' };

/** A repository holding `order` at v1 and, when given, `order` confirmed (v2) with its outcome under `keyed`. */
const repositoryWith = (options: { confirmedBy?: IdempotencyRequest } = {}) => {
  const repository = new InMemoryOrderRepository();
  repository.orders.set(order.id, order);
  let confirmed: Order | undefined;
  if (options.confirmedBy !== undefined) {
    confirmed = applyCommand(order, { type: 'confirm' }).order;
    repository.orders.set(order.id, confirmed);
    repository.outcomes.set(keyOf({ owner: staff.sub, key: options.confirmedBy.key }), { fingerprint: options.confirmedBy.fingerprint, created: false, order: confirmed });
  }
  repository.calls.get = 0;
  return { repository, confirmed: confirmed as Order };
};

describe('OrderCommands with an Idempotency-Key', () => {
  it.each(['get', 'commit'] as const)("replays the original when it commits during the retry's %s", async (at) => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);
    let original: Promise<unknown> | undefined;
    repository.interleave = {
      at,
      run: async () => {
        original = commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed });
        return original;
      },
    };

    const retry = await commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed });

    expect(await original).toEqual({ order: retry.order, created: false, replayed: false });
    expect(retry).toMatchObject({ replayed: true, order: { status: 'CONFIRMED', version: 2 } });
    expect(repository.events).toHaveLength(1);
  });

  it('replays a place whose original committed from the failed transaction alone, with no lookup', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: true, order };
    const { repository, calls } = repositoryThat(async () => {
      throw new IdempotencyKeyTakenError(stored);
    });
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.place(staff, placeCommand, { idempotency: keyed });

    expect(outcome).toEqual({ order, created: true, replayed: true });
    expect(calls).toEqual({ commit: 1, get: 0, findOutcome: 0 });
  });

  it('refuses a key whose commit finds an outcome of another request', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: true, order };
    const { repository, calls } = repositoryThat(async () => {
      throw new IdempotencyKeyTakenError(stored);
    });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.place(staff, placeCommand, { idempotency: { key: 'k', fingerprint: 'other' } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(calls.findOutcome).toBe(0);
  });

  it.each<[string, CommandContext]>([
    ['an invalid transition', {}],
    ['a version mismatch', { expectedVersion: 1 }],
  ])('replays the stored outcome of the same request instead of %s', async (_, context) => {
    const { repository, confirmed } = repositoryWith({ confirmedBy: keyed });
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(staff, order.id, { type: 'confirm' }, { ...context, idempotency: keyed });

    expect(outcome).toEqual({ order: confirmed, created: false, replayed: true });
    expect(repository.calls).toMatchObject({ commit: 0, findOutcome: 1 });
  });

  it('replays the stored outcome of the same request instead of a lost commit under If-Match', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: false, order };
    const { repository, calls } = repositoryThat(async () => {
      throw new StaleVersionError(order.id, 1, 2);
    }, stored);
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(staff, order.id, { type: 'confirm' }, { expectedVersion: 1, idempotency: keyed });

    expect(outcome).toEqual({ order, created: false, replayed: true });
    expect(calls).toEqual({ commit: 1, get: 1, findOutcome: 1 });
  });

  it('replays the stored outcome of the same request instead of CONCURRENT_UPDATE', async () => {
    const stored: StoredOutcome = { fingerprint: 'f', created: false, order };
    const { repository, calls } = repositoryThat(async () => {
      throw new WriteConflictError(order.id);
    }, stored);
    const commands = new OrderCommands(repository, { maxAttempts: 3, ...noDelay });

    const outcome = await commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed });

    expect(outcome).toEqual({ order, created: false, replayed: true });
    expect(calls).toEqual({ commit: 3, get: 3, findOutcome: 1 });
  });

  it("answers IDEMPOTENCY_KEY_REUSED when a refused command's key holds the outcome of another request", async () => {
    const { repository } = repositoryWith({ confirmedBy: { key: 'k', fingerprint: 'other' } });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it("answers IDEMPOTENCY_KEY_REUSED, not ORDER_NOT_FOUND, when a missing order's key holds another request", async () => {
    const { repository } = repositoryWith({ confirmedBy: { key: 'k', fingerprint: 'other' } });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(staff, 'no-such-order', { type: 'confirm' }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('answers the original refusal when the key has no stored outcome', async () => {
    const { repository } = repositoryWith({ confirmedBy: { key: 'another-key', fingerprint: 'f' } });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(repository.calls.findOutcome).toBe(1);
  });

  it('looks no key up on a keyed command that commits', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(staff, order.id, { type: 'confirm' }, { idempotency: keyed });

    expect(outcome).toMatchObject({ replayed: false, order: { version: 2 } });
    expect(repository.calls).toEqual({ get: 1, findOutcome: 0, commit: 1 });
  });

  it('looks no key up when a command without a key is refused', async () => {
    const { repository } = repositoryWith({ confirmedBy: keyed });
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(staff, order.id, { type: 'confirm' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(repository.calls.findOutcome).toBe(0);
  });
});

describe('OrderCommands for a customer', () => {
  const owner: Caller = { sub: 'c', staff: false };
  const stranger: Caller = { sub: 'c-2', staff: false };

  it('places an order for the customer themselves', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.place(owner, { ...placeCommand, customerId: 'c' });

    expect(outcome).toMatchObject({ created: true, replayed: false, order: { customerId: 'c', version: 1 } });
    expect(repository.calls.commit).toBe(1);
  });

  it('refuses to place an order for another customer with FORBIDDEN, and writes nothing', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.place(stranger, { ...placeCommand, customerId: 'c' }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
    expect(repository.calls).toEqual({ get: 0, findOutcome: 0, commit: 0 });
    expect(repository.outcomes.size).toBe(0);
  });

  it('cancels their own order', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(owner, order.id, { type: 'cancel' });

    expect(outcome.order).toMatchObject({ status: 'CANCELLED', version: 2 });
  });

  it.each(['confirm', 'ship'] as const)('refuses to %s even their own order with FORBIDDEN, before reading it', async (type) => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(owner, order.id, { type }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ForbiddenError);
    expect(repository.calls).toEqual({ get: 0, findOutcome: 0, commit: 0 });
  });

  it("answers a cancel of another customer's order ORDER_NOT_FOUND, and writes nothing", async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const error = await commands.apply(stranger, order.id, { type: 'cancel' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OrderNotFoundError);
    expect(repository.calls.commit).toBe(0);
    expect(repository.orders.get(order.id)).toEqual(order);
    expect(repository.events).toHaveLength(0);
  });

  it("answers another customer's order exactly as a missing one, key lookup included", async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const foreign = await commands.apply(stranger, order.id, { type: 'cancel' }, { idempotency: keyed }).catch((e: unknown) => e);
    const foreignCalls = { ...repository.calls };
    repository.calls.get = 0;
    repository.calls.findOutcome = 0;
    const missing = await commands
      .apply(stranger, '00000000-0000-4000-8000-000000000000', { type: 'cancel' }, { idempotency: keyed })
      .catch((e: unknown) => e);

    expect(foreign).toBeInstanceOf(OrderNotFoundError);
    expect(missing).toBeInstanceOf(OrderNotFoundError);
    expect((foreign as Error).message.replace(order.id, 'ID')).toBe((missing as Error).message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
    expect(foreignCalls).toEqual(repository.calls);
  });
});

describe('OrderCommands for staff', () => {
  it.each([
    ['confirm', { type: 'confirm' }],
    ['cancel', { type: 'cancel' }],
  ] as const)("may %s any customer's order", async (_, command) => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.apply(staff, order.id, command);

    expect(outcome.order).toMatchObject({ customerId: 'c', version: 2 });
  });

  it('places an order for any customer', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const outcome = await commands.place(staff, { ...placeCommand, customerId: 'someone-else' });

    expect(outcome.order.customerId).toBe('someone-else');
  });
});

describe('OrderCommands keys idempotency by caller', () => {
  it('makes two orders of the same key and request from two callers', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);
    const first: Caller = { sub: 'c-1', staff: false };
    const second: Caller = { sub: 'c-2', staff: false };

    const a = await commands.place(first, { ...placeCommand, customerId: 'c-1' }, { idempotency: keyed });
    const b = await commands.place(second, { ...placeCommand, customerId: 'c-2' }, { idempotency: keyed });

    expect(a).toMatchObject({ replayed: false, created: true });
    expect(b).toMatchObject({ replayed: false, created: true });
    expect(a.order.id).not.toBe(b.order.id);
    expect(repository.outcomes.size).toBe(2);
  });

  it("never replays another caller's outcome to a refused keyed command", async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);
    const owner: Caller = { sub: 'c', staff: false };
    await commands.apply(staff, order.id, { type: 'cancel' }, { idempotency: keyed });

    const error = await commands.apply(owner, order.id, { type: 'cancel' }, { idempotency: keyed }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(repository.calls.findOutcome).toBe(1);
  });

  it('replays to the caller who sent the key', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);
    const owner: Caller = { sub: 'c', staff: false };
    const original = await commands.apply(owner, order.id, { type: 'cancel' }, { idempotency: keyed });

    const retry = await commands.apply(owner, order.id, { type: 'cancel' }, { idempotency: keyed });

    expect(retry).toEqual({ ...original, replayed: true });
  });
});

describe('OrderCommands and the correlation id', () => {
  it("writes the request's correlation id into the event's envelope, right after eventId", async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    await commands.apply(staff, order.id, { type: 'confirm' }, { correlationId: 'req-42' });

    const [event] = repository.events;
    expect(event?.detail.correlationId).toBe('req-42');
    expect(Object.keys(event?.detail ?? {}).slice(0, 2)).toEqual(['eventId', 'correlationId']);
  });

  it('writes no correlation id when the command has none', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    await commands.place(staff, placeCommand);

    expect(repository.events[0]?.detail).not.toHaveProperty('correlationId');
  });

  it('replays a keyed retry sent under another correlation id, writing no second event', async () => {
    const { repository } = repositoryWith();
    const commands = new OrderCommands(repository, noDelay);

    const first = await commands.place(staff, placeCommand, { idempotency: keyed, correlationId: 'first' });
    const retry = await commands.place(staff, placeCommand, { idempotency: keyed, correlationId: 'retry' });

    expect(retry).toEqual({ ...first, replayed: true });
    expect(repository.events.map((event) => event.detail.correlationId)).toEqual(['first']);
  });
});

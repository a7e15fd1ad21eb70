import { orderFromItem } from '../../lambdas/adapters/dynamodb-order-repository';
import type { AcceptedEvent } from '../events/bus';

/** One command the API accepted: the order and the version it answered with. */
export interface AcceptedCommand {
  readonly orderId: string;
  readonly version: number;
  readonly command: string;
}

export interface DeliveryAudit {
  readonly eventsTotal: number;
  readonly eventsDistinct: number;
  /** An accepted (orderId, version) with no event accepted by the bus. */
  readonly lost: number;
  /** An event on the bus for no accepted command. */
  readonly invented: number;
  /** One (aggregateId, version) under two eventIds, or one eventId with two different details. */
  readonly eventIdSplits: number;
  /** Orders whose version v+1 was first accepted by the bus before version v was. */
  readonly orderViolations: number;
  /** (total - distinct) / distinct. */
  readonly duplicatesPerEvent: number;
  readonly samples: { lost: string[]; invented: string[]; splits: string[]; violations: string[] };
}

interface OrderEventDetail {
  readonly eventId?: unknown;
  readonly aggregateId?: unknown;
  readonly version?: unknown;
}

const SAMPLES = 5;
const keyOf = (orderId: string, version: number): string => `${orderId} v${version}`;

/** JSON with object keys sorted, so two equal details compare equal whatever their key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** Everything the bus accepted (in acceptance order) against every command the API accepted. */
export const auditDeliveries = (commands: Iterable<AcceptedCommand>, accepted: readonly AcceptedEvent[]): DeliveryAudit => {
  const expected = new Map<string, AcceptedCommand>();
  const maxVersion = new Map<string, number>();
  for (const command of commands) {
    expected.set(keyOf(command.orderId, command.version), command);
    maxVersion.set(command.orderId, Math.max(maxVersion.get(command.orderId) ?? 0, command.version));
  }

  const firstSeen = new Map<string, number>();
  const eventIdsByKey = new Map<string, Set<string>>();
  const detailsByEventId = new Map<string, Set<string>>();
  let total = 0;
  accepted.forEach(({ event }, index) => {
    if (event.source !== 'orders') return;
    const detail = event.detail as OrderEventDetail;
    total += 1;
    const key = keyOf(String(detail.aggregateId), Number(detail.version));
    if (!firstSeen.has(key)) firstSeen.set(key, index);
    const eventId = String(detail.eventId);
    eventIdsByKey.set(key, (eventIdsByKey.get(key) ?? new Set()).add(eventId));
    detailsByEventId.set(eventId, (detailsByEventId.get(eventId) ?? new Set()).add(canonicalJson(event.detail)));
  });

  const lost = [...expected.keys()].filter((key) => !firstSeen.has(key));
  const invented = [...firstSeen.keys()].filter((key) => !expected.has(key));
  const splits = [
    ...[...eventIdsByKey].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `${key} under ${ids.size} eventIds`),
    ...[...detailsByEventId].filter(([, details]) => details.size > 1).map(([id, details]) => `eventId ${id} with ${details.size} details`),
  ];
  const violations: string[] = [];
  for (const [orderId, max] of maxVersion) {
    for (let version = 1; version < max; version++) {
      const before = firstSeen.get(keyOf(orderId, version));
      const after = firstSeen.get(keyOf(orderId, version + 1));
      if (before !== undefined && after !== undefined && after < before) {
        violations.push(`${orderId}: v${version + 1} before v${version}`);
        break;
      }
    }
  }
  const distinct = firstSeen.size;
  return {
    eventsTotal: total,
    eventsDistinct: distinct,
    lost: lost.length,
    invented: invented.length,
    eventIdSplits: splits.length,
    orderViolations: violations.length,
    duplicatesPerEvent: distinct === 0 ? 0 : (total - distinct) / distinct,
    samples: {
      lost: lost.slice(0, SAMPLES),
      invented: invented.slice(0, SAMPLES),
      splits: splits.slice(0, SAMPLES),
      violations: violations.slice(0, SAMPLES),
    },
  };
};

export interface ModelAudit {
  /** Orders whose read-model row is missing or differs from the write model in any field (and rows of no order). */
  readonly readModelsUnequal: number;
  /** Orders whose write-model version is not the last version the API answered for them (or orders nobody placed). */
  readonly writeModelUnexpected: number;
  readonly samples: { unequal: string[]; writeModel: string[] };
}

/** The read model against the write model, field by field, and the write model against the commands. */
export const auditModels = (
  orderItems: readonly Record<string, unknown>[],
  readModelItems: readonly Record<string, unknown>[],
  commands: Iterable<AcceptedCommand>,
): ModelAudit => {
  const lastVersion = new Map<string, number>();
  for (const command of commands) lastVersion.set(command.orderId, Math.max(lastVersion.get(command.orderId) ?? 0, command.version));
  const rows = new Map(readModelItems.map((item) => [String(item.id), item]));
  const unequal: string[] = [];
  const writeModel: string[] = [];
  for (const item of orderItems) {
    const order = orderFromItem(item);
    if (lastVersion.get(order.id) !== order.version) {
      writeModel.push(`${order.id}: write model v${order.version}, API answered v${lastVersion.get(order.id) ?? 'none'}`);
    }
    const row = rows.get(order.id);
    rows.delete(order.id);
    if (row === undefined) {
      unequal.push(`${order.id}: no read-model row (write model v${order.version})`);
      continue;
    }
    const projected = orderFromItem(row);
    const fields = new Set([...Object.keys(order), ...Object.keys(projected)]) as Set<keyof typeof order>;
    const differing = [...fields].filter((field) => canonicalJson(order[field]) !== canonicalJson(projected[field]));
    if (row.lastProcessedVersion !== order.version) differing.push('lastProcessedVersion' as never);
    if (differing.length > 0) unequal.push(`${order.id}: ${differing.join(', ')} differ (write v${order.version}, read v${projected.version})`);
  }
  for (const id of rows.keys()) unequal.push(`${id}: a read-model row for no order`);
  return {
    readModelsUnequal: unequal.length,
    writeModelUnexpected: writeModel.length,
    samples: { unequal: unequal.slice(0, SAMPLES), writeModel: writeModel.slice(0, SAMPLES) },
  };
};

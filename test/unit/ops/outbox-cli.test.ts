import { describe, expect, it } from 'vitest';
import { deadLetteredEvent, mismatchOf } from '../../../ops/commands/redrive';
import { UsageError } from '../../../ops/errors';
import { DEFAULT_LOCAL_URL, main, parseInvocation } from '../../../ops/outbox';
import { humanDuration, table } from '../../../ops/output';

const NOW = new Date('2026-11-27T12:00:00.000Z');

const captured = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), progress: false }, out, err };
};

describe('outbox CLI: the command line', () => {
  it('reads each command with its options, defaulting to the OrdersService stack on AWS', () => {
    expect(parseInvocation(['status'], NOW)).toEqual({ command: { name: 'status' }, json: false, stackName: 'OrdersService' });
    expect(parseInvocation(['parked', '--json', '--stack', 'Orders-Prod'], NOW)).toEqual({ command: { name: 'parked' }, json: true, stackName: 'Orders-Prod' });
    expect(parseInvocation(['retry-parked', '--order', 'o-1'], NOW)).toMatchObject({ command: { name: 'retry-parked', aggregateId: 'o-1' } });
    expect(parseInvocation(['retry-parked'], NOW)).toMatchObject({ command: { name: 'retry-parked' } });
    expect(parseInvocation(['replay', '--order', 'o-1'], NOW)).toMatchObject({ command: { name: 'replay', request: { aggregateId: 'o-1' } } });
    expect(parseInvocation(['redrive'], NOW)).toMatchObject({ command: { name: 'redrive', discardUnverified: false } });
    expect(parseInvocation(['redrive', '--discard-unverified'], NOW)).toMatchObject({ command: { name: 'redrive', discardUnverified: true } });
  });

  it('reads a date-only --until as the whole of that UTC day', () => {
    expect(parseInvocation(['replay', '--since', '2026-11-26', '--until', '2026-11-26'], NOW)).toMatchObject({
      command: { request: { since: new Date('2026-11-26T00:00:00.000Z'), until: new Date('2026-11-26T23:59:59.999Z') } },
    });
  });

  it('takes --local with or without a URL, before or after the command', () => {
    expect(parseInvocation(['status', '--local'], NOW)).toMatchObject({ localUrl: DEFAULT_LOCAL_URL });
    expect(parseInvocation(['--local', 'status'], NOW)).toMatchObject({ command: { name: 'status' }, localUrl: DEFAULT_LOCAL_URL });
    expect(parseInvocation(['status', '--local', 'http://127.0.0.1:4123'], NOW)).toMatchObject({ localUrl: 'http://127.0.0.1:4123' });
  });

  it('reads a replay window, until now by default', () => {
    expect(parseInvocation(['replay', '--since', '2026-11-27T09:00:00Z'], NOW)).toMatchObject({
      command: { name: 'replay', request: { since: new Date('2026-11-27T09:00:00Z'), until: NOW } },
    });
    expect(parseInvocation(['replay', '--since', '2026-11-26', '--until', '2026-11-27T01:00:00.000+01:00'], NOW)).toMatchObject({
      command: { request: { since: new Date('2026-11-26T00:00:00Z'), until: new Date('2026-11-27T00:00:00Z') } },
    });
  });

  it.each([
    [[], /Name a command/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['status', 'parked'], /One command at a time/],
    [['status', '--verbose'], /Unknown option '--verbose'/],
    [['status', '--order', 'o-1'], /status does not take --order/],
    [['parked', '--since', '2026-11-27'], /parked does not take --since/],
    [['replay'], /replay needs --order ID, or --since/],
    [['replay', '--order', 'o-1', '--since', '2026-11-27'], /not both/],
    [['replay', '--since', 'yesterday'], /--since must be an ISO-8601 time with its zone/],
    [['replay', '--since', '2026-11-27T09:00:00'], /with its zone/],
    [['replay', '--since', '2026-11-27T10:00:00Z', '--until', '2026-11-27T09:00:00Z'], /--since must not be after --until/],
    [['replay', '--since', '2026-11-28T10:00:00Z'], /in the future/],
    [['replay', '--since', '2026-01-01T00:00:00Z'], /at most 93 days; for older events use the bus archive/],
    [['retry-parked', '--order', ''], /--order takes an order id/],
    [['status', '--discard-unverified'], /status does not take --discard-unverified/],
    [['replay', '--since', '2026-02-30'], /2026-02-30 is not a date of the calendar/],
    [['replay', '--since', '2026-11-01', '--until', '2026-11-31'], /2026-11-31 is not a date of the calendar/],
    [['replay', '--order', 'x'.repeat(1025)], /--order takes an order id \(1 to 1,024 characters\)/],
    [['status', '--stack', 'no spaces'], /--stack takes a CloudFormation stack name/],
    [['status', '--local', 'ftp://x'], /--local takes the local stack's URL/],
  ])('refuses %j as bad usage', (argv, reason) => {
    expect(() => parseInvocation(argv as string[], NOW)).toThrow(UsageError);
    expect(() => parseInvocation(argv as string[], NOW)).toThrow(reason);
  });

  it('exits 2 on bad usage with one line on stderr, and prints the usage on --help', async () => {
    const bad = captured();
    expect(await main(['replay', '--since', 'soon'], bad.io)).toBe(2);
    expect(bad.out).toEqual([]);
    expect(bad.err.join('').trim().split('\n')).toHaveLength(1);
    const help = captured();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/^Usage: npm run outbox -- <command>/);
  });

  it('exits 1 with one line when nothing answers at the local URL', async () => {
    const run = captured();
    expect(await main(['status', '--local', 'http://127.0.0.1:9'], run.io)).toBe(1);
    expect(run.err).toEqual(['outbox: Nothing answers at http://127.0.0.1:9: start the local stack (npm start) or pass --local URL.\n']);
  });
});

describe('outbox CLI: dead letters', () => {
  const detail = { eventId: 'e-1', aggregateType: 'Order', aggregateId: 'o-1', version: 1, occurredAt: '2026-11-27T10:00:00.000Z', state: { id: 'o-1', version: 1 } };
  const event = { version: '0', id: 'bus-1', source: 'orders', 'detail-type': 'OrderPlaced', detail };
  const stored = { aggregateId: 'o-1', version: 1, eventId: 'e-1', source: 'orders', detailType: 'OrderPlaced', occurredAt: detail.occurredAt, status: 'PUBLISHED', detail };

  it("takes the event from a Lambda on-failure record, or a rule's dead letter as it is", () => {
    const record = { version: '1.0', requestContext: { requestId: 'r', functionArn: 'arn', condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: event };
    expect(deadLetteredEvent(JSON.stringify(record))).toEqual(event);
    expect(deadLetteredEvent(JSON.stringify(event))).toEqual(event);
  });

  it('refuses a body that is neither', () => {
    expect(() => deadLetteredEvent('not json')).toThrow();
    expect(() => deadLetteredEvent('"a string"')).toThrow(/not a JSON object/);
    expect(() => deadLetteredEvent('{"hello":1}')).toThrow(/neither a Lambda failure record nor an EventBridge event of the outbox/);
    for (const bad of [{ version: '1' }, { version: 0 }, { version: 1.5 }, { aggregateId: '' }, { aggregateId: 'x'.repeat(1025) }, { eventId: 7 }]) {
      expect(() => deadLetteredEvent(JSON.stringify({ ...event, detail: { ...detail, ...bad } }))).toThrow(/neither/);
    }
  });

  it('projects a dead letter only when it is the event the outbox published', () => {
    expect(mismatchOf(event, stored)).toBeUndefined();
    expect(mismatchOf(event, undefined)).toMatch(/not in the outbox/);
    expect(mismatchOf(event, { ...stored, eventId: 'e-other' })).toMatch(/another event at this version \(e-other\)/);
    expect(mismatchOf({ ...event, detail: { ...detail, state: { id: 'o-1', version: 1, status: 'CANCELLED' } } }, stored)).toMatch(/content differs/);
    expect(mismatchOf({ ...event, 'detail-type': 'OrderCancelled' }, stored)).toMatch(/content differs/);
    expect(mismatchOf({ ...event, source: 'not-orders' }, stored)).toMatch(/content differs/);
  });
});

describe('outbox CLI: output', () => {
  it('draws plain tables and human durations', () => {
    expect(table(['a', 'b'], [['x', 1]])).toBe(['┌───┬───┐', '│ a │ b │', '├───┼───┤', '│ x │ 1 │', '└───┴───┘', ''].join('\n'));
    expect([850, 12_400, 185_000, 7_800_000, 3 * 86_400_000 + 4 * 3_600_000].map(humanDuration)).toEqual(['850 ms', '12.4 s', '3 min 5 s', '2 h 10 min', '3 d 4 h']);
  });
});

import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../local/schedule';

const at = (iso: string) => new Date(iso);

describe('parseSchedule', () => {
  it('fires a rate schedule every period from its start', () => {
    const schedule = parseSchedule('rate(5 minutes)', at('2026-11-25T10:00:00.000Z'));

    expect(schedule.next(at('2026-11-25T10:00:00.000Z')).toISOString()).toBe('2026-11-25T10:05:00.000Z');
    expect(schedule.next(at('2026-11-25T10:07:30.000Z')).toISOString()).toBe('2026-11-25T10:10:00.000Z');
  });

  it('reads singular and plural units', () => {
    expect(parseSchedule('rate(1 hour)', at('2026-01-01T00:00:00Z')).next(at('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-01T01:00:00.000Z',
    );
    expect(parseSchedule('rate(2 days)', at('2026-01-01T00:00:00Z')).next(at('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-01-03T00:00:00.000Z',
    );
  });

  it.each([
    ['cron(0/15 * * * ? *)', '2026-11-25T10:07:00Z', '2026-11-25T10:15:00.000Z'],
    ['cron(30 2 * * ? *)', '2026-11-25T10:07:00Z', '2026-11-26T02:30:00.000Z'],
    ['cron(0 9 ? * MON-FRI *)', '2026-11-28T10:00:00Z', '2026-11-30T09:00:00.000Z'],
    ['cron(0 0 1 JAN ? 2027)', '2026-11-25T10:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['cron(5,35 * * * ? *)', '2026-11-25T10:06:00Z', '2026-11-25T10:35:00.000Z'],
  ])('fires %s after %s at %s (UTC)', (expression, after, expected) => {
    expect(parseSchedule(expression).next(at(after)).toISOString()).toBe(expected);
  });

  it.each(['rate(0 minutes)', 'rate(5 weeks)', 'cron(* * * *)', 'cron(0 0 L * ? *)', 'cron(61 * * * ? *)'])(
    'refuses %s with a message that names it',
    (expression) => {
      expect(() => parseSchedule(expression)).toThrow(expression.slice(0, 8));
    },
  );
});

import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../local/events/schedule';

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
    // Wrap-around ranges, documented as valid: from..max then min..to.
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-11-25T02:40:00Z', '2026-11-25T20:00:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-11-25T23:40:00Z', '2026-11-26T00:00:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-11-26T02:00:00Z', '2026-11-26T02:30:00.000Z'],
    ['cron(0/30 20-2 ? * MON-FRI *)', '2026-11-26T02:30:00Z', '2026-11-26T20:00:00.000Z'],
    ['cron(0 9 ? * FRI-MON *)', '2026-11-24T10:00:00Z', '2026-11-27T09:00:00.000Z'],
    ['cron(0 9 ? * FRI-MON *)', '2026-11-30T10:00:00Z', '2026-12-04T09:00:00.000Z'],
    ['cron(0 9 ? * FRI-MON *)', '2026-11-29T10:00:00Z', '2026-11-30T09:00:00.000Z'],
    ['cron(0 0 1 NOV-FEB ? *)', '2026-12-15T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['cron(0 0 1 NOV-FEB ? *)', '2027-02-15T00:00:00Z', '2027-11-01T00:00:00.000Z'],
    ['cron(0 22-1/2 * * ? *)', '2026-11-25T22:30:00Z', '2026-11-26T00:00:00.000Z'],
    ['cron(0 22-1/2 * * ? *)', '2026-11-26T00:30:00Z', '2026-11-26T22:00:00.000Z'],
  ])('fires %s after %s at %s (UTC)', (expression, after, expected) => {
    expect(parseSchedule(expression).next(at(after)).toISOString()).toBe(expected);
  });

  // cron(0 0 L * ? *) was refused here while the local stack lacked L; EventBridge accepts it (last day of the month).
  it.each(['rate(0 minutes)', 'rate(5 weeks)', 'cron(* * * *)', 'cron(0 0 * * * *)', 'cron(61 * * * ? *)'])(
    'refuses %s with a message that names it',
    (expression) => {
      expect(() => parseSchedule(expression)).toThrow(expression.slice(0, 8));
    },
  );
});

describe('parseSchedule, per the EventBridge user guide ("Cron expressions reference", "Rate expressions")', () => {
  // 2026-11-25 is a Wednesday.
  it.each([
    ['cron(0 10 * * ? *): 10:00 every day', 'cron(0 10 * * ? *)', '2026-11-25T10:00:00Z', '2026-11-26T10:00:00.000Z'],
    ['cron(15 12 * * ? *): 12:15 every day', 'cron(15 12 * * ? *)', '2026-11-25T10:00:00Z', '2026-11-25T12:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *): 18:00 Monday to Friday (Friday -> Monday)', 'cron(0 18 ? * MON-FRI *)', '2026-11-27T18:00:00Z', '2026-11-30T18:00:00.000Z'],
    ['cron(0 8 1 * ? *): 08:00 on the 1st of every month', 'cron(0 8 1 * ? *)', '2026-11-25T10:00:00Z', '2026-12-01T08:00:00.000Z'],
    ['cron(0/15 * * * ? *): every 15 minutes', 'cron(0/15 * * * ? *)', '2026-11-25T10:45:00Z', '2026-11-25T11:00:00.000Z'],
    ['cron(0/10 * ? * MON-FRI *): every 10 minutes on weekdays (Saturday -> Monday)', 'cron(0/10 * ? * MON-FRI *)', '2026-11-28T12:00:00Z', '2026-11-30T00:00:00.000Z'],
    ['cron(0/5 8-17 ? * MON-FRI *): every 5 minutes 08:00-17:55 on weekdays (17:55 is the last)', 'cron(0/5 8-17 ? * MON-FRI *)', '2026-11-25T17:50:00Z', '2026-11-25T17:55:00.000Z'],
    ['cron(0/5 8-17 ? * MON-FRI *): after 17:55 the next day at 08:00', 'cron(0/5 8-17 ? * MON-FRI *)', '2026-11-25T17:55:00Z', '2026-11-26T08:00:00.000Z'],
    ['the "/" example: 1/10 in minutes fires at 11, 21, 31 ...', 'cron(1/10 * * * ? *)', '2026-11-25T10:02:00Z', '2026-11-25T10:11:00.000Z'],
    ['the "," example: JAN,FEB,MAR in the month field', 'cron(0 0 1 JAN,FEB,MAR ? *)', '2026-11-25T10:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['the "-" example: days 1-15 of the month', 'cron(0 0 1-15 * ? *)', '2026-11-25T10:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['L in day-of-month: the last day of the month (February)', 'cron(0 0 L * ? *)', '2027-02-01T00:00:00Z', '2027-02-28T00:00:00.000Z'],
    ['L in day-of-month: the last day of a leap February', 'cron(0 0 L 2 ? *)', '2027-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['L in day-of-week: the last day of the week (Saturday)', 'cron(0 0 ? * L *)', '2026-11-25T10:00:00Z', '2026-11-28T00:00:00.000Z'],
    ['6L in day-of-week: the last Friday of the month', 'cron(0 0 ? * 6L *)', '2026-11-01T00:00:00Z', '2026-11-27T00:00:00.000Z'],
    ['FRIL: the last Friday, by name', 'cron(0 0 ? * FRIL *)', '2026-11-28T00:00:00Z', '2026-12-25T00:00:00.000Z'],
    ['the W example: 3W is the weekday closest to the 3rd (Saturday 3rd -> Friday 2nd)', 'cron(0 0 3W * ? *)', '2025-12-15T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['3W when the 3rd is a Sunday -> Monday the 4th', 'cron(0 0 3W * ? *)', '2026-04-15T00:00:00Z', '2026-05-04T00:00:00.000Z'],
    ['1W when the 1st is a Saturday stays in the month (Monday the 3rd)', 'cron(0 0 1W * ? *)', '2026-07-15T00:00:00Z', '2026-08-03T00:00:00.000Z'],
    ['the # example: 3#2 is the second Tuesday of the month', 'cron(0 0 ? * 3#2 *)', '2026-11-01T00:00:00Z', '2026-11-10T00:00:00.000Z'],
    ['2#5, the fifth Monday, skips months without one', 'cron(0 0 ? * 2#5 *)', '2026-11-01T00:00:00Z', '2026-11-30T00:00:00.000Z'],
    ['2#5 in February only: a fifth Monday needs a leap February starting on a Monday', 'cron(0 0 ? 2 2#5 *)', '2026-01-01T00:00:00Z', '2044-02-29T00:00:00.000Z'],
    ['a day-of-month some months lack: the 31st skips November', 'cron(0 0 31 * ? *)', '2026-11-01T00:00:00Z', '2026-12-31T00:00:00.000Z'],
    ['February 29th waits for a leap year', 'cron(0 0 29 2 ? *)', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['a list of steps and values in one field', 'cron(0/30,7 * * * ? *)', '2026-11-25T10:01:00Z', '2026-11-25T10:07:00.000Z'],
    ['a step over a range (10-20/5 in hours)', 'cron(0 10-20/5 * * ? *)', '2026-11-25T10:00:00Z', '2026-11-25T15:00:00.000Z'],
    ['a year list', 'cron(0 0 1 1 ? 2028,2030)', '2026-11-25T10:00:00Z', '2028-01-01T00:00:00.000Z'],
    ['names are read in any case', 'cron(0 0 ? jan mon *)', '2026-11-25T10:00:00Z', '2027-01-04T00:00:00.000Z'],
  ])('%s', (_name, expression, after, expected) => {
    expect(parseSchedule(expression).next(at(after)).toISOString()).toBe(expected);
  });

  it('gives the next firing strictly after the given time', () => {
    expect(parseSchedule('cron(0 10 * * ? *)').next(at('2026-11-25T10:00:00Z')).toISOString()).toBe('2026-11-26T10:00:00.000Z');
  });

  it('says so when a schedule never fires again', () => {
    expect(() => parseSchedule('cron(0 0 1 1 ? 2020)').next(at('2026-11-25T10:00:00Z'))).toThrow('cron(0 0 1 1 ? 2020) never fires');
  });

  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(12 hours)', 43_200_000],
    ['rate(1 day)', 86_400_000],
    ['rate(7 days)', 604_800_000],
  ])('the documented %s fires every period from its start', (expression, period) => {
    const start = at('2026-11-25T10:00:00Z');
    expect(parseSchedule(expression, start).next(start).getTime() - start.getTime()).toBe(period);
  });

  it.each([
    ['rate(1 hours): the documented invalid plural for 1', 'rate(1 hours)', 'singular'],
    ['rate(5 hour): the documented invalid singular above 1', 'rate(5 hour)', 'plural'],
    ['a zero rate', 'rate(0 minutes)', 'positive whole number'],
    ['a fractional rate', 'rate(1.5 hours)', 'positive whole number'],
    ['a negative rate', 'rate(-5 minutes)', 'positive whole number'],
    ['a rate in seconds', 'rate(30 seconds)', 'minute(s), hour(s), day(s)'],
    ['a rate without a unit', 'rate(5)', 'rate(value unit)'],
    ['five cron fields', 'cron(0 10 * * ?)', 'six fields'],
    ['seven cron fields (no seconds field)', 'cron(0 0 10 * * ? *)', 'six fields'],
    ['* in both day fields (the documented restriction)', 'cron(0 10 * * * *)', 'exactly one of day-of-month and day-of-week'],
    ['? in both day fields', 'cron(0 10 ? * ? *)', 'exactly one of day-of-month and day-of-week'],
    ['values in both day fields', 'cron(0 10 1 * MON *)', 'exactly one of day-of-month and day-of-week'],
    ['? in the hours field', 'cron(0 ? * * ? *)', '? is allowed only in day-of-month and day-of-week'],
    ['minutes over 59', 'cron(60 * * * ? *)', 'not in 0-59'],
    ['hours over 23', 'cron(0 24 * * ? *)', 'not in 0-23'],
    ['day-of-month 0', 'cron(0 0 0 * ? *)', 'not in 1-31'],
    ['month 13', 'cron(0 0 1 13 ? *)', 'not in 1-12'],
    ['day-of-week 8', 'cron(0 0 ? * 8 *)', 'not in 1-7'],
    ['a year before 1970', 'cron(0 0 1 1 ? 1969)', 'not in 1970-2199'],
    ['a year after 2199', 'cron(0 0 1 1 ? 2200)', 'not in 1970-2199'],
    ['an unknown month name', 'cron(0 0 1 JANUARY ? *)', 'JANUARY is not a value of month'],
    ['a step of zero', 'cron(0/0 * * * ? *)', '0 is not in 1-59'],
    ['/ in day-of-week', 'cron(0 0 ? * 1/2 *)', '/ is not allowed in day-of-week'],
    ['L in the hours field', 'cron(0 L * * ? *)', 'only , - * / are allowed in hours'],
    ['W in day-of-week', 'cron(0 0 ? * 3W *)', 'day-of-week takes L alone'],
    ['# in day-of-month', 'cron(0 0 3#2 * ? *)', 'day-of-month takes L alone or nW'],
    ['L in a day-of-month list', 'cron(0 0 1,L * ? *)', 'day-of-month takes L alone or nW'],
    ['W on a day over 31', 'cron(0 0 32W * ? *)', 'not in 1-31'],
    ['# with another expression (the documented "3#1,6#3")', 'cron(0 0 ? * 3#1,6#3 *)', 'alone in the field'],
    ['# with a sixth instance', 'cron(0 0 ? * 3#6 *)', 'instance 1 to 5'],
    ['an empty list item', 'cron(0,,5 * * * ? *)', 'an empty list item'],
    ['neither rate nor cron', 'at(2026-11-25T10:00:00)', 'use rate(value unit) or cron('],
  ])('refuses %s', (_name, expression, reason) => {
    expect(() => parseSchedule(expression)).toThrow(`Invalid schedule expression ${expression}: `);
    expect(() => parseSchedule(expression)).toThrow(reason);
  });
});


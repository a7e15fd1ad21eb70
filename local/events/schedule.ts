/**
 * EventBridge schedule expressions, in UTC, as scheduled rules read them (EventBridge user guide,
 * "Cron expressions reference" and "Rate expressions").
 *
 * - `rate(value unit)`: a positive whole number of minutes, hours or days; the unit is singular for
 *   1 (`rate(1 hour)`) and plural otherwise (`rate(5 minutes)`). Firings count from the rule's start.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; `,` `-` `*` `/` in every
 *   field but day-of-week (no `/`); names JAN-DEC and SUN-SAT (1 is Sunday); `?` in exactly one of
 *   day-of-month and day-of-week; `L` (last day of the month or week, `5L` the last Thursday) and
 *   `W` (`3W`, the weekday closest to the 3rd) in day-of-month, `L` and `#` (`3#2`, the second
 *   Tuesday, alone in its field) in day-of-week. Anything else is refused with a message that
 *   names the expression and the field, as `PutRule` would refuse it.
 *
 * Next firings come from aws-cron-parser, which assumes a valid expression: the fields it is given
 * are checked and normalised here first (names and steps become plain lists), and each firing it
 * returns is checked against the fields, because it rolls a day-of-month the month lacks (the
 * 31st in April) into the next month.
 */
import awsCronParser from 'aws-cron-parser';

export interface Schedule {
  readonly expression: string;
  /** The first firing strictly after `after`. */
  next(after: Date): Date;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export const parseSchedule = (expression: string, startedAt: Date = new Date()): Schedule => {
  const text = expression.trim();
  if (text.startsWith('rate(')) return rateSchedule(expression, text, startedAt);
  if (text.startsWith('cron(')) return cronSchedule(expression, text);
  throw invalid(expression, 'use rate(value unit) or cron(minutes hours day-of-month month day-of-week year)');
};

const invalid = (expression: string, reason: string): Error => new Error(`Invalid schedule expression ${expression}: ${reason}.`);

// ---- rate ------------------------------------------------------------------------------------

const rateSchedule = (expression: string, text: string, startedAt: Date): Schedule => {
  const match = /^rate\(\s*(\S+)\s+(\S+)\s*\)$/.exec(text);
  if (match === null) throw invalid(expression, 'a rate is rate(value unit), for example rate(5 minutes)');
  const [, valueText = '', unit = ''] = match;
  if (!/^[0-9]+$/.test(valueText) || Number(valueText) < 1) throw invalid(expression, `the value ${valueText} is not a positive whole number`);
  const value = Number(valueText);
  const singular = unit.replace(/s$/, '');
  const every = UNITS[singular];
  if (every === undefined) throw invalid(expression, `the unit ${unit} is not one of minute(s), hour(s), day(s)`);
  if (value === 1 && unit !== singular) throw invalid(expression, `a value of 1 takes the singular unit (rate(1 ${singular}))`);
  if (value > 1 && unit === singular) throw invalid(expression, `a value above 1 takes the plural unit (rate(${value} ${singular}s))`);
  const period = value * every;
  return {
    expression,
    next: (after) =>
      new Date(startedAt.getTime() + (Math.floor((after.getTime() - startedAt.getTime()) / period) + 1) * period),
  };
};

// ---- cron ------------------------------------------------------------------------------------

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly step: boolean;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59, step: true },
  { name: 'hours', min: 0, max: 23, step: true },
  { name: 'day-of-month', min: 1, max: 31, step: true },
  { name: 'month', min: 1, max: 12, names: MONTHS, step: true },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, step: false },
  { name: 'year', min: 1970, max: 2199, step: true },
];

/** A field read: the values it allows, or a special form passed to aws-cron-parser as is. */
type Field = { readonly values: ReadonlySet<number> } | { readonly special: string };

const cronSchedule = (expression: string, text: string): Schedule => {
  const match = /^cron\((.*)\)$/.exec(text);
  const sources = (match?.[1] ?? '').trim().split(/\s+/).filter((part) => part !== '');
  if (sources.length !== 6) {
    throw invalid(expression, `a cron expression has six fields (minutes hours day-of-month month day-of-week year), not ${sources.length}`);
  }
  const [dayOfMonthSource, dayOfWeekSource] = [sources[2] ?? '', sources[4] ?? ''];
  if ((dayOfMonthSource === '?') === (dayOfWeekSource === '?')) {
    throw invalid(expression, 'use ? in exactly one of day-of-month and day-of-week (a value or * in one, ? in the other)');
  }
  const fields = sources.map((source, index) => readField(expression, source, FIELDS[index] as FieldSpec));
  const normalised = fields.map(fieldText).join(' ');
  const parsed = awsCronParser.parse(normalised);
  const [minutes, hours, dayOfMonth, month, , year] = fields;
  const allows = (field: Field | undefined, value: number): boolean =>
    field === undefined || !('values' in field) || field.values.has(value);

  return {
    expression,
    next: (after) => {
      let from = after;
      // Bounded: each round moves forward; the library gives up (throws) on long empty stretches.
      for (let round = 0; round < 5_000; round++) {
        let candidate: Date | null;
        try {
          candidate = awsCronParser.next(parsed, from);
        } catch (error: unknown) {
          // aws-cron-parser gives up after ten empty months or years in a row (the fifth Monday
          // of February, say): none of them fires, so resume from the next month.
          if (!(error instanceof Error && error.message.includes('iter > 10'))) throw error;
          const searched = new Date(from.getTime() + 60_000);
          from = new Date(Date.UTC(searched.getUTCFullYear(), searched.getUTCMonth() + 1, 1) - 60_000);
          continue;
        }
        if (candidate === null) break;
        if (
          allows(minutes, candidate.getUTCMinutes()) &&
          allows(hours, candidate.getUTCHours()) &&
          allows(dayOfMonth, candidate.getUTCDate()) &&
          allows(month, candidate.getUTCMonth() + 1) &&
          allows(year, candidate.getUTCFullYear())
        ) {
          return candidate;
        }
        from = candidate;
      }
      throw new Error(`The schedule ${expression} never fires after ${after.toISOString()}.`);
    },
  };
};

const fieldText = (field: Field): string => ('special' in field ? field.special : [...field.values].sort((a, b) => a - b).join(','));

const readField = (expression: string, source: string, spec: FieldSpec): Field => {
  const fail = (reason: string): Error => invalid(expression, `the ${spec.name} field ${source}: ${reason}`);
  const upper = source.toUpperCase();
  const isDay = spec.name === 'day-of-month';
  const isWeekday = spec.name === 'day-of-week';
  if (upper === '?') {
    if (!isDay && !isWeekday) throw fail('? is allowed only in day-of-month and day-of-week');
    return { special: '?' };
  }
  if (isDay && upper === 'L') return { special: 'L' };
  if (isWeekday && upper === 'L') return { special: '7' }; // the last day of the week: Saturday
  if (/[LW#?]/.test(upper.replace(/JUL|SAT|WED|THU|TUE|SUN|MON|FRI/g, ''))) {
    if (isDay) {
      const weekday = /^([0-9]+)W$/.exec(upper);
      if (weekday !== null) return { special: `${number(weekday[1] ?? '', spec, fail)}W` };
      throw fail('day-of-month takes L alone or nW (the weekday closest to day n), not in a list or range');
    }
    if (isWeekday) {
      const last = /^([0-9]+|[A-Z]{3})L$/.exec(upper);
      if (last !== null) return { special: `${number(last[1] ?? '', spec, fail)}L` };
      const nth = /^([0-9]+|[A-Z]{3})#([0-9]+)$/.exec(upper);
      if (nth !== null) {
        const instance = Number(nth[2]);
        if (instance < 1 || instance > 5) throw fail(`#${nth[2]} is not an instance 1 to 5 of the day in the month`);
        return { special: `${number(nth[1] ?? '', spec, fail)}#${instance}` };
      }
      throw fail('day-of-week takes L alone, dL (the last day d of the month) or d#n (the nth day d), alone in the field');
    }
    throw fail(`only , - * / are allowed in ${spec.name}`);
  }
  const values = new Set<number>();
  for (const part of upper.split(',')) {
    if (part === '') throw fail('an empty list item');
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw fail(`${part} has more than one /`);
    if (stepText !== undefined && !spec.step) throw fail('/ is not allowed in day-of-week');
    const step = stepText === undefined ? 1 : number(stepText, { ...spec, min: 1, names: [] }, fail);
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [spec.min, spec.max];
    } else if (range.includes('-')) {
      const bounds = range.split('-');
      if (bounds.length !== 2) throw fail(`${range} is not a range a-b`);
      from = number(bounds[0] ?? '', spec, fail);
      to = number(bounds[1] ?? '', spec, fail);
    } else {
      from = number(range, spec, fail);
      to = stepText === undefined ? from : spec.max;
    }
    // EventBridge documents wrap-around ranges as valid: cron(0/30 20-2 ? * MON-FRI *) runs "between 10:00 pm
    // on the starting day to 2:00 am on the following day", so a range with from > to is from..max then min..to,
    // and a step counts along that sequence.
    const span = from <= to ? to - from : spec.max - from + 1 + to - spec.min;
    for (let offset = 0; offset <= span; offset += step) {
      const value = from + offset;
      values.add(value <= spec.max ? value : value - spec.max - 1 + spec.min);
    }
  }
  return { values };
};

const number = (token: string, spec: FieldSpec, fail: (reason: string) => Error): number => {
  const named = spec.names?.indexOf(token) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^[0-9]+$/.test(token)) throw fail(`${token === '' ? 'a missing value' : token} is not a value of ${spec.name}`);
  const value = Number(token);
  if (value < spec.min || value > spec.max) throw fail(`${token} is not in ${spec.min}-${spec.max}`);
  return value;
};

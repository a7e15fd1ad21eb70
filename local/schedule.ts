/**
 * EventBridge schedule expressions: `rate(n unit)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)`, in UTC. `L`, `W` and `#` are not
 * supported locally and are refused with a message that says so.
 */
export interface Schedule {
  readonly expression: string;
  /** The first firing strictly after `after`. */
  next(after: Date): Date;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export const parseSchedule = (expression: string, startedAt: Date = new Date()): Schedule => {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate !== null) {
    const every = Number(rate[1]) * (UNITS[(rate[2] ?? '').replace(/s$/, '')] ?? 0);
    if (every <= 0) throw new Error(`Invalid schedule ${expression}: the rate must be positive.`);
    return {
      expression,
      next: (after) => new Date(startedAt.getTime() + (Math.floor((after.getTime() - startedAt.getTime()) / every) + 1) * every),
    };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  const fields = cron?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6) {
    throw new Error(`Invalid schedule ${expression}: use rate(n minutes|hours|days) or cron() with six fields.`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  const matchers = {
    minute: field(minutes, 0, 59, expression),
    hour: field(hours, 0, 23, expression),
    dayOfMonth: field(dayOfMonth, 1, 31, expression),
    month: field(month, 1, 12, expression, MONTHS, 1),
    dayOfWeek: field(dayOfWeek, 1, 7, expression, DAYS, 1),
    year: field(year, 1970, 2199, expression),
  };
  return {
    expression,
    next: (after) => {
      const candidate = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      // Minute by minute for at most about five years: enough for any schedule that fires at all.
      for (let i = 0; i < 60 * 24 * 366 * 5; i++) {
        if (
          matchers.minute(candidate.getUTCMinutes()) &&
          matchers.hour(candidate.getUTCHours()) &&
          matchers.dayOfMonth(candidate.getUTCDate()) &&
          matchers.month(candidate.getUTCMonth() + 1) &&
          matchers.dayOfWeek(candidate.getUTCDay() + 1) &&
          matchers.year(candidate.getUTCFullYear())
        ) {
          return candidate;
        }
        candidate.setTime(candidate.getTime() + 60_000);
      }
      throw new Error(`The schedule ${expression} never fires.`);
    },
  };
};

const field = (
  source: string,
  min: number,
  max: number,
  expression: string,
  names: readonly string[] = [],
  nameBase = 0,
): ((value: number) => boolean) => {
  if (source === '*' || source === '?') return () => true;
  if (/[LW#]/.test(source)) {
    throw new Error(`The schedule ${expression} uses L, W or #, which the local stack does not support.`);
  }
  const toNumber = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const value = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`Invalid schedule ${expression}: ${token} is not in ${min}..${max}.`);
    }
    return value;
  };
  const allowed = new Set<number>();
  for (const part of source.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    const [from, to] =
      range === '*' ? [min, max]
      : range.includes('-') ? (range.split('-').map(toNumber) as [number, number])
      : [toNumber(range), stepText === undefined ? toNumber(range) : max];
    for (let value = from; value <= to; value += step) allowed.add(value);
  }
  return (value) => allowed.has(value);
};

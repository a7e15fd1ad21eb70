import type { Duration } from 'aws-cdk-lib';

/** Stops synth unless `value` is an integer from `min` to `max`; the message names the prop, the value and the fix. */
export const requireInteger = (owner: string, name: string, value: number, min: number, max: number, hint: string): void => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${owner}: ${name} must be an integer from ${min} to ${max}, got ${value}. ${hint}`);
  }
};

/** An alarm's count threshold per 5-minute period: `value`, else `fallback`; refused at synth unless an integer from 1 to 1,000,000. */
export const alarmCount = (owner: string, name: string, value: number | undefined, fallback: number, counted: string): number => {
  const count = value ?? fallback;
  requireInteger(owner, name, count, 1, 1_000_000, `It counts ${counted} per 5 minutes; the default is ${fallback}.`);
  return count;
};

/** Stops synth unless `value` is a number strictly between `min` and `max`. */
export const requireBetween = (owner: string, name: string, value: number, min: number, max: number, hint: string): void => {
  if (!Number.isFinite(value) || value <= min || value >= max) {
    throw new Error(`${owner}: ${name} must be a number above ${min} and below ${max}, got ${value}. ${hint}`);
  }
};

/** Stops synth unless `value` is known at synth and from `min` to `max` (`max` exclusive when `maxExclusive`). */
export const requireDuration = (
  owner: string,
  name: string,
  value: Duration,
  range: { readonly min: Duration; readonly max?: Duration; readonly maxExclusive?: boolean },
  hint: string,
): void => {
  if (value.isUnresolved()) {
    throw new Error(`${owner}: ${name} must be known at synth (a token was given). ${hint}`);
  }
  const ms = value.toMilliseconds({ integral: false });
  const max = range.max?.toMilliseconds({ integral: false });
  const tooHigh = max !== undefined && (range.maxExclusive === true ? ms >= max : ms > max);
  if (ms < range.min.toMilliseconds({ integral: false }) || tooHigh) {
    const upper = range.max === undefined ? '' : range.maxExclusive === true ? ` and below ${range.max.toHumanString()}` : ` to ${range.max.toHumanString()}`;
    const lower = range.max === undefined ? `at least ${range.min.toHumanString()}` : `from ${range.min.toHumanString()}`;
    throw new Error(`${owner}: ${name} must be ${lower}${upper}, got ${value.toHumanString()}. ${hint}`);
  }
};

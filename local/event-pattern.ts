/**
 * EventBridge event-pattern matching, as Lambda event filters and EventBridge rules use it:
 * exact values, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, a
 * prefix or suffix), `exists`, `numeric` ranges and `wildcard`; nested objects; a field that is
 * an array matches when any element does.
 */
export type EventPattern = { readonly [key: string]: EventPattern | readonly unknown[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const matchesPattern = (pattern: EventPattern, event: unknown): boolean =>
  Object.entries(pattern).every(([key, rule]) => {
    const present = isObject(event) && key in event;
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(rule)) {
      return matchesField(rule, present, value);
    }
    return present && isObject(value) && matchesPattern(rule as EventPattern, value);
  });

const matchesField = (rules: readonly unknown[], present: boolean, value: unknown): boolean => {
  const values = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (isObject(rule) && 'exists' in rule) {
      return rule.exists === present;
    }
    if (!present) {
      return false;
    }
    return values.some((candidate) => matchesValue(rule, candidate));
  });
};

const matchesValue = (rule: unknown, value: unknown): boolean => {
  if (!isObject(rule)) {
    return rule === value;
  }
  if (typeof rule.prefix === 'string') {
    return typeof value === 'string' && value.startsWith(rule.prefix);
  }
  if (isObject(rule.prefix) && typeof rule.prefix['equals-ignore-case'] === 'string') {
    return typeof value === 'string' && value.toLowerCase().startsWith(rule.prefix['equals-ignore-case'].toLowerCase());
  }
  if (typeof rule.suffix === 'string') {
    return typeof value === 'string' && value.endsWith(rule.suffix);
  }
  if (typeof rule['equals-ignore-case'] === 'string') {
    return typeof value === 'string' && value.toLowerCase() === rule['equals-ignore-case'].toLowerCase();
  }
  if (typeof rule.wildcard === 'string') {
    const source = rule.wildcard.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return typeof value === 'string' && new RegExp(`^${source}$`).test(value);
  }
  if ('anything-but' in rule) {
    const but = rule['anything-but'];
    if (Array.isArray(but)) return !but.includes(value);
    if (isObject(but)) return !matchesValue(but, value);
    return but !== value;
  }
  if (Array.isArray(rule.numeric)) {
    return typeof value === 'number' && matchesNumeric(rule.numeric, value);
  }
  return false;
};

const matchesNumeric = (conditions: readonly unknown[], value: number): boolean => {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === '=' ? value === bound
      : operator === '<' ? value < bound
      : operator === '<=' ? value <= bound
      : operator === '>' ? value > bound
      : operator === '>=' ? value >= bound
      : false;
    if (!ok) return false;
  }
  return true;
};

/**
 * EventBridge event-pattern matching, as EventBridge rules and Lambda event filters apply it.
 *
 * AWS behaviour copied (EventBridge user guide: "Creating event patterns", "Comparison operators",
 * "Arrays in event patterns", "Matching null values and empty strings", and Event Ruler, the
 * library EventBridge matches with):
 * - The event is read as a flat list of leaf values, each under the dotted path of its keys:
 *   a pattern key `"a.b"` and a nested `{ "a": { "b": ... } }` name the same field, and either
 *   matches an event field `"a.b"` or a nested `a` -> `b`.
 * - An array contributes each element under its own path (arrays of objects too); an empty array
 *   or an empty object contributes nothing, so `exists: false` matches it, and an object is never
 *   a leaf (`exists` on an object field sees no value).
 * - Fields are AND, the values listed for a field are OR, `$or` is OR of its sub-patterns. The
 *   leaves one match uses must come from the same element of any array they share (EventBridge's
 *   array consistency: `{ "a": { "b": [1], "c": [2] } }` needs one element with both).
 * - Operators: exact string/number/boolean/null, `prefix`, `suffix` (both also with
 *   `equals-ignore-case`), `equals-ignore-case`, `anything-but` (a value, a list, or `prefix`,
 *   `suffix`, `wildcard`, `equals-ignore-case` with one value or a list), `exists`, `numeric`,
 *   `cidr` (IPv4 and IPv6), `wildcard`. String operators match only strings; `anything-but`
 *   matches every value its inner operator does not match, numbers and null included; `numeric`
 *   matches numbers within EventBridge's range of -5e9..5e9, compared as Event Ruler compares them:
 *   truncated to six decimals ("15 digits of precision, or six digits to the right of the decimal
 *   point", Comparison operators > Numeric matching), so `["=", 1]` and the exact `[1]` match
 *   1.0000001; an exact number outside that range (an account id) is compared as written.
 *
 * Patterns are checked by `eventPatternProblems` (lib/event-pattern-validation.ts); here anything
 * that is not a valid pattern element (an unresolved intrinsic, say) simply matches nothing.
 */
import { isIntrinsic, isObject, parseCidr, parseIpAddress, wildcardProblem, wildcardRegExp } from '../../lib/event-pattern-values';

export type EventPattern = { readonly [key: string]: EventPattern | readonly unknown[] };

type Scalar = string | number | boolean | null;

/** A leaf of the event: its value and, for each array it sits in, the element index. */
interface Leaf {
  readonly value: Scalar;
  readonly elements: ReadonlyMap<number, number>;
}

/** One alternative of a field: a value test, or the field's absence. */
type FieldTest = { readonly absent: true } | { readonly absent: false; readonly matches: (value: Scalar) => boolean };

/** One way the pattern can match: every field (by dotted path) with its alternatives. */
type Branch = ReadonlyMap<string, readonly FieldTest[]>;

const NUMBER_LIMIT = 5e9;

/**
 * A number in millionths, truncated toward zero, from its shortest decimal form (what Event Ruler's
 * `BigDecimal.valueOf(n).multiply(1e6).longValue()` computes; `n * 1e6` in floating point would
 * turn 0.000003 into 2.999...). Only for |n| <= NUMBER_LIMIT, where millionths stay exact.
 */
const micros = (value: number): bigint => {
  const [mantissa = '0', exponentText = '0'] = String(Math.abs(value)).toLowerCase().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  const padded = point < 0 ? '0'.repeat(-point) + digits : digits.padEnd(point + 6, '0');
  const at = Math.max(point, 0);
  const magnitude = BigInt(`${padded.slice(0, at) || '0'}${padded.slice(at, at + 6).padEnd(6, '0')}`);
  return value < 0 ? -magnitude : magnitude;
};

const inRange = (value: number): boolean => Number.isFinite(value) && Math.abs(value) <= NUMBER_LIMIT;

/** An exact number in a pattern: equal to six decimals within the numeric range, else as written. */
const sameNumber = (expected: number) => (value: Scalar): boolean =>
  value === expected || (typeof value === 'number' && inRange(value) && inRange(expected) && micros(value) === micros(expected));


interface Compiled {
  readonly branches: readonly Branch[];
  /** Every dotted path the pattern names, and each of their dotted prefixes: all the event reading needs. */
  readonly paths: ReadonlySet<string>;
}

const compiled = new WeakMap<object, Compiled>();

export const matchesPattern = (pattern: EventPattern, event: unknown): boolean => {
  let found = compiled.get(pattern);
  if (found === undefined) {
    const branches = compileObject(pattern, '', [new Map()]);
    const paths = new Set(branches.flatMap((branch) => [...branch.keys()].flatMap(prefixesOf)));
    found = { branches, paths };
    compiled.set(pattern, found);
  }
  const leaves = flatten(event, found.paths);
  return found.branches.some((branch) => matchesBranch(branch, leaves));
};

const prefixesOf = (path: string): string[] => path.split('.').map((_, index, parts) => parts.slice(0, index + 1).join('.'));

// ---- The event as leaves -------------------------------------------------------------------

/** The event's leaves under the paths the pattern names (the rest of the event is not read). */
const flatten = (event: unknown, paths: ReadonlySet<string>): ReadonlyMap<string, Leaf[]> => {
  const leaves = new Map<string, Leaf[]>();
  let arrays = 0;
  const visit = (value: unknown, path: string, elements: ReadonlyMap<number, number>): void => {
    if (Array.isArray(value)) {
      const id = arrays++;
      value.forEach((element, index) => visit(element, path, new Map(elements).set(id, index)));
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (paths.has(childPath)) visit(child, childPath, elements);
      }
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) {
      if (path === '') return;
      const list = leaves.get(path) ?? [];
      list.push({ value, elements });
      leaves.set(path, list);
    }
  };
  if (isObject(event)) visit(event, '', new Map());
  return leaves;
};

// ---- The pattern as branches ---------------------------------------------------------------

const NEVER: FieldTest = { absent: false, matches: () => false };

const compileObject = (pattern: Record<string, unknown>, prefix: string, branches: Branch[]): Branch[] => {
  let current = branches;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      const alternatives = Array.isArray(value) ? value.filter(isObject) : [];
      current = alternatives.length === 0
        ? current.map((branch) => new Map(branch).set(`${prefix}$or`, [NEVER]))
        : alternatives.flatMap((alternative) => compileObject(alternative, prefix, current));
      continue;
    }
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (Array.isArray(value)) {
      const tests = value.map(compileValue);
      current = current.map((branch) => new Map(branch).set(path, tests));
    } else if (isObject(value) && !isIntrinsic(value)) {
      current = compileObject(value, path, current);
    } else {
      current = current.map((branch) => new Map(branch).set(path, [NEVER]));
    }
  }
  return current;
};

const test = (matches: (value: Scalar) => boolean): FieldTest => ({ absent: false, matches });

const compileValue = (rule: unknown): FieldTest => {
  if (typeof rule === 'string') return test(exactString(rule));
  if (typeof rule === 'number') return test(sameNumber(rule));
  if (typeof rule === 'boolean' || rule === null) return test((value) => value === rule);
  if (!isObject(rule) || Object.keys(rule).length !== 1) return NEVER;
  const [[operator, operand]] = Object.entries(rule) as [[string, unknown]];
  if (operator === 'exists') {
    if (operand === false) return { absent: true };
    return operand === true ? test(() => true) : NEVER;
  }
  const matches = compileOperator(operator, operand);
  return matches === undefined ? NEVER : test(matches);
};

/** An exact string; an IP address also matches the same address written another way. */
const exactString = (expected: string): ((value: Scalar) => boolean) => {
  const address = parseIpAddress(expected);
  if (address === undefined) return (value) => value === expected;
  return (value) => value === expected || (typeof value === 'string' && sameBytes(parseIpAddress(value), address));
};

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && a.length === b.length && a.every((byte, index) => byte === b[index]);

const lower = (text: string): string => text.toLowerCase();

const stringTest = (matches: (value: string) => boolean) => (value: Scalar): boolean => typeof value === 'string' && matches(value);

const compileOperator = (operator: string, operand: unknown): ((value: Scalar) => boolean) | undefined => {
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const ignoreCase = isObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string';
      const affix = ignoreCase ? (operand['equals-ignore-case'] as string) : operand;
      if (typeof affix !== 'string') return undefined;
      const fix = ignoreCase ? lower : (text: string) => text;
      return operator === 'prefix'
        ? stringTest((value) => fix(value).startsWith(fix(affix)))
        : stringTest((value) => fix(value).endsWith(fix(affix)));
    }
    case 'equals-ignore-case':
      return typeof operand === 'string' ? stringTest((value) => lower(value) === lower(operand)) : undefined;
    case 'wildcard': {
      if (typeof operand !== 'string' || wildcardProblem(operand) !== undefined) return undefined;
      const expression = wildcardRegExp(operand);
      return stringTest((value) => expression.test(value));
    }
    case 'cidr': {
      const range = typeof operand === 'string' ? parseCidr(operand) : 'not a string';
      if (typeof range === 'string') return undefined;
      return stringTest((value) => {
        const address = parseIpAddress(value);
        return address !== undefined && address.length === range.low.length && compareBytes(address, range.low) >= 0 && compareBytes(address, range.high) <= 0;
      });
    }
    case 'numeric':
      return Array.isArray(operand) ? compileNumeric(operand) : undefined;
    case 'anything-but':
      return compileAnythingBut(operand);
    default:
      return undefined;
  }
};

const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
};

const compileNumeric = (conditions: readonly unknown[]): ((value: Scalar) => boolean) | undefined => {
  const checks: ((value: bigint) => boolean)[] = [];
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const number = conditions[i + 1];
    if (typeof number !== 'number' || !inRange(number)) return undefined;
    const bound = micros(number);
    switch (operator) {
      case '=': checks.push((value) => value === bound); break;
      case '<': checks.push((value) => value < bound); break;
      case '<=': checks.push((value) => value <= bound); break;
      case '>': checks.push((value) => value > bound); break;
      case '>=': checks.push((value) => value >= bound); break;
      default: return undefined;
    }
  }
  if (checks.length === 0) return undefined;
  return (value) =>
    typeof value === 'number' && inRange(value) && checks.every((check) => check(micros(value)));
};

/** `anything-but` X matches every leaf X does not match: other types, numbers and null included. */
const compileAnythingBut = (operand: unknown): ((value: Scalar) => boolean) | undefined => {
  if (typeof operand === 'string') return (value) => value !== operand;
  if (typeof operand === 'number') return (value) => !sameNumber(operand)(value);
  if (Array.isArray(operand)) {
    if (!operand.every((item) => typeof item === 'string' || typeof item === 'number')) return undefined;
    const excluded = operand.map((item) => (typeof item === 'number' ? sameNumber(item) : (value: Scalar) => value === item));
    return (value) => !excluded.some((matches) => matches(value));
  }
  if (!isObject(operand) || Object.keys(operand).length !== 1) return undefined;
  const [[inner, values]] = Object.entries(operand) as [[string, unknown]];
  const list = Array.isArray(values) ? values : [values];
  if (!list.every((item): item is string => typeof item === 'string')) return undefined;
  const excluded = list.map((item) => compileOperator(inner, item));
  if (excluded.some((matches) => matches === undefined)) return undefined;
  return (value) => !excluded.some((matches) => matches?.(value) === true);
};

// ---- Matching --------------------------------------------------------------------------------

const matchesBranch = (branch: Branch, leaves: ReadonlyMap<string, Leaf[]>): boolean => {
  // Each field needs one leaf that passes one of its tests, unless the field may be absent and is.
  const needed: Leaf[][] = [];
  for (const [path, tests] of branch) {
    const present = leaves.get(path) ?? [];
    if (present.length === 0 && tests.some((candidate) => candidate.absent)) continue;
    const candidates = present.filter((leaf) => tests.some((candidate) => !candidate.absent && candidate.matches(leaf.value)));
    if (candidates.length === 0) return false;
    needed.push(candidates);
  }
  return consistent(needed, 0, new Map());
};

/** Whether one candidate per field can be chosen with no two from different elements of an array. */
const consistent = (needed: readonly Leaf[][], field: number, chosen: ReadonlyMap<number, number>): boolean => {
  const candidates = needed[field];
  if (candidates === undefined) return true;
  return candidates.some((leaf) => {
    for (const [array, index] of leaf.elements) {
      const taken = chosen.get(array);
      if (taken !== undefined && taken !== index) return false;
    }
    return consistent(needed, field + 1, new Map([...chosen, ...leaf.elements]));
  });
};

/**
 * EventBridge event-pattern validation: refuses what EventBridge refuses at `PutRule`, with the
 * same reasons EventBridge gives (`Event pattern is not valid. Reason: ...`), plus the field path.
 *
 * The rules follow the EventBridge user guide (event patterns, content filtering, comparison
 * operators, arrays, null values, `$or`) and the behaviour of Event Ruler, the matching library
 * EventBridge runs. Lambda event filters use a subset of that grammar (`profile: 'lambda'`).
 * Used at synth by `EventPatternValidation` (lib/event-pattern-aspect.ts) and by the local stack.
 *
 * CloudFormation intrinsics (`{ "Ref": ... }`, `{ "Fn::...": ... }`) stand for values unknown until
 * deploy: wherever one appears, it is taken as an unknown but valid value, never as an error.
 */
import { isIntrinsic, isObject, parseCidr, wildcardProblem } from './event-pattern-values';

/** EventBridge's default quota for an event pattern's size, in characters (adjustable). */
export const EVENT_PATTERN_MAX_LENGTH = 2048;

/** Numbers in numeric matches must lie in [-5e9, 5e9], with at most six decimals. */
const NUMBER_LIMIT = 5e9;
const MAX_DECIMALS = 6;

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists', 'cidr', 'wildcard'];

/** Names EventBridge refuses as field names inside `$or` (its operators and reserved words). */
const RESERVED_IN_OR = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr', 'html',
  '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after',
  'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range',
]);

export interface EventPatternValidationOptions {
  /**
   * The longest pattern accepted, in characters of its compact JSON.
   * @default EVENT_PATTERN_MAX_LENGTH (EventBridge's default quota)
   */
  readonly maxLength?: number;
  /**
   * Whose grammar to check against. `'lambda'` (Lambda event source mapping filters) also refuses
   * the EventBridge operators Lambda event filtering does not support, see `LAMBDA_UNSUPPORTED`.
   * @default 'eventbridge'
   */
  readonly profile?: 'eventbridge' | 'lambda';
}

/** How a Lambda event source mapping's filter patterns are checked: Lambda's grammar, no EventBridge size quota. */
export const LAMBDA_FILTER_CHECK: EventPatternValidationOptions = { maxLength: Number.POSITIVE_INFINITY, profile: 'lambda' };

/**
 * What Lambda event filtering does not support, though EventBridge rules do. Sources:
 * - the Lambda developer guide's "Filter rule syntax" table, given as "a summary of all the
 *   comparison operators available for Lambda event filtering"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax):
 *   it has no wildcard and no IP address (cidr) matching;
 * - the EventBridge user guide's comparison operator table, "Pipe support" column (Pipes and Lambda
 *   filter the same way, eb-pipes-event-filtering.html)
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):
 *   "No" for anything-but with prefix, suffix, equals-ignore-case and wildcard.
 */
const LAMBDA_UNSUPPORTED = {
  operators: new Set(['wildcard', 'cidr']),
  anythingBut: new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']),
};

type Problems = string[];


const describe = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));

/**
 * The problems EventBridge would report for `pattern`, one message each; empty when it is valid.
 * Each message names the path of the offending field (`detail.state[0]`).
 */
export const eventPatternProblems = (pattern: unknown, options: EventPatternValidationOptions = {}): string[] => {
  const problems: Problems = [];
  const report = (path: string, reason: string): void => {
    problems.push(`Event pattern is not valid. Reason: ${reason} at ${path === '' ? 'the pattern root' : path}`);
  };
  if (isIntrinsic(pattern)) return [];
  if (!isObject(pattern)) {
    report('', 'Filter is not an object');
    return problems;
  }
  const maxLength = options.maxLength ?? EVENT_PATTERN_MAX_LENGTH;
  const length = JSON.stringify(pattern).length;
  if (length > maxLength) {
    report('', `the pattern is ${length} characters, over the event pattern size quota of ${maxLength}`);
  }
  checkObject(pattern, '', false, report);
  if (options.profile === 'lambda') checkLambdaSubset(pattern, '', report);
  return problems;
};

/** Reports the match expressions EventBridge accepts but Lambda event filtering does not. */
const checkLambdaSubset = (object: Record<string, unknown>, path: string, report: Report): void => {
  for (const [key, value] of Object.entries(object)) {
    if (key === '$or') {
      if (Array.isArray(value)) value.forEach((branch, index) => isObject(branch) && checkLambdaSubset(branch, `${join(path, key)}[${index}]`, report));
    } else if (isObject(value) && !isIntrinsic(value)) {
      checkLambdaSubset(value, join(path, key), report);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (!isObject(item) || isIntrinsic(item)) return;
        const [operator] = Object.keys(item);
        const operand = operator === undefined ? undefined : item[operator];
        const at = `${join(path, key)}[${index}]`;
        if (operator !== undefined && LAMBDA_UNSUPPORTED.operators.has(operator)) {
          report(at, `${operator} is not supported by Lambda event filtering`);
        } else if (operator === 'anything-but' && isObject(operand) && !isIntrinsic(operand)) {
          const [inner] = Object.keys(operand);
          if (inner !== undefined && LAMBDA_UNSUPPORTED.anythingBut.has(inner)) {
            report(`${at}.anything-but`, `anything-but with ${inner} is not supported by Lambda event filtering`);
          }
        }
      });
    }
  }
};

type Report = (path: string, reason: string) => void;

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

const checkObject = (object: Record<string, unknown>, path: string, insideOr: boolean, report: Report): void => {
  const entries = Object.entries(object);
  if (entries.length === 0) {
    report(path, 'Empty objects are not allowed');
    return;
  }
  for (const [key, value] of entries) {
    if (key === '$or') {
      checkOr(value, join(path, '$or'), report);
      continue;
    }
    const fieldPath = join(path, key);
    if (insideOr && RESERVED_IN_OR.has(key)) {
      report(fieldPath, `${key} is Ruler reserved fieldName which cannot be used inside $or.`);
      continue;
    }
    if (isIntrinsic(value)) continue;
    if (Array.isArray(value)) {
      checkValues(value, fieldPath, report);
    } else if (isObject(value)) {
      checkObject(value, fieldPath, insideOr, report);
    } else {
      report(fieldPath, `"${key}" must be an object or an array`);
    }
  }
};

const checkOr = (value: unknown, path: string, report: Report): void => {
  if (!Array.isArray(value)) {
    report(path, 'It must be an Array followed with $or.');
    return;
  }
  value.forEach((branch, index) => {
    if (isIntrinsic(branch)) return;
    if (!isObject(branch)) {
      report(`${path}[${index}]`, 'Only JSON object is allowed in array of $or relationship.');
      return;
    }
    checkObject(branch, `${path}[${index}]`, true, report);
  });
  if (value.length < 2) {
    report(path, 'There must have at least 2 Objects in $or relationship.');
  }
};

const checkValues = (values: readonly unknown[], path: string, report: Report): void => {
  if (values.length === 0) {
    report(path, 'Empty arrays are not allowed');
    return;
  }
  values.forEach((value, index) => {
    const at = `${path}[${index}]`;
    if (isIntrinsic(value) || typeof value === 'string' || typeof value === 'boolean' || value === null) return;
    if (typeof value === 'number') return; // exact numbers of any size (an account id) match literally
    if (isObject(value)) {
      checkMatchExpression(value, at, report);
      return;
    }
    report(at, 'Match value must be String, number, true, false, or null');
  });
};

const checkMatchExpression = (expression: Record<string, unknown>, path: string, report: Report): void => {
  const keys = Object.keys(expression);
  const [operator] = keys;
  if (operator === undefined) {
    report(path, 'Match expression name not found');
    return;
  }
  if (!OPERATORS.includes(operator)) {
    report(path, `Unrecognized match type ${operator}`);
    return;
  }
  if (keys.length > 1) {
    report(path, operator === 'numeric' || operator === 'anything-but' ? 'Too many elements in numeric expression' : 'Only one key allowed in match expression');
    return;
  }
  const operand = expression[operator];
  if (isIntrinsic(operand)) return;
  const at = `${path}.${operator}`;
  switch (operator) {
    case 'prefix':
    case 'suffix':
      checkAffix(operator, operand, at, report);
      return;
    case 'equals-ignore-case':
      if (typeof operand !== 'string') report(at, 'equals-ignore-case match pattern must be a string');
      return;
    case 'wildcard':
      if (typeof operand !== 'string') report(at, 'wildcard match pattern must be a string');
      else checkWildcard(operand, at, report);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') report(at, 'exists match pattern must be either true or false.');
      return;
    case 'cidr':
      if (typeof operand !== 'string') report(at, 'cidr match pattern must be a string');
      else {
        const problem = cidrProblem(operand);
        if (problem !== undefined) report(at, problem);
      }
      return;
    case 'numeric':
      checkNumeric(operand, at, report);
      return;
    default:
      checkAnythingBut(operand, at, report);
  }
};

const checkAffix = (operator: 'prefix' | 'suffix', operand: unknown, path: string, report: Report): void => {
  if (typeof operand === 'string') return;
  if (!isObject(operand)) {
    report(path, `${operator} match pattern must be a string`);
    return;
  }
  const keys = Object.keys(operand);
  const Operator = operator === 'prefix' ? 'Prefix' : 'Suffix';
  if (keys[0] === undefined) {
    report(path, `${Operator} expression name not found`);
  } else if (keys[0] !== 'equals-ignore-case') {
    report(path, `Unsupported ${operator} pattern: ${keys[0]}`);
  } else if (keys.length > 1) {
    report(path, 'Only one key allowed in match expression');
  } else if (typeof operand['equals-ignore-case'] !== 'string' && !isIntrinsic(operand['equals-ignore-case'])) {
    report(`${path}.equals-ignore-case`, 'equals-ignore-case match pattern must be a string');
  }
};

const checkAnythingBut = (operand: unknown, path: string, report: Report): void => {
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    const [inner] = keys;
    if (inner === undefined) {
      report(path, 'Anything-But expression name not found');
      return;
    }
    if (!['equals-ignore-case', 'prefix', 'suffix', 'wildcard'].includes(inner)) {
      report(path, `Unsupported anything-but pattern: ${inner}`);
      return;
    }
    if (keys.length > 1) {
      report(path, 'Too many elements in numeric expression');
      return;
    }
    const values = operand[inner];
    if (isIntrinsic(values)) return;
    const at = `${path}.${inner}`;
    if (!Array.isArray(values) && typeof values !== 'string') {
      if (typeof values === 'number') report(at, anythingButSetTypeReason(inner));
      else report(at, 'Value of anything-but must be an array or single string/number value.');
      return;
    }
    (Array.isArray(values) ? values : [values]).forEach((value, index) => {
      const valueAt = Array.isArray(values) ? `${at}[${index}]` : at;
      if (isIntrinsic(value)) return;
      if (typeof value !== 'string') {
        report(valueAt, anythingButSetTypeReason(inner));
      } else if ((inner === 'prefix' || inner === 'suffix') && value === '') {
        report(valueAt, 'Null prefix/suffix not allowed');
      } else if (inner === 'wildcard') {
        checkWildcard(value, valueAt, report);
      }
    });
    return;
  }
  if (Array.isArray(operand)) {
    let strings = 0;
    let numbers = 0;
    operand.forEach((value, index) => {
      if (isIntrinsic(value) || typeof value === 'string') strings++;
      else if (typeof value === 'number') {
        numbers++;
        const problem = numberProblem(value);
        if (problem !== undefined) report(`${path}[${index}]`, problem);
      } else report(`${path}[${index}]`, 'Inside anything but list, start|null|boolean is not supported.');
    });
    if ((strings > 0 && numbers > 0) || strings + numbers === 0) {
      report(path, 'Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return;
  }
  if (typeof operand === 'number') {
    const problem = numberProblem(operand);
    if (problem !== undefined) report(path, problem);
    return;
  }
  if (typeof operand !== 'string') {
    report(path, 'Value of anything-but must be an array or single string/number value.');
  }
};

const anythingButSetTypeReason = (inner: string): string =>
  inner === 'equals-ignore-case' ? 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'
  : inner === 'wildcard' ? 'wildcard match pattern must be a string'
  : 'prefix/suffix match pattern must be a string';

/** Why a number cannot take part in a numeric comparison, if it cannot. */
const numberProblem = (value: number): string | undefined => {
  if (!Number.isFinite(value) || Math.abs(value) > NUMBER_LIMIT) {
    return 'Value must be between -5.0E9 and 5.0E9, inclusive';
  }
  if (decimalsOf(value) > MAX_DECIMALS) return 'Only values upto 6 decimals are supported';
  return undefined;
};

const decimalsOf = (value: number): number => {
  const [mantissa = '', exponent = '0'] = String(value).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  return Math.max(0, fraction.length - Number(exponent));
};

const isOperand = (value: unknown): boolean => typeof value === 'number' || isIntrinsic(value);

/**
 * `numeric` is `[op, n]` with op one of `=`, `<`, `<=`, `>`, `>=`, or a range `[">" | ">=", low,
 * "<" | "<=", high]` with low < high; anything else is refused, as EventBridge does.
 */
const checkNumeric = (operand: unknown, path: string, report: Report): void => {
  if (!Array.isArray(operand)) {
    report(path, 'Value of numeric must be an array.');
    return;
  }
  const [operator, value, upperOperator, upper, ...rest] = operand as unknown[];
  if (typeof operator !== 'string') {
    report(path, `Invalid member in numeric match: ${operator === undefined ? ']' : describe(operator)}`);
    return;
  }
  if (!['=', '<', '<=', '>', '>='].includes(operator)) {
    report(path, `Unrecognized numeric range operator: ${operator}`);
    return;
  }
  if (!isOperand(value)) {
    report(path, `Value of ${operator === '=' ? 'equals' : operator} must be numeric`);
    return;
  }
  const valueProblem = typeof value === 'number' ? numberProblem(value) : undefined;
  if (valueProblem !== undefined) {
    report(path, valueProblem);
    return;
  }
  if (operator === '=' || operator === '<' || operator === '<=') {
    if (operand.length > 2) report(path, 'Too many elements in numeric expression');
    else if (operator !== '=' && typeof value === 'number' && value <= -NUMBER_LIMIT) report(path, 'Bottom must be less than top');
    return;
  }
  if (operand.length === 2) {
    if (typeof value === 'number' && value >= NUMBER_LIMIT) report(path, 'Bottom must be less than top');
    return;
  }
  if (typeof upperOperator !== 'string') {
    report(path, `Bad value in numeric range: ${describe(upperOperator)}`);
    return;
  }
  if (upperOperator !== '<' && upperOperator !== '<=') {
    report(path, `Bad numeric range operator: ${upperOperator}`);
    return;
  }
  if (!isOperand(upper)) {
    report(path, `Value of ${upperOperator} must be numeric`);
    return;
  }
  if (rest.length > 0) {
    report(path, 'Too many terms in numeric range expression');
    return;
  }
  const upperProblem = typeof upper === 'number' ? numberProblem(upper) : undefined;
  if (upperProblem !== undefined) report(path, upperProblem);
  else if (typeof value === 'number' && typeof upper === 'number' && value >= upper) report(path, 'Bottom must be less than top');
};

const checkWildcard = (value: string, path: string, report: Report): void => {
  const problem = wildcardProblem(value);
  if (problem !== undefined) report(path, problem);
};

const cidrProblem = (cidr: string): string | undefined => {
  const parsed = parseCidr(cidr);
  return typeof parsed === 'string' ? parsed : undefined;
};

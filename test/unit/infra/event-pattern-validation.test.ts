import { App, Aspects, Stack } from 'aws-cdk-lib';
import { CfnRule, EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { EventPatternValidation } from '../../../lib/event-pattern-aspect';
import { eventPatternProblems } from '../../../lib/event-pattern-validation';
import { OrdersServiceStack } from '../../../lib/orders-service-stack';

describe('eventPatternProblems accepts the user guide\'s documented patterns', () => {
  it.each([
    ['EC2 state change ("Creating event patterns")', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } }],
    ['empty string and null values ("Matching null values and empty strings")', { detail: { eventVersion: [''], responseElements: [null] } }],
    ['booleans and numbers as exact values', { detail: { enabled: [true, false], count: [5, 3.018e2], account: [123456789012345] } }],
    ['prefix ("time" example)', { time: [{ prefix: '2017-10-02' }] }],
    ['prefix with equals-ignore-case ("service" example)', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }],
    ['suffix ("FileName" example)', { FileName: [{ suffix: '.png' }] }],
    ['suffix with equals-ignore-case', { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }],
    ['equals-ignore-case ("Name" example)', { Name: [{ 'equals-ignore-case': 'alice' }] }],
    ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }],
    ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }],
    ['anything-but a list of strings', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }],
    ['anything-but a list of numbers', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }],
    ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }],
    ['anything-but a list of prefixes', { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }],
    ['anything-but a suffix', { FileName: [{ 'anything-but': { suffix: '.png' } }] }],
    ['anything-but equals-ignore-case, one and a list', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }, { 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }] }],
    ['anything-but a wildcard, one and a list', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }, { 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] }],
    ['numeric ("c-count", "d-count", "x-limit" example)', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } }],
    ['numeric at the documented limits (-5e9, 5e9, six decimals)', { n: [{ numeric: ['>=', -5e9, '<=', 5e9] }, { numeric: ['=', 1.123456] }] }],
    ['cidr IPv4 ("10.0.0.0/24") and IPv6', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }, { cidr: '2001:db8:1234:1a00::/64' }] } }],
    ['exists true and false', { detail: { 'c-count': [{ exists: false }], 'd-count': [{ exists: true }] } }],
    ['wildcard with an escaped asterisk and backslash', { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }, { wildcard: 'a\\*b\\\\c' }] }],
    ['$or of numeric conditions', { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }] } }],
    ['nested $or with an AND inside', { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }] }],
    ['keys with dots', { detail: { 'state.status': ['running'] } }],
    ['operator names as field names outside $or', { prefix: ['x'], numeric: [1] }],
  ])('%s', (_name, pattern) => {
    expect(eventPatternProblems(pattern)).toEqual([]);
  });

  it('takes CloudFormation intrinsics as unknown values, never as errors', () => {
    const pattern = {
      account: [{ Ref: 'AWS::AccountId' }],
      resources: [{ prefix: { 'Fn::Join': ['', ['arn:aws:events:', { Ref: 'AWS::Region' }]] } }],
      detail: { bus: [{ 'Fn::GetAtt': ['Bus', 'Name'] }], n: [{ numeric: ['>', { Ref: 'Threshold' }] }] },
    };
    expect(eventPatternProblems(pattern)).toEqual([]);
    expect(eventPatternProblems({ 'Fn::If': ['Cond', { a: ['b'] }, { a: ['c'] }] })).toEqual([]);
  });
});

describe('eventPatternProblems refuses what EventBridge refuses, naming the field', () => {
  it.each([
    ['a pattern that is not an object', ['source'], 'Filter is not an object at the pattern root'],
    ['a pattern that is a string', 'source', 'Filter is not an object'],
    ['a leaf value that is not an array', { source: 'aws.ec2' }, '"source" must be an object or an array at source'],
    ['a leaf value that is a number', { detail: { n: 5 } }, '"n" must be an object or an array at detail.n'],
    ['an empty array', { source: [] }, 'Empty arrays are not allowed at source'],
    ['an empty pattern', {}, 'Empty objects are not allowed at the pattern root'],
    ['an empty nested object', { detail: {} }, 'Empty objects are not allowed at detail'],
    ['an array inside the value array', { source: [['a']] }, 'Match value must be String, number, true, false, or null at source[0]'],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }, 'Unrecognized match type contains at source[0]'],
    ['an operator object with no operator', { source: [{}] }, 'Match expression name not found at source[0]'],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, 'Only one key allowed in match expression at source[0]'],
    ['prefix on a number', { source: [{ prefix: 5 }] }, 'prefix match pattern must be a string at source[0].prefix'],
    ['prefix with another nested operator', { source: [{ prefix: { suffix: 'x' } }] }, 'Unsupported prefix pattern: suffix at source[0].prefix'],
    ['prefix with a non-string equals-ignore-case', { source: [{ prefix: { 'equals-ignore-case': 1 } }] }, 'equals-ignore-case match pattern must be a string at source[0].prefix.equals-ignore-case'],
    ['suffix on a list', { source: [{ suffix: ['.png'] }] }, 'suffix match pattern must be a string at source[0].suffix'],
    ['suffix with another nested operator', { source: [{ suffix: { prefix: 'x' } }] }, 'Unsupported suffix pattern: prefix'],
    ['equals-ignore-case on a number', { source: [{ 'equals-ignore-case': 5 }] }, 'equals-ignore-case match pattern must be a string'],
    ['exists that is not a boolean', { source: [{ exists: 'true' }] }, 'exists match pattern must be either true or false. at source[0].exists'],
    ['a nested anything-but', { state: [{ 'anything-but': { 'anything-but': 'x' } }] }, 'Unsupported anything-but pattern: anything-but at state[0].anything-but'],
    ['anything-but with numeric inside', { n: [{ 'anything-but': { numeric: ['>', 1] } }] }, 'Unsupported anything-but pattern: numeric'],
    ['anything-but with exists inside', { n: [{ 'anything-but': { exists: true } }] }, 'Unsupported anything-but pattern: exists'],
    ['anything-but of a mixed list', { state: [{ 'anything-but': ['a', 1] }] }, 'either all values are number or string, mixed type is not supported'],
    ['anything-but of an empty list', { state: [{ 'anything-but': [] }] }, 'either all values are number or string'],
    ['anything-but of null', { state: [{ 'anything-but': null }] }, 'Value of anything-but must be an array or single string/number value.'],
    ['anything-but of a boolean in a list', { state: [{ 'anything-but': [true] }] }, 'Inside anything but list, start|null|boolean is not supported.'],
    ['anything-but prefix of an empty string', { state: [{ 'anything-but': { prefix: '' } }] }, 'Null prefix/suffix not allowed at state[0].anything-but.prefix'],
    ['anything-but prefix of a number', { state: [{ 'anything-but': { prefix: 5 } }] }, 'prefix/suffix match pattern must be a string'],
    ['anything-but equals-ignore-case of a number in a list', { state: [{ 'anything-but': { 'equals-ignore-case': ['a', 5] } }] }, 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported. at state[0].anything-but.equals-ignore-case[1]'],
    ['anything-but wildcard with consecutive wildcards', { p: [{ 'anything-but': { wildcard: ['*/lib/**'] } }] }, 'Consecutive wildcard characters at pos 7'],
    ['numeric that is not an array', { n: [{ numeric: '>5' }] }, 'Value of numeric must be an array.'],
    ['numeric that is empty', { n: [{ numeric: [] }] }, 'Invalid member in numeric match: ]'],
    ['numeric with an unknown operator', { n: [{ numeric: ['!=', 5] }] }, 'Unrecognized numeric range operator: !='],
    ['numeric with a string value', { n: [{ numeric: ['>', '5'] }] }, 'Value of > must be numeric'],
    ['numeric with a value first', { n: [{ numeric: [5, '>'] }] }, 'Invalid member in numeric match: 5'],
    ['numeric "=" with a range', { n: [{ numeric: ['=', 5, '<', 10] }] }, 'Too many elements in numeric expression'],
    ['numeric with the upper bound first', { n: [{ numeric: ['<', 10, '>', 0] }] }, 'Too many elements in numeric expression'],
    ['numeric with two lower bounds', { n: [{ numeric: ['>', 0, '>=', 1] }] }, 'Bad numeric range operator: >='],
    ['numeric range that cannot match (bottom above top)', { n: [{ numeric: ['>', 10, '<', 5] }] }, 'Bottom must be less than top'],
    ['numeric range that cannot match (bottom equal to top)', { n: [{ numeric: ['>=', 5, '<=', 5] }] }, 'Bottom must be less than top'],
    ['numeric with three terms in a range', { n: [{ numeric: ['>', 0, '<', 5, 6] }] }, 'Too many terms in numeric range expression'],
    ['numeric beyond the documented limit', { n: [{ numeric: ['>', 6e9] }] }, 'Value must be between -5.0E9 and 5.0E9, inclusive'],
    ['numeric with seven decimals', { n: [{ numeric: ['=', 1.1234567] }] }, 'Only values upto 6 decimals are supported'],
    ['anything-but a number beyond the limit', { n: [{ 'anything-but': [1e10] }] }, 'Value must be between -5.0E9 and 5.0E9, inclusive'],
    ['cidr that is not a string', { ip: [{ cidr: 10 }] }, 'cidr match pattern must be a string'],
    ['cidr without a mask', { ip: [{ cidr: '10.0.0.0' }] }, "Malformed CIDR, one '/' required"],
    ['cidr with a non-integer mask', { ip: [{ cidr: '10.0.0.0/x' }] }, 'Malformed CIDR, mask bits must be an integer'],
    ['cidr with an invalid IPv4 address', { ip: [{ cidr: '10.0.0.256/24' }] }, 'Invalid IP address: 10.0.0.256'],
    ['cidr with a host name', { ip: [{ cidr: 'example.com/24' }] }, 'Nonstandard IP address: example.com'],
    ['cidr with an IPv4 mask of 32 or more', { ip: [{ cidr: '10.0.0.1/32' }] }, 'IPv4 mask bits must be < 32'],
    ['cidr with an IPv6 mask of 128 or more', { ip: [{ cidr: '2001:db8::1/128' }] }, 'IPv6 mask bits must be < 128'],
    ['cidr with a malformed IPv6 address', { ip: [{ cidr: '2001:db8::1::2/64' }] }, 'Invalid IP address: 2001:db8::1::2'],
    ['wildcard with consecutive wildcards', { f: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 2 at f[0].wildcard'],
    ['wildcard escaping another character', { f: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 2'],
    ['wildcard ending with a backslash', { f: [{ wildcard: 'a\\' }] }, 'Invalid escape character at pos 2'],
    ['wildcard that is not a string', { f: [{ wildcard: ['a*'] }] }, 'wildcard match pattern must be a string'],
    ['$or that is not an array', { $or: { a: ['b'] } }, 'It must be an Array followed with $or. at $or'],
    ['$or with one object', { $or: [{ a: ['b'] }] }, 'There must have at least 2 Objects in $or relationship. at $or'],
    ['$or with a non-object', { $or: [{ a: ['b'] }, ['c']] }, 'Only JSON object is allowed in array of $or relationship. at $or[1]'],
    ['$or with an operator name as field', { $or: [{ numeric: [123] }, { prefix: ['abc'] }] }, 'numeric is Ruler reserved fieldName which cannot be used inside $or. at $or[0].numeric'],
    ['$or nested inside a field with an invalid branch', { detail: { $or: [{ a: [] }, { b: ['c'] }] } }, 'Empty arrays are not allowed at detail.$or[0].a'],
  ])('%s', (_name, pattern, reason) => {
    const problems = eventPatternProblems(pattern);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(reason);
    expect(problems.every((problem) => problem.startsWith('Event pattern is not valid. Reason: '))).toBe(true);
  });

  it('refuses a pattern over the event pattern size quota (2,048 characters by default)', () => {
    const pattern = { source: Array.from({ length: 300 }, (_, index) => `source-${index}`) };
    expect(eventPatternProblems(pattern)).toEqual([
      expect.stringContaining('over the event pattern size quota of 2048'),
    ]);
    expect(eventPatternProblems(pattern, { maxLength: 10_000 })).toEqual([]);
  });

  it('reports every problem, not only the first', () => {
    expect(eventPatternProblems({ a: [], b: 'x', c: [{ exists: 1 }] })).toHaveLength(3);
  });
});

/** A stack with no bundling and the aspect applied at the app, as bin/app.ts does. */
const appWithAspect = (): { app: App; stack: Stack } => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Aspects.of(app).add(new EventPatternValidation());
  return { app, stack: new Stack(app, 'Patterns') };
};

describe('EventPatternValidation (synth-time refusal)', () => {
  it('fails synth naming the rule and the problem for an invalid rule pattern', () => {
    const { app, stack } = appWithAspect();
    new Rule(stack, 'BadRule', { eventPattern: { source: ['orders'], detail: { total: Match.anyOf({ numeric: ['<', 10, '>', 0] }) } } });

    expect(() => app.synth()).toThrow(/Patterns\/BadRule\/Resource.*Too many elements in numeric expression at detail\.total\[0\]/s);
  });

  it('fails synth for an invalid pattern on a raw CfnRule', () => {
    const { app, stack } = appWithAspect();
    new CfnRule(stack, 'RawRule', { eventPattern: { source: [{ wildcard: 'orders**' }] } });

    expect(() => app.synth()).toThrow(/Patterns\/RawRule.*Consecutive wildcard characters/s);
  });

  it('fails synth for an invalid pattern given as a JSON string', () => {
    const { app, stack } = appWithAspect();
    new CfnRule(stack, 'StringRule', { eventPattern: JSON.stringify({ source: 'orders' }) });

    expect(() => app.synth()).toThrow(/Patterns\/StringRule.*"source" must be an object or an array/s);
  });

  it('fails synth naming the mapping and the filter for an invalid Lambda filter pattern', () => {
    const { app, stack } = appWithAspect();
    new CfnEventSourceMapping(stack, 'Mapping', {
      functionName: 'fn',
      eventSourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x',
      startingPosition: 'TRIM_HORIZON',
      filterCriteria: { filters: [{ pattern: JSON.stringify({ eventName: ['INSERT'] }) }, { pattern: JSON.stringify({ eventName: [] }) }] },
    });

    expect(() => app.synth()).toThrow(/Patterns\/Mapping.*FilterCriteria\.Filters\[1\]\.Pattern: .*Empty arrays are not allowed at eventName/s);
  });

  it('fails synth for a Lambda filter pattern that EventBridge accepts but Lambda event filtering does not (wildcard)', () => {
    const { app, stack } = appWithAspect();
    new CfnEventSourceMapping(stack, 'WildcardMapping', {
      functionName: 'fn',
      eventSourceArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x',
      startingPosition: 'TRIM_HORIZON',
      filterCriteria: { filters: [{ pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ wildcard: 'ORDER#*' }] } } } }) }] },
    });

    expect(() => app.synth()).toThrow(/Patterns\/WildcardMapping.*FilterCriteria\.Filters\[0\]\.Pattern: .*wildcard is not supported by Lambda event filtering at dynamodb\.Keys\.pk\.S\[0\]/s);
  });

  it('passes a pattern whose values are tokens (a bus name, the account)', () => {
    const { app, stack } = appWithAspect();
    const bus = new EventBus(stack, 'Bus');
    new Rule(stack, 'TokenRule', { eventBus: bus, eventPattern: { account: [stack.account], resources: [bus.eventBusArn], detail: { bus: [bus.eventBusName] } } });

    expect(() => app.synth()).not.toThrow();
  });

  it('passes the real Orders service stack (its rules, archive and stream filters)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Aspects.of(app).add(new EventPatternValidation());
    new OrdersServiceStack(app, 'OrdersService', {});

    expect(() => app.synth()).not.toThrow();
  }, 60_000);
});

describe("eventPatternProblems with profile 'lambda' (Lambda event filtering's narrower grammar)", () => {
  it.each([
    ['wildcard', { key: [{ wildcard: '*.png' }] }, 'wildcard is not supported by Lambda event filtering at key[0]'],
    ['cidr', { ip: [{ cidr: '10.0.0.0/24' }] }, 'cidr is not supported by Lambda event filtering at ip[0]'],
    ['anything-but a prefix', { Region: [{ 'anything-but': { prefix: 'us-' } }] }, 'anything-but with prefix is not supported by Lambda event filtering at Region[0].anything-but'],
    ['anything-but a suffix', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, 'anything-but with suffix is not supported'],
    ['anything-but equals-ignore-case', { state: [{ 'anything-but': { 'equals-ignore-case': 'init' } }] }, 'anything-but with equals-ignore-case is not supported'],
    ['anything-but a wildcard', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, 'anything-but with wildcard is not supported'],
    ['wildcard inside $or and nested fields', { dynamodb: { $or: [{ a: ['x'] }, { b: [{ wildcard: 'x*' }] }] } }, 'wildcard is not supported by Lambda event filtering at dynamodb.$or[1].b[0]'],
  ])('refuses %s', (_name, pattern, reason) => {
    expect(eventPatternProblems(pattern)).toEqual([]);
    expect(eventPatternProblems(pattern, { profile: 'lambda' }).join('\n')).toContain(reason);
  });

  it("accepts the Lambda guide's filter rule syntax (null, empty, equals, or, not, numeric, exists, begins with)", () => {
    const pattern = {
      UserID: [null],
      LastName: [''],
      Name: ['Alice'],
      PaymentType: ['Credit', 'Debit'],
      Weather: [{ 'anything-but': ['Raining'] }],
      Price: [{ numeric: ['=', 100] }, { numeric: ['>', 10, '<=', 20] }],
      ProductName: [{ exists: true }],
      Region: [{ prefix: 'us-' }],
    };

    expect(eventPatternProblems(pattern, { profile: 'lambda' })).toEqual([]);
  });
});

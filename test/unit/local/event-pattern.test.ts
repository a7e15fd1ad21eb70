import { describe, expect, it } from 'vitest';
import { type EventPattern, matchesPattern } from '../../../local/events/pattern';

const event = {
  source: 'orders',
  'detail-type': 'OrderPlaced',
  detail: { version: 3, status: 'PLACED', customerId: 'c-17', tags: ['vip', 'eu'], total: 2500 },
};

describe('matchesPattern', () => {
  it.each([
    ['an exact value', { source: ['orders'] }, true],
    ['one of several values', { 'detail-type': ['OrderShipped', 'OrderPlaced'] }, true],
    ['a value that differs', { source: ['payments'] }, false],
    ['a nested field', { detail: { status: ['PLACED'] } }, true],
    ['a prefix', { detail: { customerId: [{ prefix: 'c-' }] } }, true],
    ['a suffix', { detail: { customerId: [{ suffix: '-18' }] } }, false],
    ['anything-but a value', { detail: { status: [{ 'anything-but': 'CANCELLED' }] } }, true],
    ['anything-but a list', { detail: { status: [{ 'anything-but': ['PLACED', 'CANCELLED'] }] } }, false],
    ['anything-but a prefix', { detail: { customerId: [{ 'anything-but': { prefix: 'x' } }] } }, true],
    ['exists', { detail: { total: [{ exists: true }] } }, true],
    ['does not exist', { detail: { refund: [{ exists: false }] } }, true],
    ['exists on a missing field', { detail: { refund: [{ exists: true }] } }, false],
    ['a numeric range', { detail: { total: [{ numeric: ['>', 1000, '<=', 2500] }] } }, true],
    ['a numeric range that excludes', { detail: { version: [{ numeric: ['>=', 4] }] } }, false],
    ['any element of an array field', { detail: { tags: ['eu'] } }, true],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'orderplaced' }] }, true],
    ['a wildcard', { 'detail-type': [{ wildcard: 'Order*d' }] }, true],
    ['a missing field', { detail: { missing: ['x'] } }, false],
    ['every field, not just one', { source: ['orders'], 'detail-type': ['OrderShipped'] }, false],
  ])('matches %s: %j -> %s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('matches a stream filter on the event name', () => {
    expect(matchesPattern({ eventName: ['INSERT'] }, { eventName: 'INSERT', dynamodb: {} })).toBe(true);
    expect(matchesPattern({ eventName: ['INSERT'] }, { eventName: 'MODIFY', dynamodb: {} })).toBe(false);
  });
});

/** The sample event of the EventBridge user guide's "Content filtering" and Event Ruler examples. */
const ec2 = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const matches = (pattern: object, event: unknown): boolean => matchesPattern(pattern as EventPattern, event);

describe('matchesPattern, per the EventBridge user guide', () => {
  describe('exact values ("Creating event patterns", "Matching null values and empty strings")', () => {
    it.each([
      ['the EC2 state-change example: source, detail-type and a nested state', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['initializing', 'running'] } }, true],
      ['a value that is only a prefix of the event value does not match', { source: ['aws'] }, false],
      ['values are case sensitive', { source: ['AWS.EC2'] }, false],
      ['a number matches the same number', { detail: { 'c-count': [5] } }, true],
      ['a number matches the same number written otherwise (3.018e2 is 301.8)', { detail: { 'x-limit': [3.018e2] } }, true],
      ['a string does not match a number', { detail: { 'c-count': ['5'] } }, false],
      ['a number does not match a string', { account: [12345679012] }, false],
    ])('%s', (_name, pattern, expected) => {
      expect(matches(pattern, ec2)).toBe(expected);
    });

    const withNulls = { detail: { eventVersion: '', responseElements: null, enabled: false } };
    it.each([
      ['"eventVersion": [""] matches an empty string', { detail: { eventVersion: [''] } }, true],
      ['"responseElements": [null] matches null', { detail: { responseElements: [null] } }, true],
      ['null and the empty string are not interchangeable ([""] vs null)', { detail: { responseElements: [''] } }, false],
      ['null and the empty string are not interchangeable ([null] vs "")', { detail: { eventVersion: [null] } }, false],
      ['a boolean matches the same boolean', { detail: { enabled: [false] } }, true],
      ['a boolean does not match its string', { detail: { enabled: ['false'] } }, false],
      ['null does not match a missing field', { detail: { missing: [null] } }, false],
    ])('%s', (_name, pattern, expected) => {
      expect(matches(pattern, withNulls)).toBe(expected);
    });
  });

  describe('arrays ("Arrays in event patterns", Event Ruler "JSON Array Matching")', () => {
    const resources = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    const employees = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };

    it('the documented resources example: matches when the pattern and event arrays intersect', () => {
      const pattern = {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      };
      expect(matches(pattern, resources)).toBe(true);
    });

    it('the documented resources example: no match when the arrays do not intersect', () => {
      expect(matches({ resources: ['arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'] }, resources)).toBe(false);
    });

    it('arrays of objects: a field of any element matches ({ employees: { firstName: ["Anna"] } })', () => {
      expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    });

    it('arrays of objects: fields from different elements do not match together (Anna/Jones)', () => {
      expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
    });

    it('arrays of objects: fields of the same element match together (Anna/Smith)', () => {
      expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
    });

    it('multi-level arrays are crushed too (the nested employees example)', () => {
      const nested = { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] };
      expect(matches({ employees: { firstName: ['Peter'] } }, nested)).toBe(true);
    });

    it('an operator applies to each element of an array field (prefix on resources)', () => {
      expect(matches({ resources: [{ prefix: 'arn:aws:ec2:' }] }, resources)).toBe(true);
    });

    it('anything-but matches an array field when any element is not excluded', () => {
      expect(matches({ tags: [{ 'anything-but': 'vip' }] }, { tags: ['vip', 'eu'] })).toBe(true);
      expect(matches({ tags: [{ 'anything-but': 'vip' }] }, { tags: ['vip'] })).toBe(false);
    });

    it('an empty array in the event has no value: no value matches it, exists: false does', () => {
      expect(matches({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
      expect(matches({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
      expect(matches({ resources: [{ 'anything-but': 'x' }] }, { resources: [] })).toBe(false);
    });
  });

  describe('nested objects and keys with dots (Event Ruler "JSON keys with dots")', () => {
    it('a pattern key "state.status" names the nested field state -> status', () => {
      expect(matches({ detail: { 'state.status': ['running'] } }, { detail: { state: { status: 'running' } } })).toBe(true);
    });

    it('a nested pattern matches an event key with a dot', () => {
      expect(matches({ detail: { state: { status: ['running'] } } }, { detail: { 'state.status': 'running' } })).toBe(true);
    });

    it('a nested pattern needs the nested value, not a sibling', () => {
      expect(matches({ detail: { state: { status: ['running'] } } }, { detail: { status: 'running' } })).toBe(false);
    });

    it('a missing parent makes a value test fail', () => {
      expect(matches({ detail: { state: { status: ['running'] } } }, { source: 'x' })).toBe(false);
    });

    it('a nested pattern against a scalar field does not match', () => {
      expect(matches({ detail: { state: ['running'] } }, { detail: 'running' })).toBe(false);
    });
  });

  describe('prefix and suffix ("Prefix matching", "Suffix matching", with "equals-ignore-case")', () => {
    it.each([
      ['the "time" prefix example matches "2017-10-02T16:24:49Z"', { time: [{ prefix: '2017-10-02' }] }, ec2, true],
      ['prefix is case sensitive', { source: [{ prefix: 'AWS.' }] }, ec2, false],
      ['prefix does not match numbers', { detail: { 'c-count': [{ prefix: '5' }] } }, ec2, false],
      ['the "service" prefix equals-ignore-case example matches "EventBridge"', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'EVENTBRIDGE' } }, true],
      ['prefix equals-ignore-case does not match another start', { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'SQS' } }, false],
      ['the "FileName" suffix example matches "image.png"', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
      ['suffix is case sensitive', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
      ['the "FileName" suffix equals-ignore-case example matches "image.PNG"', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.PNG' }, true],
      ['suffix equals-ignore-case does not match another end', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.jpg' }, false],
    ])('%s', (_name, pattern, event, expected) => {
      expect(matches(pattern, event)).toBe(expected);
    });
  });

  describe('equals-ignore-case ("Equals-ignore-case matching")', () => {
    it.each([
      ['"Name": [{ "equals-ignore-case": "alice" }] matches "ALICE"', 'ALICE', true],
      ['it matches "Alice"', 'Alice', true],
      ['it does not match "Alicia"', 'Alicia', false],
    ])('%s', (_name, value, expected) => {
      expect(matches({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: value })).toBe(expected);
    });
  });

  describe('anything-but ("Anything-but matching", all its documented forms)', () => {
    it.each([
      ['a string: "initializing" excluded, "running" matches', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } }, true],
      ['a string: the excluded value does not match', { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'initializing' } }, false],
      ['a number: 123 excluded, 301.8 matches', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2, true],
      ['a number: 123 excluded, 123 does not match', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } }, false],
      ['a list of strings: "stopped", "overloaded" excluded', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { detail: { state: 'overloaded' } }, false],
      ['a list of numbers: 100, 200, 300 excluded, 301.8 matches', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ec2, true],
      ['a list of numbers: 200 does not match', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { detail: { 'x-limit': 200 } }, false],
      ['a prefix: "init" excluded, "running" matches', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2, true],
      ['a prefix: "initializing" does not match', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'initializing' } }, false],
      ['a list of prefixes: "us-" and "eu-" excluded, "ap-south-1" matches', { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, { Region: 'ap-south-1' }, true],
      ['a list of prefixes: "eu-west-1" does not match', { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }, { Region: 'eu-west-1' }, false],
      ['a suffix: ".png" excluded, "a.jpg" matches', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.jpg' }, true],
      ['a suffix: "a.png" does not match', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' }, false],
      ['a list of suffixes: ".png" and ".jpg" excluded', { FileName: [{ 'anything-but': { suffix: ['.png', '.jpg'] } }] }, { FileName: 'a.jpg' }, false],
      ['equals-ignore-case: "initializing" excluded in any case, "INITIALIZING" does not match', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'INITIALIZING' }, false],
      ['equals-ignore-case: "running" matches', { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'running' }, true],
      ['equals-ignore-case list: "Stopped" does not match', { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] }, { state: 'Stopped' }, false],
      ['a wildcard: paths with "/lib/" excluded, "/usr/bin/app.jar" matches', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/app.jar' }, true],
      ['a wildcard: "/usr/lib/app.jar" does not match', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/app.jar' }, false],
      ['a list of wildcards: "/usr/bin/app" does not match', { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] }, { FilePath: '/usr/bin/app' }, false],
      ['anything-but needs the field to be present', { detail: { missing: [{ 'anything-but': 'x' }] } }, ec2, false],
      ['anything-but a string matches a number value (it is not that string)', { detail: { 'c-count': [{ 'anything-but': '5' }] } }, ec2, true],
    ])('%s', (_name, pattern, event, expected) => {
      expect(matches(pattern, event)).toBe(expected);
    });
  });

  describe('numeric ("Numeric matching")', () => {
    it('the documented example matches c-count 5, d-count 3 and x-limit 301.8', () => {
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };
      expect(matches(pattern, ec2)).toBe(true);
    });

    it.each([
      ['>', 5, false], ['>=', 5, true], ['<', 5, false], ['<=', 5, true], ['=', 5, true], ['=', 4, false],
    ])('operator %s %d on 5 -> %s', (operator, bound, expected) => {
      expect(matches({ detail: { 'c-count': [{ numeric: [operator, bound] }] } }, ec2)).toBe(expected);
    });

    it('a range excludes values outside it (">", 5, "<", 10 on 5)', () => {
      expect(matches({ detail: { 'c-count': [{ numeric: ['>', 5, '<', 10] }] } }, ec2)).toBe(false);
    });

    it('numeric matching only works with values that are JSON numbers ("5" is a string)', () => {
      expect(matches({ n: [{ numeric: ['=', 5] }] }, { n: '5' })).toBe(false);
    });

    it('numeric matching is limited to values within -5e9..5e9', () => {
      expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 6e9 })).toBe(false);
    });

    it.each([
      ['numeric = 1 matches 1.0000001 (six decimals)', { n: [{ numeric: ['=', 1] }] }, 1.0000001, true],
      ['the exact number 1 matches 1.0000001', { n: [1] }, 1.0000001, true],
      ['numeric = 1 does not match 1.000001 (the sixth decimal counts)', { n: [{ numeric: ['=', 1] }] }, 1.000001, false],
      ['numeric > 1 does not match 1.0000009 (truncated, not rounded)', { n: [{ numeric: ['>', 1] }] }, 1.0000009, false],
      ['numeric >= 0.000003 matches 0.000003 (no floating-point drift)', { n: [{ numeric: ['>=', 0.000003] }] }, 0.000003, true],
      ['numeric = -2.5 matches -2.5000004', { n: [{ numeric: ['=', -2.5] }] }, -2.5000004, true],
      ['anything-but 1 does not match 1.0000001', { n: [{ 'anything-but': 1 }] }, 1.0000001, false],
      ['an exact number outside the numeric range does not match a nearby one', { n: [123456789012] }, 123456789013, false],
    ])('numbers compare to six decimals, as Event Ruler does: %s', (_name, pattern, value, expected) => {
      expect(matches(pattern, { n: value })).toBe(expected);
    });
  });

  describe('IP addresses ("IP address matching", IPv4 and IPv6)', () => {
    it.each([
      ['the documented "10.0.0.0/24" matches 10.0.0.33', '10.0.0.0/24', '10.0.0.33', true],
      ['"10.0.0.0/24" does not match 10.0.1.33', '10.0.0.0/24', '10.0.1.33', false],
      ['"10.0.0.0/8" (the complex example) matches 10.200.3.4', '10.0.0.0/8', '10.200.3.4', true],
      ['an IPv6 block "2001:db8:1234:1a00::/64" matches an address inside it', '2001:db8:1234:1a00::/64', '2001:db8:1234:1a00:9691:9503:25ad:1761', true],
      ['the IPv6 block does not match an address outside it', '2001:db8:1234:1a00::/64', '2001:db8:1234:1a01::1', false],
      ['an IPv6 block matches a fully written address', '2001:db8::/32', '2001:0db8:0000:0000:0000:0000:0000:0001', true],
      ['an IPv4 block does not match an IPv6 address', '10.0.0.0/8', '::a00:1', false],
      ['a non-address does not match', '10.0.0.0/8', 'ten', false],
    ])('%s', (_name, cidr, address, expected) => {
      expect(matches({ detail: { sourceIPAddress: [{ cidr }] } }, { detail: { sourceIPAddress: address } })).toBe(expected);
    });

    it('an exact IPv6 address matches the same address written otherwise', () => {
      expect(matches({ ip: ['2001:db8::1'] }, { ip: '2001:0db8:0:0:0:0:0:1' })).toBe(true);
    });
  });

  describe('exists ("Exists matching", leaf nodes only)', () => {
    it.each([
      ['exists: true matches the documented detail.c-count', { detail: { 'c-count': [{ exists: true }] } }, ec2, true],
      ['exists: false does not match when detail.c-count is present', { detail: { 'c-count': [{ exists: false }] } }, ec2, false],
      ['exists: false matches the documented event without c-count', { detail: { 'c-count': [{ exists: false }] } }, { detail: { state: ['initializing', 'running'] } }, true],
      ['exists: false matches the documented event where c-count is an object (not a leaf)', { detail: { 'c-count': [{ exists: false }] } }, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } }, true],
      ['exists: true does not match a field that is an object', { detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } }, false],
      ['exists: true matches a null value', { detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': null } }, true],
      ['exists: false matches when the parent is missing', { detail: { 'c-count': [{ exists: false }] } }, { source: 'x' }, true],
      ['exists: true with a missing parent does not match', { detail: { 'c-count': [{ exists: true }] } }, { source: 'x' }, false],
      ['exists: false matches an empty object', { detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': {} } }, true],
      ['exists: true matches an array with a value', { tags: [{ exists: true }] }, { tags: ['a'] }, true],
      ['exists: false beside a value: absent or "x"', { f: [{ exists: false }, 'x'] }, { f: 'x' }, true],
    ])('%s', (_name, pattern, event, expected) => {
      expect(matches(pattern, event)).toBe(expected);
    });
  });

  describe('wildcard ("Wildcard matching")', () => {
    it.each([
      ['"dir/*.png" matches "dir/image.png"', 'dir/*.png', 'dir/image.png', true],
      ['"*" crosses slashes: "dir/*.png" matches "dir/sub/image.png"', 'dir/*.png', 'dir/sub/image.png', true],
      ['"dir/*.png" does not match "dir/image.jpg"', 'dir/*.png', 'dir/image.jpg', false],
      ['the documented event bus ARN wildcard matches any account', 'arn:aws:events:us-east-1:*:event-bus/*', 'arn:aws:events:us-east-1:123456789012:event-bus/orders', true],
      ['a wildcard matches the empty run', 'Simple*Service', 'SimpleService', true],
      ['regular-expression characters are literal', 'a.c*', 'abc', false],
      ['an escaped \\* matches only an asterisk', 'a\\*b', 'a*b', true],
      ['an escaped \\* does not match other characters', 'a\\*b', 'axb', false],
      ['an escaped backslash matches one backslash', 'a\\\\b', 'a\\b', true],
      ['wildcards match strings only, not numbers', '5*', 5, false],
    ])('%s', (_name, wildcard, value, expected) => {
      expect(matches({ field: [{ wildcard }] }, { field: value })).toBe(expected);
    });
  });

  describe('$or ("$or matching")', () => {
    const or = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };

    it('the documented numeric $or matches when one alternative does', () => {
      expect(matches(or, { detail: { 'c-count': 100, 'd-count': 3 } })).toBe(true);
    });

    it('the documented numeric $or does not match when no alternative does', () => {
      expect(matches(or, { detail: { 'c-count': 100, 'd-count': 30, 'x-limit': 1 } })).toBe(false);
    });

    it('"source" AND ("metricName" OR "namespace") needs the source too', () => {
      const pattern = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] };
      expect(matches(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(true);
      expect(matches(pattern, { source: 'aws.ec2', namespace: 'AWS/EC2' })).toBe(false);
    });

    it('parallel $or at two levels: both must hold', () => {
      const pattern = {
        $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
        detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
      };
      expect(matches(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } })).toBe(true);
      expect(matches(pattern, { namespace: 'AWS/EC2', detail: { 'detail-type': 'Other' } })).toBe(false);
    });

    it('nested $or with an AND inside ("metricType" AND "namespace" AND ("metricId" OR "spaceId"))', () => {
      const pattern = {
        source: ['aws.cloudwatch'],
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
          { scope: ['Service'] },
        ],
      };
      expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1000 })).toBe(true);
      expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1 })).toBe(false);
    });
  });

  it('an unresolved intrinsic in a value position matches nothing (it is no value)', () => {
    expect(matches({ account: [{ Ref: 'AWS::AccountId' }] }, { account: '123456789012' })).toBe(false);
  });
});


import { describe, expect, it } from 'vitest';
import { functionNameOf } from '../../../local/lambda/api';

describe('functionNameOf', () => {
  it.each([
    ['projector', 'projector'],
    ['projector:$LATEST', 'projector'],
    ['000000000000:function:projector', 'projector'],
    ['arn:aws:lambda:us-east-1:000000000000:function:projector', 'projector'],
    ['arn:aws:lambda:us-east-1:000000000000:function:projector:$LATEST', 'projector'],
  ])('reads %s as the function %s', (functionName, expected) => {
    expect(functionNameOf(functionName)).toBe(expected);
  });

  it('takes a Qualifier of $LATEST and refuses any other, which local functions do not have', () => {
    expect(functionNameOf('projector', '$LATEST')).toBe('projector');
    expect(functionNameOf('projector', 'live')).toBeUndefined();
    expect(functionNameOf('projector:3')).toBeUndefined();
  });

  it('refuses what is not a function name', () => {
    expect(functionNameOf('arn:aws:sqs:us-east-1:000000000000:queue')).toBeUndefined();
    expect(functionNameOf('')).toBeUndefined();
    expect(functionNameOf('a/b')).toBeUndefined();
  });
});

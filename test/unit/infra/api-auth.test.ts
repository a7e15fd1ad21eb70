import { describe, expect, it } from 'vitest';
import { authFromContext } from '../../../lib/api-auth';

const fromContext = (context: Record<string, unknown>) => authFromContext((key) => context[key]);

describe('authFromContext', () => {
  it("uses the stack's Cognito user pool when no context is given", () => {
    expect(fromContext({})).toBe('cognito');
  });

  it('accepts auth=cognito, the default named', () => {
    expect(fromContext({ auth: 'cognito' })).toBe('cognito');
  });

  it('opens the API only for auth=none', () => {
    expect(fromContext({ auth: 'none' })).toBe('none');
  });

  it('reads a comma-separated audience from the command line', () => {
    expect(fromContext({ authIssuer: 'https://login.example.com', authAudience: 'a, b' })).toEqual({
      issuer: 'https://login.example.com',
      audience: ['a', 'b'],
    });
  });

  it('reads an audience list from cdk.json', () => {
    expect(fromContext({ authIssuer: 'https://login.example.com', authAudience: ['a'] })).toEqual({ issuer: 'https://login.example.com', audience: ['a'] });
  });

  it('refuses an unknown mode rather than deploying something the deployer did not ask for', () => {
    expect(() => fromContext({ auth: 'off' })).toThrow(/auth="off" is not a mode/);
  });

  it('refuses auth=none together with an issuer', () => {
    expect(() => fromContext({ auth: 'none', authIssuer: 'https://login.example.com', authAudience: 'a' })).toThrow(/cannot be combined/);
  });

  it('refuses an issuer without an audience, and an audience without an issuer', () => {
    expect(() => fromContext({ authIssuer: 'https://login.example.com' })).toThrow(/authIssuer is set but authAudience is not/);
    expect(() => fromContext({ authAudience: 'a' })).toThrow(/authAudience is set but authIssuer is not/);
  });
});

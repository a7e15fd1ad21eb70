import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../../lambdas/config';
import { orderQueriesFromEnv } from '../../../lambdas/handlers/runtime';

describe('orderQueriesFromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const tables = (): void => {
    vi.stubEnv('ORDERS_TABLE_NAME', 'orders');
    vi.stubEnv('READ_MODEL_TABLE_NAME', 'read-model');
  };

  it('starts without MIN_VERSION_WAIT_MS (no wait) and with an opt-in wait', () => {
    tables();
    expect(() => orderQueriesFromEnv()).not.toThrow();
    vi.stubEnv('MIN_VERSION_WAIT_MS', '250');
    expect(() => orderQueriesFromEnv()).not.toThrow();
  });

  it.each(['-1', '2.5', '5001', 'soon'])('refuses MIN_VERSION_WAIT_MS=%s at cold start, naming the variable', (value) => {
    tables();
    vi.stubEnv('MIN_VERSION_WAIT_MS', value);

    expect(() => orderQueriesFromEnv()).toThrow(ConfigurationError);
    expect(() => orderQueriesFromEnv()).toThrow(/MIN_VERSION_WAIT_MS/);
  });
});

import { defineConfig } from 'vitest/config';

// The SDK warns once per process that its 2027 releases need Node 22. Lambdas run on Node 22;
// local tooling supports Node 20, so the warning is noise in test output (see README).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Quiet logs and fake credentials; endpoints come from each tier's global setup. */
const env = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'orders',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
};

/** One temp folder per run, removed at its end (test/support/tmpdir-global-setup.ts). */
const TMPDIR_SETUP = 'test/support/tmpdir-global-setup.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: [TMPDIR_SETUP], env, testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        test: {
          name: 'dynamodb',
          include: ['test/dynamodb/**/*.test.ts'],
          globalSetup: [TMPDIR_SETUP, 'test/support/dynamodb-global-setup.ts'],
          env,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: [TMPDIR_SETUP, 'test/support/e2e-global-setup.ts'],
          env,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

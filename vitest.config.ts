import { defineConfig } from 'vitest/config';

// One real control plane (etcd, kube-apiserver, kube-controller-manager) and one
// real Redis per test run, started by the global setup and torn down after it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

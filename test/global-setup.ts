// Vitest global setup: one real control plane and Redis for the whole run,
// torn down afterwards even when tests fail. Tests find them through the
// environment (KUBECONFIG, TOLLGATE_REDIS_URL), as the product's own code would.
import { clusterDown, clusterUp } from './cluster/control-plane.js';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

let stateDir: string | undefined;

export async function setup(): Promise<void> {
  stateDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  // TOLLGATE_TEST_SKIP_KUBE=1 starts Redis only, for quick local runs of tests
  // that do not touch Kubernetes; those that do will fail without KUBECONFIG.
  const cluster = await clusterUp(stateDir, { kube: process.env.TOLLGATE_TEST_SKIP_KUBE !== '1' });
  Object.assign(process.env, cluster.env);
}

export async function teardown(): Promise<void> {
  if (stateDir) await clusterDown(stateDir);
}

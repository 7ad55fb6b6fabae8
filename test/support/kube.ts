// The test run's real apiserver: the pinned kubectl and a client-node KubeConfig.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';

const execFileAsync = promisify(execFile);

/** Runs the pinned kubectl (first on the PATH the global setup exports) against the test cluster. */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = execFileAsync('kubectl', args, { env: process.env, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  const { stdout } = await child;
  return stdout;
}

export function kubeConfig(): KubeConfig {
  if (!process.env.KUBECONFIG)
    throw new Error('KUBECONFIG is not set: is the global setup running Kubernetes?');
  const config = new KubeConfig();
  config.loadFromDefault();
  return config;
}

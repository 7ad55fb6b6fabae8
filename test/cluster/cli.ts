// npm run cluster:up | cluster:down — the local control plane in ./.cluster,
// for the demo and for poking at by hand (source .cluster/env).
import { resolve } from 'node:path';
import { clusterDown, clusterUp } from './control-plane.js';

const dir = resolve(process.env.TOLLGATE_CLUSTER_DIR ?? '.cluster');
const command = process.argv[2];

if (command === 'up') {
  const state = await clusterUp(dir);
  console.log(`control plane up: ${state.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
  console.log(`source ${dir}/env   # sets KUBECONFIG, TOLLGATE_REDIS_URL and PATH (pinned kubectl, helm)`);
} else if (command === 'down') {
  await clusterDown(dir);
  console.log('control plane down');
} else {
  console.error('usage: cluster up|down');
  process.exit(2);
}

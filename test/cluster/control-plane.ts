// The local control plane: etcd, kube-apiserver, kube-controller-manager and
// Redis, each a real process on a free loopback port. `clusterUp` starts them
// and waits until each is healthy; `clusterDown` stops them and removes state.
// Used by `npm run cluster:up|down`, the vitest global setup and the demo.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { kubeconfig, makePki, type Pki } from './certs.js';
import { freePort, isAlive, startProcess, stopProcess, waitUntilReady, type Started } from './processes.js';
import { startRedis } from './redis.js';
import { toolsPath } from './tools.js';

export interface ClusterEnv {
  KUBECONFIG: string;
  TOLLGATE_REDIS_URL: string;
  PATH: string;
}

interface State {
  processes: Started[];
  env: ClusterEnv;
}

const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): State | undefined {
  return existsSync(stateFile(dir)) ? (JSON.parse(readFileSync(stateFile(dir), 'utf8')) as State) : undefined;
}

/** GET `url` with the admin's client certificate; true on 200. */
async function healthy(url: string, pki: Pki): Promise<boolean> {
  const dispatcher = new Agent({
    connect: {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
      rejectUnauthorized: false,
    },
  });
  try {
    const response = await request(url, { dispatcher });
    await response.body.dump();
    return response.statusCode === 200;
  } finally {
    await dispatcher.close();
  }
}

async function startEtcd(dir: string, path: string): Promise<{ process: Started; url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const started = startProcess(
    'etcd',
    'etcd',
    [
      '--name=tollgate',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=tollgate=${peerUrl}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    dir,
    { PATH: path },
  );
  await waitUntilReady(
    started,
    async () => {
      const response = await request(`${url}/health`);
      return (
        response.statusCode === 200 && ((await response.body.json()) as { health?: string }).health === 'true'
      );
    },
    30_000,
  );
  return { process: started, url };
}

async function startApiserver(dir: string, path: string, etcdUrl: string, pki: Pki) {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const started = startProcess(
    'kube-apiserver',
    'kube-apiserver',
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      // The advertised address only feeds the "kubernetes" Service's endpoints, which may not be
      // loopback. With the endpoint reconciler off nothing is written or dialled there, so a
      // documentation address (RFC 5737, never routed) satisfies validation.
      '--advertise-address=192.0.2.1',
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      '--allow-privileged=true',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
    ],
    dir,
    { PATH: path },
  );
  await waitUntilReady(started, () => healthy(`${url}/readyz`, pki), 90_000);
  return { process: started, url };
}

async function startControllerManager(dir: string, path: string, apiserverUrl: string, pki: Pki) {
  const port = await freePort();
  const config = join(dir, 'controller-manager.kubeconfig');
  writeFileSync(
    config,
    kubeconfig(apiserverUrl, pki, { cert: pki.controllerManagerCert, key: pki.controllerManagerKey }),
  );
  const started = startProcess(
    'kube-controller-manager',
    'kube-controller-manager',
    [
      `--kubeconfig=${config}`,
      `--authentication-kubeconfig=${config}`,
      `--authorization-kubeconfig=${config}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      `--cert-dir=${join(dir, 'controller-manager-certs')}`,
    ],
    dir,
    { PATH: path },
  );
  await waitUntilReady(started, () => healthy(`https://127.0.0.1:${port}/healthz`, pki), 60_000);
  return { process: started };
}

export interface UpOptions {
  /** false: Redis only, no Kubernetes (a development shortcut; CI always runs everything). */
  kube?: boolean;
}

/** Starts everything under `dir`. If `dir` already runs a healthy cluster, returns it as it is. */
export async function clusterUp(dir: string, options: UpOptions = {}): Promise<State> {
  const existing = readState(dir);
  if (existing && existing.processes.every((p) => isAlive(p.pid))) return existing;
  if (existing) await clusterDown(dir);

  mkdirSync(dir, { recursive: true });
  const path = options.kube === false ? '' : toolsPath();
  const processes: Started[] = [];
  const save = (env: Partial<ClusterEnv>) =>
    writeFileSync(stateFile(dir), JSON.stringify({ processes, env }, null, 2));
  try {
    const redis = await startRedis(dir);
    processes.push(redis.process);
    save({});
    if (options.kube === false) {
      const env = { KUBECONFIG: '', TOLLGATE_REDIS_URL: redis.url, PATH: process.env.PATH ?? '' };
      save(env);
      return { processes, env };
    }
    mkdirSync(join(dir, 'pki'));
    const pki = makePki(join(dir, 'pki'));
    const etcd = await startEtcd(dir, path);
    processes.push(etcd.process);
    save({});
    const apiserver = await startApiserver(dir, path, etcd.url, pki);
    processes.push(apiserver.process);
    save({});
    const adminConfig = join(dir, 'admin.kubeconfig');
    writeFileSync(adminConfig, kubeconfig(apiserver.url, pki, { cert: pki.adminCert, key: pki.adminKey }));
    const controllerManager = await startControllerManager(dir, path, apiserver.url, pki);
    processes.push(controllerManager.process);

    const env: ClusterEnv = { KUBECONFIG: adminConfig, TOLLGATE_REDIS_URL: redis.url, PATH: path };
    save(env);
    writeFileSync(
      join(dir, 'env'),
      Object.entries(env)
        .map(([k, v]) => `export ${k}='${v}'\n`)
        .join(''),
    );
    return { processes, env };
  } catch (error) {
    await clusterDown(dir);
    throw error;
  }
}

/** Stops every process `clusterUp` started under `dir` (newest first) and removes its state. */
export async function clusterDown(dir: string): Promise<void> {
  const state = readState(dir);
  for (const started of [...(state?.processes ?? [])].reverse()) await stopProcess(started.pid);
  rmSync(dir, { recursive: true, force: true });
}

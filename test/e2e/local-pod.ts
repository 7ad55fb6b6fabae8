// There is no kubelet here, so a container of a STORED pod runs as a local
// process: its command mapped onto the built binary, its environment resolved
// the way the kubelet resolves it (downward API, Secrets, ConfigMaps, $(VAR)).
// A pod has its own network namespace and /tmp; locally, the stand-ins are a
// loopback address of its own (all of 127.0.0.0/8 is loopback on Linux) and a
// fresh temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../support/wait.js';

const root = new URL('../../', import.meta.url).pathname;
/** The image's `tollgate` is package.json's bin: the built dist/cli.js. */
export const cli = join(root, 'dist/cli.js');

/** A loopback address no other test uses, standing in for the pod's own network namespace. */
export function podLoopback(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(2, 255)}`;
}

const OWN_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0']);

/** "127.0.0.1:15500" or "http://127.0.0.1:15500/x" as seen from inside the pod -> the same on `ip`. */
export function onPodAddress(ip: string, value: string): string {
  if (/^[a-z]+:\/\//.test(value)) {
    const url = new URL(value);
    if (!OWN_HOSTS.has(url.hostname)) throw new Error(`${value} does not address the pod itself`);
    url.hostname = ip;
    return url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
  }
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match || !OWN_HOSTS.has(match[1]!)) throw new Error(`${value} is not a host:port of the pod itself`);
  return `${ip}:${match[2]}`;
}

/** metadata.name, metadata.labels['app'], spec.serviceAccountName, ... read from the stored pod. */
function downwardValue(pod: V1Pod, fieldPath: string): string {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) return pod.metadata?.[keyed[1] as 'labels' | 'annotations']?.[keyed[2]!] ?? '';
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
  };
  if (!(fieldPath in fields)) throw new Error(`downward API field ${fieldPath} is not emulated here`);
  return fields[fieldPath] ?? '';
}

/** $(NAME) takes an earlier variable's value, $$ escapes, an unknown name stays as written. */
function expand(value: string, earlier: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) =>
    name === undefined ? '$' : (earlier[name] ?? whole),
  );
}

async function envValue(core: CoreV1Api, pod: V1Pod, variable: V1EnvVar): Promise<string> {
  const from = variable.valueFrom;
  if (!from) return variable.value ?? '';
  const namespace = pod.metadata?.namespace ?? 'default';
  if (from.fieldRef) return downwardValue(pod, from.fieldRef.fieldPath);
  if (from.secretKeyRef) {
    const secret = await core.readNamespacedSecret({ name: from.secretKeyRef.name!, namespace });
    const data = secret.data?.[from.secretKeyRef.key];
    return data === undefined ? '' : Buffer.from(data, 'base64').toString('utf8');
  }
  if (from.configMapKeyRef) {
    const map = await core.readNamespacedConfigMap({ name: from.configMapKeyRef.name!, namespace });
    return map.data?.[from.configMapKeyRef.key] ?? '';
  }
  throw new Error(`${variable.name}: resourceFieldRef is not emulated here`);
}

/** The container's environment exactly as the kubelet would hand it to the process. */
export async function containerEnv(
  core: CoreV1Api,
  pod: V1Pod,
  container: V1Container,
): Promise<Record<string, string>> {
  if (container.envFrom?.length) throw new Error(`${container.name}: envFrom is not emulated here`);
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    env[variable.name] = expand(await envValue(core, pod, variable), env);
  }
  return env;
}

/** ["tollgate", "sidecar", ...args] -> [dist/cli.js, "sidecar", ...args]. */
export function binaryArgs(container: V1Container): string[] {
  const [binary, ...rest] = [...(container.command ?? []), ...(container.args ?? [])];
  if (binary !== 'tollgate') throw new Error(`${container.name} runs ${binary}, not the tollgate binary`);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  return [cli, ...rest];
}

export interface LocalContainer {
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (the pod's terminationGracePeriodSeconds); resolves to the exit code. */
  stop(graceMs: number): Promise<number | null>;
}

/** Starts the container's command with `env` and nothing else (a container inherits no host env). */
export function runContainer(container: V1Container, env: Record<string, string>): LocalContainer {
  const tmp = mkdtempSync(join(tmpdir(), `tollgate-e2e-${container.name}-`));
  // The pod's /tmp emptyDir: node and the ledger's default spool path follow TMPDIR.
  const child: ChildProcess = spawn(process.execPath, binaryArgs(container), {
    env: { ...env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  return {
    output: () => output,
    stop(graceMs) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited.finally(() => clearTimeout(timer));
        }
        rmSync(tmp, { recursive: true, force: true });
        return child.exitCode;
      })();
      return stopping;
    },
  };
}

/** Polls the container's own readinessProbe (httpGet) on the pod's address, as the kubelet would. */
export async function waitUntilReady(
  container: V1Container,
  ip: string,
  running: LocalContainer,
  accept: (body: unknown) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<void> {
  const probe = container.readinessProbe?.httpGet;
  if (!probe) throw new Error(`${container.name} has no httpGet readinessProbe`);
  const port =
    typeof probe.port === 'number'
      ? probe.port
      : container.ports?.find((p) => p.name === probe.port)?.containerPort;
  const url = `http://${ip}:${port}${probe.path ?? '/'}`;
  try {
    await waitFor(
      `${container.name} ready at ${url}`,
      async () => {
        const response = await fetch(url);
        return response.ok && accept(await response.json());
      },
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${container.name} output:\n${running.output()}`);
  }
}

// The five things the load generator calls, each started as its own process
// on loopback: the simulated upstream (= "direct"), the pass-through proxy,
// the built Tollgate sidecar, Portkey's gateway and LiteLLM's proxy. Proxies
// under test run on core 1 (taskset) when the machine has two cores.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import {
  freePort,
  startProcess,
  stopProcess,
  waitUntilReady,
  type Started,
} from '../test/cluster/processes.js';
import type { CallSpec } from './load.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const deps = join(root, 'bench/.deps');
const tsxLoader = import.meta.resolve('tsx');
export const MODEL = 'gpt-4o-mini';

export interface Target {
  name: string;
  pid: number;
  /** The chat completion call this target serves, streaming or not. */
  call(stream: boolean): CallSpec;
  stop(): Promise<void>;
}

function chatBody(stream: boolean): string {
  return JSON.stringify({
    model: MODEL,
    messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    ...(stream ? { stream: true } : {}),
  });
}

const JSON_HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };

async function launch(
  name: string,
  stateDir: string,
  command: string[],
  env: Record<string, string>,
  readyUrl: string,
  pinToCore1: boolean,
): Promise<Started> {
  const [program = '', ...args] = pinToCore1 ? ['taskset', '-c', '1', ...command] : command;
  const started = startProcess(name, program, args, stateDir, env);
  // Any HTTP answer means it listens; whether it serves chat calls is checked by the caller.
  await waitUntilReady(started, async () => (await fetch(readyUrl)).status > 0, 120_000);
  return started;
}

function target(name: string, started: Started, call: (stream: boolean) => CallSpec): Target {
  return { name, pid: started.pid, call, stop: () => stopProcess(started.pid) };
}

export async function startUpstream(stateDir: string): Promise<Target> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const started = await launch(
    'upstream',
    stateDir,
    [process.execPath, '--import', tsxLoader, join(root, 'bench/upstream.ts')],
    { PORT: String(port) },
    `${origin}/v1/models`,
    false,
  );
  return target('direct', started, (stream) => ({
    origin,
    path: '/v1/chat/completions',
    headers: JSON_HEADERS,
    body: chatBody(stream),
  }));
}

export async function startPassthrough(stateDir: string, upstream: string, pin: boolean): Promise<Target> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const started = await launch(
    'passthrough',
    stateDir,
    [process.execPath, '--import', tsxLoader, join(root, 'bench/passthrough.ts')],
    { PORT: String(port), UPSTREAM: upstream },
    `${origin}/openai/v1/models`,
    pin,
  );
  return target('passthrough', started, (stream) => ({
    origin,
    path: '/openai/v1/chat/completions',
    headers: JSON_HEADERS,
    body: chatBody(stream),
  }));
}

/** A ModelPrice for the benchmark's model, so every call is priced. */
function writePrices(stateDir: string): string {
  const file = join(stateDir, 'prices.yaml');
  const price = {
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'ModelPrice',
    metadata: { name: 'bench-gpt-4o-mini' },
    spec: {
      provider: 'openai',
      model: MODEL,
      currency: 'USD',
      prices: { input: '0.15', cachedInput: '0.075', output: '0.60' },
    },
  };
  writeFileSync(file, stringify(price));
  return file;
}

export async function startTollgate(
  stateDir: string,
  upstream: string,
  redisUrl: string,
  team: string,
  pin: boolean,
): Promise<Target & { adminUrl: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const origin = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const started = await launch(
    'sidecar',
    stateDir,
    [process.execPath, join(root, 'dist/cli.js'), 'sidecar'],
    {
      TOLLGATE_TEAM: team,
      TOLLGATE_NAMESPACE: 'bench',
      TOLLGATE_POD: 'bench-0',
      TOLLGATE_JOB: 'bench-load',
      TOLLGATE_LISTEN: `127.0.0.1:${port}`,
      TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TOLLGATE_REDIS_URL: redisUrl,
      TOLLGATE_UPSTREAM_OPENAI: upstream,
      TOLLGATE_PRICES_FILE: writePrices(stateDir),
      TOLLGATE_SPOOL_PATH: join(stateDir, 'spool.jsonl'),
      TOLLGATE_LOG_LEVEL: 'info',
    },
    `${adminUrl}/readyz`,
    pin,
  );
  return {
    ...target('tollgate', started, (stream) => ({
      origin,
      path: '/openai/v1/chat/completions',
      headers: JSON_HEADERS,
      body: chatBody(stream),
    })),
    adminUrl,
  };
}

export async function startPortkey(stateDir: string, upstream: string, pin: boolean): Promise<Target> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = join(deps, 'portkey/node_modules/@portkey-ai/gateway/build/start-server.js');
  const started = await launch(
    'portkey',
    stateDir,
    [
      process.execPath,
      '--import',
      join(root, 'bench/loopback-only.js'),
      server,
      `--port=${port}`,
      '--headless',
    ],
    { NODE_ENV: 'production' },
    `${origin}/`,
    pin,
  );
  // A plain pass-through: provider "openai" at a custom host, the documented
  // way to point the gateway at any OpenAI-compatible server; no config, no cache, no retries.
  return target('portkey', started, (stream) => ({
    origin,
    path: '/v1/chat/completions',
    headers: {
      ...JSON_HEADERS,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstream}/v1`,
    },
    body: chatBody(stream),
  }));
}

export async function startLitellm(stateDir: string, upstream: string, pin: boolean): Promise<Target> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = join(stateDir, 'litellm.yaml');
  // LiteLLM refuses to start without a strong master key; callers present it.
  const masterKey = `sk-${randomBytes(32).toString('hex')}`;
  // One model pointing at the upstream; no database, cache or logging
  // callbacks: the least LiteLLM's proxy does per call.
  writeFileSync(
    config,
    stringify({
      model_list: [
        {
          model_name: MODEL,
          litellm_params: { model: `openai/${MODEL}`, api_base: `${upstream}/v1`, api_key: 'sk-bench' },
        },
      ],
      litellm_settings: { set_verbose: false, telemetry: false, callbacks: [], success_callback: [] },
      general_settings: { master_key: masterKey, disable_spend_logs: true, disable_error_logs: true },
    }),
  );
  const started = await launch(
    'litellm',
    stateDir,
    [
      join(deps, 'litellm/bin/litellm'),
      '--config',
      config,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--num_workers',
      '1',
    ],
    // The bundled model cost map, not a download at start-up; warnings only.
    { LITELLM_LOCAL_MODEL_COST_MAP: 'True', LITELLM_LOG: 'ERROR', NO_DOCS: 'True' },
    `${origin}/health/liveliness`,
    pin,
  );
  return target('litellm', started, (stream) => ({
    origin,
    path: '/v1/chat/completions',
    headers: { ...JSON_HEADERS, authorization: `Bearer ${masterKey}` },
    body: chatBody(stream),
  }));
}

// The sidecar's configuration, from the environment the injector sets. Identity
// comes from here and nowhere else: a caller can never choose whose budget it spends.
//
//   TOLLGATE_TEAM (required), TOLLGATE_NAMESPACE, TOLLGATE_POD, TOLLGATE_JOB
//   TOLLGATE_LISTEN         proxy address, default 127.0.0.1:15500 (loopback: only this pod can spend)
//   TOLLGATE_ADMIN_LISTEN   /metrics /healthz /readyz, default 0.0.0.0:15501
//   TOLLGATE_REDIS_URL      required; several comma-separated URLs mean a Redis Cluster's seed nodes
//   TOLLGATE_UPSTREAM_OPENAI | _ANTHROPIC | _GEMINI   provider base URLs (default: the public APIs)
//   TOLLGATE_UPSTREAMS      more OpenAI-compatible upstreams: "name=url,name=url"; each is served
//                           at /<name>/... and recorded and priced as provider <name>
//   TOLLGATE_PRICES_FILE    multi-document YAML of ModelPrice resources; unset: prices from Redis
//   TOLLGATE_MAX_BODY_BYTES request body limit, default 33554432 (32 MiB)
//   TOLLGATE_UPSTREAM_TIMEOUT_MS  wait for response headers, and between body chunks; default 600000
//   TOLLGATE_SPOOL_PATH     the ledger's spool file while Redis is away; default
//                           <os.tmpdir()>/tollgate/ledger-spool.jsonl, because the injected
//                           container's root file system is read-only and its one writable
//                           mount is an emptyDir at /tmp (operator/webhook/sidecar-container.ts)
//   TOLLGATE_POLICY_FILE    a TeamBudget YAML for standalone use; unset: the policy from Redis
//   TOLLGATE_ENFORCE_TIMEOUT_MS  bound on the reserve round trip before failMode decides; default 250
//   TOLLGATE_SHUTDOWN_GRACE_MS  on SIGTERM, how long in-flight calls may finish before they are
//                           stopped and recorded as estimates; default 20000 (fits Kubernetes'
//                           default terminationGracePeriodSeconds of 30 with room for the flush)
//   TOLLGATE_LOG_LEVEL      pino level, default info

import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Identity {
  team: string;
  namespace: string;
  pod: string;
  job: string;
}

export type ProviderKind = 'openai' | 'anthropic' | 'gemini';

export interface Upstream {
  /** First path segment that selects this upstream, e.g. "openai" for /openai/v1/... */
  prefix: string;
  /** Provider name used for prices, records and metrics. */
  provider: string;
  /** Which wire format it speaks. */
  kind: ProviderKind;
  baseUrl: URL;
}

export interface Address {
  host: string;
  port: number;
}

export interface SidecarConfig {
  identity: Identity;
  listen: Address;
  adminListen: Address;
  redisUrls: string[];
  upstreams: Upstream[];
  pricesFile?: string;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  /** Always under a writable directory; see TOLLGATE_SPOOL_PATH above. */
  spoolPath: string;
  /** TeamBudget YAML (standalone); unset: the operator's copy in Redis. */
  policyFile?: string;
  /** Bound on each enforcement Redis call; past it, the team's failMode decides. */
  enforceTimeoutMs: number;
  /** On close, in-flight calls get this long before their upstream calls are aborted. */
  shutdownGraceMs: number;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid sidecar configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const PUBLIC_UPSTREAMS: Record<ProviderKind, string> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SidecarConfig {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const address = (name: string, fallback: string): Address => {
    const value = text(name) ?? fallback;
    const match = /^(.*):(\d{1,5})$/.exec(value);
    const port = match ? Number(match[2]) : NaN;
    if (!match || !match[1] || port > 65535) {
      problems.push(`${name} must be host:port, got ${JSON.stringify(value)}`);
      return { host: '127.0.0.1', port: 0 };
    }
    return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
  };

  const positiveInt = (name: string, fallback: number): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0)
      problems.push(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };

  const url = (name: string, value: string): URL | undefined => {
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
      return parsed;
    } catch {
      problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
      return undefined;
    }
  };

  const team = text('TOLLGATE_TEAM');
  if (team === undefined) problems.push('TOLLGATE_TEAM is required (the team this pod spends for)');

  const upstreams: Upstream[] = [];
  for (const kind of Object.keys(PUBLIC_UPSTREAMS) as ProviderKind[]) {
    const name = `TOLLGATE_UPSTREAM_${kind.toUpperCase()}`;
    const baseUrl = url(name, text(name) ?? PUBLIC_UPSTREAMS[kind]);
    if (baseUrl) upstreams.push({ prefix: kind, provider: kind, kind, baseUrl });
  }
  for (const entry of (text('TOLLGATE_UPSTREAMS') ?? '').split(',').filter((e) => e.trim() !== '')) {
    const [name = '', ...rest] = entry.trim().split('=');
    const value = rest.join('=');
    if (!NAME.test(name) || name in PUBLIC_UPSTREAMS || upstreams.some((u) => u.prefix === name)) {
      problems.push(`TOLLGATE_UPSTREAMS: ${JSON.stringify(name)} must be a unique lowercase DNS label`);
      continue;
    }
    const baseUrl = url(`TOLLGATE_UPSTREAMS (${name})`, value);
    if (baseUrl) upstreams.push({ prefix: name, provider: name, kind: 'openai', baseUrl });
  }

  const redisUrls = (text('TOLLGATE_REDIS_URL') ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (redisUrls.length === 0) problems.push('TOLLGATE_REDIS_URL is required (where usage is recorded)');
  for (const redisUrl of redisUrls) {
    if (!/^rediss?:\/\//.test(redisUrl))
      problems.push(`TOLLGATE_REDIS_URL must be redis:// or rediss://, got ${JSON.stringify(redisUrl)}`);
  }

  const config: SidecarConfig = {
    identity: {
      team: team ?? '',
      namespace: text('TOLLGATE_NAMESPACE') ?? '',
      pod: text('TOLLGATE_POD') ?? '',
      job: text('TOLLGATE_JOB') ?? '',
    },
    listen: address('TOLLGATE_LISTEN', '127.0.0.1:15500'),
    adminListen: address('TOLLGATE_ADMIN_LISTEN', '0.0.0.0:15501'),
    redisUrls,
    upstreams,
    maxBodyBytes: positiveInt('TOLLGATE_MAX_BODY_BYTES', 32 * 1024 * 1024),
    upstreamTimeoutMs: positiveInt('TOLLGATE_UPSTREAM_TIMEOUT_MS', 600_000),
    enforceTimeoutMs: positiveInt('TOLLGATE_ENFORCE_TIMEOUT_MS', 250),
    shutdownGraceMs: positiveInt('TOLLGATE_SHUTDOWN_GRACE_MS', 20_000),
    spoolPath: text('TOLLGATE_SPOOL_PATH') ?? join(tmpdir(), 'tollgate', 'ledger-spool.jsonl'),
    logLevel: text('TOLLGATE_LOG_LEVEL') ?? 'info',
  };
  const pricesFile = text('TOLLGATE_PRICES_FILE');
  if (pricesFile !== undefined) config.pricesFile = pricesFile;
  const policyFile = text('TOLLGATE_POLICY_FILE');
  if (policyFile !== undefined) config.policyFile = policyFile;

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

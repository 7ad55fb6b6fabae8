import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../sidecar/config.js';

const base = { TOLLGATE_TEAM: 'payments', TOLLGATE_REDIS_URL: 'redis://redis:6379' };

describe('sidecar config', () => {
  it('applies the contract defaults', () => {
    const config = loadConfig(base);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 15500 });
    expect(config.adminListen).toEqual({ host: '0.0.0.0', port: 15501 });
    expect(config.upstreams.map((u) => [u.prefix, u.baseUrl.origin])).toEqual([
      ['openai', 'https://api.openai.com'],
      ['anthropic', 'https://api.anthropic.com'],
      ['gemini', 'https://generativelanguage.googleapis.com'],
    ]);
    expect(config.pricesFile).toBeUndefined();
    expect(config.policyFile).toBeUndefined();
    expect(config.enforceTimeoutMs).toBe(250);
    expect(config.shutdownGraceMs).toBe(20_000);
    // The pod's root file system is read-only; the chart mounts a writable emptyDir at /tmp.
    expect(config.spoolPath).toBe(join(tmpdir(), 'tollgate', 'ledger-spool.jsonl'));
  });

  it('takes the policy file and the enforcement timeout from the environment', () => {
    const config = loadConfig({
      ...base,
      TOLLGATE_POLICY_FILE: '/etc/tollgate/teambudget.yaml',
      TOLLGATE_ENFORCE_TIMEOUT_MS: '40',
    });
    expect(config.policyFile).toBe('/etc/tollgate/teambudget.yaml');
    expect(config.enforceTimeoutMs).toBe(40);
    expect(() => loadConfig({ ...base, TOLLGATE_ENFORCE_TIMEOUT_MS: '0' })).toThrow(
      /TOLLGATE_ENFORCE_TIMEOUT_MS must be a positive integer/,
    );
  });

  it('declares extra OpenAI-compatible upstreams under their own prefix', () => {
    const config = loadConfig({
      ...base,
      TOLLGATE_UPSTREAMS: 'vllm=http://vllm.ml:8000, azure=https://x.openai.azure.com/openai',
    });
    expect(config.upstreams.slice(3).map((u) => [u.prefix, u.kind, u.baseUrl.href])).toEqual([
      ['vllm', 'openai', 'http://vllm.ml:8000/'],
      ['azure', 'openai', 'https://x.openai.azure.com/openai'],
    ]);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        TOLLGATE_LISTEN: 'nowhere',
        TOLLGATE_UPSTREAM_OPENAI: 'ftp://x',
        TOLLGATE_UPSTREAMS: 'openai=http://a',
        TOLLGATE_MAX_BODY_BYTES: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'TOLLGATE_TEAM',
      'TOLLGATE_REDIS_URL',
      'TOLLGATE_LISTEN',
      'TOLLGATE_UPSTREAM_OPENAI',
      'TOLLGATE_UPSTREAMS',
      'TOLLGATE_MAX_BODY_BYTES',
    ])
      expect(problems).toContain(name);
  });
});

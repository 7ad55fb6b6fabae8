// One enforcer per sidecar, shared by the policy, reserve and settle stages:
// its policy comes from the config's policyFile when set (standalone), else
// from the operator's copy in Redis. config.enforceTimeoutMs bounds the
// reserve round trip before failMode decides.
import type { StageDeps } from '../pipeline/context.js';
import { createEnforcer, type Enforcer } from './enforcer.js';
import { filePolicySource, redisPolicySource, type PolicySource } from './policy-source.js';
import { preloadReserveScript } from './reserve.js';
import { withTimeout } from './timeout.js';

export interface Enforcement {
  enforcer: Enforcer;
  source: PolicySource;
}

const started = new WeakMap<StageDeps, Promise<Enforcement>>();

async function start(deps: StageDeps): Promise<Enforcement> {
  const { config, log: logger } = deps;
  const team = config.identity.team;
  const source = config.policyFile
    ? await filePolicySource({ team, path: config.policyFile, logger })
    : await redisPolicySource({ team, redis: deps.redis, logger, timeoutMs: config.enforceTimeoutMs });
  const enforcer = createEnforcer({
    team,
    redis: deps.redis,
    redisTimeoutMs: config.enforceTimeoutMs,
    policy: () => source.current(),
    logger,
    registry: deps.metrics.registry,
  });
  // Warm start: the first calls' reserve round trip must not pay for a cold
  // connection and a NOSCRIPT retry, or they would hit the timeout and fall to failMode.
  await withTimeout(preloadReserveScript(deps.redis), 2_000, 'loading reserve.lua').catch((error: Error) =>
    logger.warn({ team, err: error.message }, 'reserve.lua not preloaded; the first call will load it'),
  );
  return { enforcer, source };
}

/** Starts enforcement once per sidecar; main may await it to fail fast on a bad policy file. */
export function enforcementFor(deps: StageDeps): Promise<Enforcement> {
  let enforcement = started.get(deps);
  if (!enforcement) {
    enforcement = start(deps);
    started.set(deps, enforcement);
  }
  return enforcement;
}

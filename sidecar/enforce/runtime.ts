// One enforcer per sidecar, shared by the policy, reserve and settle stages:
// its policy comes from TOLLGATE_POLICY_FILE when set (standalone), else from
// the operator's copy in Redis. TOLLGATE_ENFORCE_TIMEOUT_MS (default 250)
// bounds the reserve round trip before failMode decides.
import type { StageDeps } from '../pipeline/context.js';
import { createEnforcer, type Enforcer } from './enforcer.js';
import { filePolicySource, redisPolicySource, type PolicySource } from './policy-source.js';
import { preloadReserveScript } from './reserve.js';
import { withTimeout } from './timeout.js';

export interface Enforcement {
  enforcer: Enforcer;
  source: PolicySource;
}

const DEFAULT_TIMEOUT_MS = 250;
const started = new WeakMap<StageDeps, Promise<Enforcement>>();

async function start(deps: StageDeps, env: NodeJS.ProcessEnv): Promise<Enforcement> {
  const team = deps.config.identity.team;
  const logger = deps.log;
  const file = env.TOLLGATE_POLICY_FILE?.trim();
  const source = file
    ? await filePolicySource({ team, path: file, logger })
    : await redisPolicySource({ team, redis: deps.redis, logger });
  const timeout = Number(env.TOLLGATE_ENFORCE_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
  const enforcer = createEnforcer({
    team,
    redis: deps.redis,
    redisTimeoutMs: Number.isSafeInteger(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
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
export function enforcementFor(deps: StageDeps, env: NodeJS.ProcessEnv = process.env): Promise<Enforcement> {
  let enforcement = started.get(deps);
  if (!enforcement) {
    enforcement = start(deps, env);
    started.set(deps, enforcement);
  }
  return enforcement;
}

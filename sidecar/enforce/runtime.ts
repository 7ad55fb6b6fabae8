// One enforcer per sidecar, shared by the policy, reserve and settle stages:
// its policy comes from TOLLGATE_POLICY_FILE when set (standalone), else from
// the operator's copy in Redis.
import type { StageDeps } from '../pipeline/context.js';
import { createEnforcer, type Enforcer } from './enforcer.js';
import { filePolicySource, redisPolicySource, type PolicySource } from './policy-source.js';

export interface Enforcement {
  enforcer: Enforcer;
  source: PolicySource;
}

const started = new WeakMap<StageDeps, Promise<Enforcement>>();

async function start(deps: StageDeps, env: NodeJS.ProcessEnv): Promise<Enforcement> {
  const team = deps.config.identity.team;
  const logger = deps.log;
  const file = env.TOLLGATE_POLICY_FILE?.trim();
  const source = file
    ? await filePolicySource({ team, path: file, logger })
    : await redisPolicySource({ team, redis: deps.redis, logger });
  const enforcer = createEnforcer({
    team,
    redis: deps.redis,
    policy: () => source.current(),
    logger,
    registry: deps.metrics.registry,
  });
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

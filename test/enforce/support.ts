// Shared pieces of the enforcement tests: a TeamBudget file for the sidecar,
// a price list, and simulated usage that honours what the request allowed
// (input no larger than the body, output no larger than max_tokens), as a
// real provider's would.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ModelPriceSpec, TeamBudgetSpec } from '../../core/types.js';
import { startHarness, type Harness, type HarnessOptions } from '../sidecar/harness.js';
import type { SimulatedUsage } from '../upstream/simulated-provider.js';

export const MODEL = 'gpt-4o';
/** $2.50 in, $10 out per 1M tokens: one output token is exactly 10 micro-USD. */
export const PRICES: ModelPriceSpec[] = [
  { provider: 'openai', model: MODEL, currency: 'USD', prices: { input: '2.50', output: '10' } },
];
export const INPUT_PICO = 2_500_000n;
export const OUTPUT_PICO = 10_000_000n;

export function policyFile(spec: TeamBudgetSpec): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tollgate-enforce-')), 'teambudget.yaml');
  writeFileSync(
    path,
    stringify({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'TeamBudget',
      metadata: { name: 'catalog' },
      spec,
    }),
  );
  return path;
}

/** Output is `share` of max_tokens; input a quarter of the body's bytes. */
export function honestUsage(share = 1) {
  return (call: { body: unknown }): SimulatedUsage => {
    const body = (call.body ?? {}) as { max_tokens?: number };
    return {
      input: Math.ceil(JSON.stringify(call.body ?? null).length / 4),
      cachedInput: 0,
      cacheWrite: 0,
      output: Math.max(1, Math.floor((body.max_tokens ?? 16) * share)),
      reasoning: 0,
    };
  };
}

/** Pico-USD of one simulated call under `usage`. */
export function picoOf(usage: SimulatedUsage): bigint {
  return BigInt(usage.input) * INPUT_PICO + BigInt(usage.output) * OUTPUT_PICO;
}

/**
 * A generous Redis timeout for tests about atomicity, so a loaded test machine
 * cannot turn a slow answer into failMode's decision.
 */
export const PATIENT_TIMEOUT: Record<string, string> = { TOLLGATE_ENFORCE_TIMEOUT_MS: '5000' };

/** A sidecar harness enforcing `spec` from a TeamBudget file (TOLLGATE_POLICY_FILE). */
export async function startEnforcingHarness(
  spec: TeamBudgetSpec,
  options: HarnessOptions = {},
  enforceEnv: Record<string, string> = {},
): Promise<Harness> {
  return startHarness({
    prices: PRICES,
    ...options,
    env: { TOLLGATE_POLICY_FILE: policyFile(spec), ...enforceEnv, ...options.env },
  });
}

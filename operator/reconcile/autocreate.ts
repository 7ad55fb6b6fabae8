// Reconciler (d): every team that spends gets a TeamBudget, so
// `kubectl get teambudgets` lists them all. Teams come from traffic (the
// ledger's team set) and from namespaces labelled tollgate.dev/team=<team>.
import type { TeamBudget } from '../../core/types.js';
import { API_VERSION } from '../../core/types.js';
import { isConflict, teamBudgets, type KubeClients } from '../kube.js';

export const TEAM_LABEL = 'tollgate.dev/team';
export const AUTO_CREATED_LABEL = 'tollgate.dev/auto-created';

/** A TeamBudget's name is the team, so only DNS labels qualify. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function missingTeams(seen: Iterable<string>, budgets: TeamBudget[]): string[] {
  const existing = new Set(budgets.map((b) => b.metadata.name));
  return [...new Set(seen)].filter((team) => DNS_LABEL.test(team) && !existing.has(team)).sort();
}

/**
 * Tracking only: no limit, so nothing is blocked until someone sets one.
 * Carries the operator's scope labels, so the budget lands in its own scope.
 */
export function trackingBudget(team: string, scopeLabels: Readonly<Record<string, string>> = {}): TeamBudget {
  return {
    apiVersion: API_VERSION,
    kind: 'TeamBudget',
    metadata: { name: team, labels: { ...scopeLabels, [AUTO_CREATED_LABEL]: 'true' } },
    spec: { period: 'Monthly', enforcement: 'Soft' },
  };
}

/**
 * Returns the teams created. A 409 means the budget exists, possibly outside
 * this operator's scope (another install's team): left alone.
 */
export async function createMissingBudgets(
  kube: KubeClients,
  teams: string[],
  scopeLabels: Readonly<Record<string, string>> = {},
): Promise<string[]> {
  const created: string[] = [];
  for (const team of teams) {
    try {
      await kube.custom.createClusterCustomObject({
        ...teamBudgets,
        body: trackingBudget(team, scopeLabels),
      });
      created.push(team);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  return created;
}

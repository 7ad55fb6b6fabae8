// Pods in team namespaces that run without the sidecar, per team. The
// webhook's failurePolicy may let a pod through uninjected (or it was created
// before its namespace got the team label); its calls are then unmetered, so
// they must at least be visible. Pure: the pod informer supplies the pods.
import type { V1Pod } from '@kubernetes/client-node';
import { INJECTED_LABEL, INJECT_LABEL } from './webhook/mutate.js';

export interface SidecarGaps {
  /** Unfinished pods neither injected nor opted out. */
  withoutSidecar: number;
  /** Unfinished pods labelled tollgate.dev/inject=false: a choice, not a gap. */
  optedOut: number;
  /** `namespace/name` of the first few pods without the sidecar, sorted so status does not flap. */
  examples: string[];
}

export const MAX_EXAMPLES = 5;
export const NO_GAPS: SidecarGaps = { withoutSidecar: 0, optedOut: 0, examples: [] };

const FINISHED_PHASES = ['Succeeded', 'Failed'];

type PodState = 'injected' | 'optedOut' | 'withoutSidecar' | 'finished';

export function podState(pod: V1Pod): PodState {
  if (FINISHED_PHASES.includes(pod.status?.phase ?? '')) return 'finished';
  const labels = pod.metadata?.labels ?? {};
  if (labels[INJECTED_LABEL] === 'true') return 'injected';
  if (labels[INJECT_LABEL] === 'false') return 'optedOut';
  return 'withoutSidecar';
}

/**
 * Per team, from the pods and the team label of each namespace; teams with no
 * gap are absent. Given `teamsInScope` (the operator's TeamBudgets), pods of
 * other teams are not attributed: they are another install's to count.
 */
export function sidecarGapsByTeam(
  pods: readonly V1Pod[],
  teamOfNamespace: ReadonlyMap<string, string>,
  teamsInScope?: ReadonlySet<string>,
): Map<string, SidecarGaps> {
  const names = new Map<string, string[]>();
  const optedOut = new Map<string, number>();
  for (const pod of pods) {
    const namespace = pod.metadata?.namespace ?? '';
    const team = teamOfNamespace.get(namespace);
    if (!team || (teamsInScope && !teamsInScope.has(team))) continue;
    const state = podState(pod);
    if (state === 'optedOut') optedOut.set(team, (optedOut.get(team) ?? 0) + 1);
    if (state !== 'withoutSidecar') continue;
    let list = names.get(team);
    if (!list) names.set(team, (list = []));
    list.push(`${namespace}/${pod.metadata?.name ?? ''}`);
  }
  const gaps = new Map<string, SidecarGaps>();
  for (const team of new Set([...names.keys(), ...optedOut.keys()])) {
    const list = (names.get(team) ?? []).sort();
    gaps.set(team, {
      withoutSidecar: list.length,
      optedOut: optedOut.get(team) ?? 0,
      examples: list.slice(0, MAX_EXAMPLES),
    });
  }
  return gaps;
}

// The injection decision and its JSON patch, as a pure function of the
// admission request, the namespace's team and the resolved workload.
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { pointerSegment, type AdmissionRequest, type PatchOperation } from './admission.js';
import type { InjectionConfig } from './config.js';
import { planRouting } from './sdk-routing.js';
import { SIDECAR_NAME, sidecarContainer, sidecarTmpVolume } from './sidecar-container.js';

export const TEAM_LABEL = 'tollgate.dev/team';
export const INJECT_LABEL = 'tollgate.dev/inject';
export const INJECTED_LABEL = 'tollgate.dev/injected';
export const UNMETERED_ANNOTATION = 'tollgate.dev/unmetered';
export const ALWAYS_EXCLUDED_NAMESPACES = ['kube-system', 'kube-public'];

export interface MutationInput {
  request: AdmissionRequest;
  /** The value of the pod's namespace's tollgate.dev/team label, if any. */
  team: string | undefined;
  workload: string;
  config: InjectionConfig;
}

export type MutationResult =
  { injected: true; patch: PatchOperation[]; warnings: string[] } | { injected: false; reason: string };

/** Why a pod is left exactly as it is, or undefined if it should be injected. */
export function skipReason(request: AdmissionRequest, team: string | undefined, config: InjectionConfig) {
  const pod = request.object;
  const namespace = request.namespace ?? '';
  if (request.kind.kind !== 'Pod' || request.operation !== 'CREATE' || !pod) return 'not a pod creation';
  if (ALWAYS_EXCLUDED_NAMESPACES.includes(namespace) || config.excludedNamespaces.includes(namespace))
    return `namespace ${namespace} is never injected`;
  if (!team) return `namespace ${namespace} has no ${TEAM_LABEL} label`;
  if (pod.metadata?.labels?.[INJECT_LABEL] === 'false') return `pod is labelled ${INJECT_LABEL}=false`;
  if (hasSidecar(pod)) return 'already injected';
  return undefined;
}

function hasSidecar(pod: V1Pod): boolean {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.some((c) => c.name === SIDECAR_NAME);
}

export function mutatePod(input: MutationInput): MutationResult {
  const { request, team, workload, config } = input;
  const reason = skipReason(request, team, config);
  if (reason !== undefined || !team) return { injected: false, reason: reason ?? 'no team' };
  const pod = request.object as V1Pod;
  const spec = pod.spec ?? { containers: [] };

  const routing = planRouting(spec.containers);
  const sidecar = sidecarContainer(
    { team, namespace: request.namespace ?? '', job: workload },
    routing.sidecarEnv,
    config,
  );
  const patch: PatchOperation[] = [];
  if (config.nativeSidecar) {
    // First, so it is up before any other init container and stops last.
    patch.push(
      spec.initContainers?.length
        ? { op: 'add', path: '/spec/initContainers/0', value: sidecar }
        : { op: 'add', path: '/spec/initContainers', value: [sidecar] },
    );
  } else {
    patch.push({ op: 'add', path: '/spec/containers/-', value: sidecar });
  }
  patch.push(
    spec.volumes
      ? { op: 'add', path: '/spec/volumes/-', value: sidecarTmpVolume }
      : { op: 'add', path: '/spec/volumes', value: [sidecarTmpVolume] },
  );
  for (const [index, vars] of routing.appEnv) {
    patch.push(...setEnv(`/spec/containers/${index}`, spec.containers[index] as V1Container, vars));
  }
  if ((spec.terminationGracePeriodSeconds ?? 30) < config.terminationGracePeriodSeconds) {
    patch.push({
      op: 'add',
      path: '/spec/terminationGracePeriodSeconds',
      value: config.terminationGracePeriodSeconds,
    });
  }
  patch.push(...setMetadata(pod, 'labels', INJECTED_LABEL, 'true'));
  const warnings: string[] = [];
  if (routing.unmetered.length > 0) {
    const list = routing.unmetered.join(',');
    patch.push(...setMetadata(pod, 'annotations', UNMETERED_ANNOTATION, list));
    warnings.push(`tollgate: not metered (a second upstream for the same provider): ${list}`);
  }
  return { injected: true, patch, warnings };
}

/** Sets each variable, replacing an existing value in place so its position (and $(VAR) references) hold. */
function setEnv(path: string, container: V1Container, vars: V1EnvVar[]): PatchOperation[] {
  if (!container.env) return [{ op: 'add', path: `${path}/env`, value: vars }];
  return vars.map((variable) => {
    const at = container.env?.findIndex((e) => e.name === variable.name) ?? -1;
    return at >= 0
      ? { op: 'replace', path: `${path}/env/${at}`, value: variable }
      : { op: 'add', path: `${path}/env/-`, value: variable };
  });
}

function setMetadata(pod: V1Pod, field: 'labels' | 'annotations', key: string, value: string) {
  const op: PatchOperation = pod.metadata?.[field]
    ? { op: 'add', path: `/metadata/${field}/${pointerSegment(key)}`, value }
    : { op: 'add', path: `/metadata/${field}`, value: { [key]: value } };
  return [op];
}

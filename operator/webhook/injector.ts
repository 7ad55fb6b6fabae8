// The admission handler: looks up what the pure mutation needs (the
// namespace's team label, the owning workload) and answers with its patch.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { allow, type AdmissionRequest, type AdmissionResponse } from './admission.js';
import type { InjectionConfig } from './config.js';
import { mutatePod, skipReason, TEAM_LABEL } from './mutate.js';
import { WorkloadResolver } from './workload.js';

export function podInjector(
  kubeConfig: KubeConfig,
  config: InjectionConfig,
): (request: AdmissionRequest) => Promise<AdmissionResponse> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const workloads = new WorkloadResolver(kubeConfig);
  return async (request) => {
    // Cheap refusals first: no API calls for kube-system, updates, opted-out pods.
    if (skipReason(request, 'any-team', config) !== undefined) return allow(request.uid);
    const namespace = request.namespace ?? '';
    const team = (await core.readNamespace({ name: namespace })).metadata?.labels?.[TEAM_LABEL];
    if (skipReason(request, team, config) !== undefined) return allow(request.uid);
    const workload = await workloads.resolve(namespace, request.object?.metadata);
    const result = mutatePod({ request, team, workload, config });
    return result.injected ? allow(request.uid, result.patch, result.warnings) : allow(request.uid);
  };
}

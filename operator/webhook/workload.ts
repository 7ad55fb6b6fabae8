// The workload a pod belongs to, for the job breakdown: follow controller
// owner references up to the object people name (ReplicaSet -> Deployment,
// Job -> CronJob). The pod's own name is the last resort.
import {
  AppsV1Api,
  BatchV1Api,
  type KubeConfig,
  type V1ObjectMeta,
  type V1OwnerReference,
} from '@kubernetes/client-node';

function controllerOf(metadata: V1ObjectMeta | undefined): V1OwnerReference | undefined {
  const owners = metadata?.ownerReferences ?? [];
  return owners.find((o) => o.controller) ?? owners[0];
}

/** A pod created with generateName has no name at admission; "web-" names it well enough. */
function podName(metadata: V1ObjectMeta | undefined): string {
  return metadata?.name || metadata?.generateName?.replace(/-$/, '') || 'unknown';
}

export class WorkloadResolver {
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  async resolve(namespace: string, pod: V1ObjectMeta | undefined): Promise<string> {
    const owner = controllerOf(pod);
    if (!owner) return podName(pod);
    // The owner itself is a good answer if its own owner cannot be read.
    const parentOf = async (read: () => Promise<{ metadata?: V1ObjectMeta }>, parentKind: string) => {
      const parent = controllerOf((await read().catch(() => undefined))?.metadata);
      return parent?.kind === parentKind ? parent.name : owner.name;
    };
    switch (owner.kind) {
      case 'ReplicaSet':
        return parentOf(
          () => this.apps.readNamespacedReplicaSet({ name: owner.name, namespace }),
          'Deployment',
        );
      case 'Job':
        return parentOf(() => this.batch.readNamespacedJob({ name: owner.name, namespace }), 'CronJob');
      default:
        // StatefulSet, DaemonSet and custom controllers are named by the owner itself.
        return owner.name;
    }
  }
}

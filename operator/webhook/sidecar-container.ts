// The injected sidecar container: identity env, least privilege, probes on
// the admin port. The image is Tollgate's single image run as `tollgate sidecar`.
import type { V1Container, V1EnvVar, V1Volume } from '@kubernetes/client-node';
import type { InjectionConfig } from './config.js';
import { SIDECAR_LISTEN } from './sdk-routing.js';

export const SIDECAR_NAME = 'tollgate-sidecar';
export const ADMIN_PORT = 15501;
/** Node needs a writable /tmp; the root file system stays read-only. */
export const SIDECAR_TMP_VOLUME = 'tollgate-sidecar-tmp';

export interface SidecarIdentity {
  team: string;
  namespace: string;
  /** The owning Deployment, StatefulSet, Job or CronJob (the pod's name as a last resort). */
  job: string;
}

function redisEnv(config: InjectionConfig): V1EnvVar {
  const redis = config.redis;
  return 'url' in redis
    ? { name: 'TOLLGATE_REDIS_URL', value: redis.url }
    : {
        name: 'TOLLGATE_REDIS_URL',
        valueFrom: { secretKeyRef: { name: redis.secretName, key: redis.secretKey } },
      };
}

export function sidecarContainer(
  identity: SidecarIdentity,
  upstreams: { name: string; value: string }[],
  config: InjectionConfig,
): V1Container {
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { path, port: ADMIN_PORT },
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const container: V1Container = {
    name: SIDECAR_NAME,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    command: ['tollgate', 'sidecar'],
    env: [
      { name: 'TOLLGATE_TEAM', value: identity.team },
      { name: 'TOLLGATE_NAMESPACE', value: identity.namespace },
      // generateName pods have no name yet at admission; the kubelet fills it in.
      { name: 'TOLLGATE_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'TOLLGATE_JOB', value: identity.job },
      { name: 'TOLLGATE_LISTEN', value: SIDECAR_LISTEN },
      { name: 'TOLLGATE_ADMIN_LISTEN', value: `0.0.0.0:${ADMIN_PORT}` },
      redisEnv(config),
      ...upstreams,
    ],
    ports: [{ name: 'tollgate-admin', containerPort: ADMIN_PORT, protocol: 'TCP' }],
    resources: config.resources,
    readinessProbe: probe('/readyz', 3),
    livenessProbe: probe('/healthz', 3),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: config.runAsUser,
      runAsGroup: config.runAsUser,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: SIDECAR_TMP_VOLUME, mountPath: '/tmp' }],
  };
  if (config.nativeSidecar) {
    container.restartPolicy = 'Always';
    // A native sidecar's startup probe holds the app back until the proxy is listening.
    container.startupProbe = { ...probe('/readyz', 60), periodSeconds: 1 };
  }
  return container;
}

// Disk-backed, not tmpfs: /tmp holds the ledger's spool while Redis is away, so
// it must not count against the pod's memory limit, and a long outage needs room
// (one record is a few hundred bytes: 256 MiB holds about a million calls).
export const sidecarTmpVolume: V1Volume = {
  name: SIDECAR_TMP_VOLUME,
  emptyDir: { sizeLimit: '256Mi' },
};

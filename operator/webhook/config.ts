// How the webhook shapes the injected sidecar. The chart renders these values
// into a JSON file the operator reads at start-up (TOLLGATE_INJECTION_CONFIG);
// anything missing falls back to the defaults below.
import type { V1ResourceRequirements } from '@kubernetes/client-node';

export type RedisSource = { url: string } | { secretName: string; secretKey: string };

export interface InjectionConfig {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Kubernetes >= 1.29: an init container with restartPolicy Always starts before and stops after the app. */
  nativeSidecar: boolean;
  /** Never injected, on top of kube-system and kube-public: Tollgate's own namespace. */
  excludedNamespaces: string[];
  resources: V1ResourceRequirements;
  /** Long enough for the sidecar to flush its spool after the app stops. */
  terminationGracePeriodSeconds: number;
  /** Where the sidecar records usage. A Secret must live in the pod's namespace. */
  redis: RedisSource;
  runAsUser: number;
}

export const defaultInjectionConfig: InjectionConfig = {
  image: 'ghcr.io/tollgate-dev/tollgate:0.1.0',
  imagePullPolicy: 'IfNotPresent',
  nativeSidecar: true,
  excludedNamespaces: ['tollgate-system'],
  resources: {
    requests: { cpu: '20m', memory: '64Mi' },
    limits: { cpu: '500m', memory: '256Mi' },
  },
  terminationGracePeriodSeconds: 45,
  redis: { url: 'redis://tollgate-redis.tollgate-system.svc:6379' },
  runAsUser: 65532,
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Overlays a parsed JSON document on the defaults, refusing fields of the wrong type. */
export function parseInjectionConfig(raw: unknown): InjectionConfig {
  if (!isRecord(raw)) throw new Error('injection config: expected a JSON object');
  const config: InjectionConfig = { ...defaultInjectionConfig };
  const expect = (key: keyof InjectionConfig, type: string) => {
    if (raw[key] !== undefined && typeof raw[key] !== type)
      throw new Error(`injection config: ${key} must be a ${type}`);
  };
  expect('image', 'string');
  expect('imagePullPolicy', 'string');
  expect('nativeSidecar', 'boolean');
  expect('terminationGracePeriodSeconds', 'number');
  expect('runAsUser', 'number');
  expect('resources', 'object');
  expect('redis', 'object');
  Object.assign(config, raw);
  if (
    !Array.isArray(config.excludedNamespaces) ||
    !config.excludedNamespaces.every((n) => typeof n === 'string')
  )
    throw new Error('injection config: excludedNamespaces must be a list of names');
  const redis = config.redis as Partial<Record<string, unknown>>;
  const byUrl = typeof redis.url === 'string';
  const bySecret = typeof redis.secretName === 'string' && typeof redis.secretKey === 'string';
  if (byUrl === bySecret)
    throw new Error('injection config: redis needs either url or secretName + secretKey');
  return config;
}

// Pointing the app's SDKs at the sidecar without changing where calls go.
// The sidecar serves each provider under a local prefix (/openai, ...) and
// forwards the rest of the path appended to that provider's upstream base URL
// (TOLLGATE_UPSTREAM_*, default the public API's origin). So:
//  - no base URL set: the app's SDK gets the prefix plus the SDK's own default
//    path (/openai/v1), and the sidecar adds the public origin;
//  - the app names its own upstream (a self-hosted vLLM, Azure): that exact URL
//    becomes the sidecar's upstream and the SDK gets the bare prefix, so every
//    call reaches the very URL it would have reached without Tollgate.
import type { V1Container } from '@kubernetes/client-node';

export const SIDECAR_LISTEN = '127.0.0.1:15500';

export interface ProviderRoute {
  /** The variable the provider's official SDK reads its base URL from. */
  sdkEnv: string;
  /** The sidecar's prefix for this provider. */
  localPrefix: string;
  /** The path the SDK's default base URL adds to the provider's origin. */
  defaultPath: string;
  /** The sidecar's variable for a non-default upstream base URL. */
  upstreamEnv: string;
}

export const PROVIDER_ROUTES: readonly ProviderRoute[] = [
  {
    sdkEnv: 'OPENAI_BASE_URL',
    localPrefix: `http://${SIDECAR_LISTEN}/openai`,
    defaultPath: '/v1',
    upstreamEnv: 'TOLLGATE_UPSTREAM_OPENAI',
  },
  {
    sdkEnv: 'ANTHROPIC_BASE_URL',
    localPrefix: `http://${SIDECAR_LISTEN}/anthropic`,
    defaultPath: '',
    upstreamEnv: 'TOLLGATE_UPSTREAM_ANTHROPIC',
  },
  // @google/genai reads GOOGLE_GEMINI_BASE_URL (and appends /v1beta/...).
  {
    sdkEnv: 'GOOGLE_GEMINI_BASE_URL',
    localPrefix: `http://${SIDECAR_LISTEN}/gemini`,
    defaultPath: '',
    upstreamEnv: 'TOLLGATE_UPSTREAM_GEMINI',
  },
];

/** Where a container's SDK would send calls: the provider default, an explicit URL, or unknowable here. */
export type Destination = { kind: 'default' } | { kind: 'url'; url: string } | { kind: 'unknown' };

export function destinationOf(container: V1Container, route: ProviderRoute): Destination {
  const entry = container.env?.find((e) => e.name === route.sdkEnv);
  if (!entry) return { kind: 'default' };
  // A value from a Secret or ConfigMap cannot be read at admission; leave it be.
  if (entry.valueFrom) return { kind: 'unknown' };
  const url = entry.value ?? '';
  // Already the sidecar (a spec copied from an injected pod): the default upstream.
  return url === '' || url.startsWith(route.localPrefix) ? { kind: 'default' } : { kind: 'url', url };
}

function sameDestination(a: Destination, b: Destination): boolean {
  if (a.kind === 'url' && b.kind === 'url') return a.url === b.url;
  return a.kind === b.kind && a.kind !== 'unknown';
}

export interface RoutingPlan {
  /** Sidecar env: an upstream per provider that is not the default. */
  sidecarEnv: { name: string; value: string }[];
  /** Per app container index, the SDK variables to point at the sidecar. */
  appEnv: Map<number, { name: string; value: string }[]>;
  /** "container/VARIABLE" pairs left alone because one sidecar cannot serve two upstreams of a provider. */
  unmetered: string[];
}

/**
 * One sidecar has one upstream per provider. The first app container with a
 * knowable destination decides it; a container that disagrees keeps its own
 * setting (and goes unmetered for that provider) rather than being redirected.
 */
export function planRouting(containers: V1Container[]): RoutingPlan {
  const plan: RoutingPlan = { sidecarEnv: [], appEnv: new Map(), unmetered: [] };
  for (const route of PROVIDER_ROUTES) {
    const destinations = containers.map((c) => destinationOf(c, route));
    const chosen = destinations.find((d) => d.kind !== 'unknown');
    if (!chosen) continue;
    if (chosen.kind === 'url') plan.sidecarEnv.push({ name: route.upstreamEnv, value: chosen.url });
    const localBaseUrl = chosen.kind === 'url' ? route.localPrefix : route.localPrefix + route.defaultPath;
    destinations.forEach((destination, index) => {
      if (sameDestination(destination, chosen)) {
        const list = plan.appEnv.get(index) ?? [];
        list.push({ name: route.sdkEnv, value: localBaseUrl });
        plan.appEnv.set(index, list);
      } else {
        plan.unmetered.push(`${containers[index]?.name}/${route.sdkEnv}`);
      }
    });
  }
  return plan;
}

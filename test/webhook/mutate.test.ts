import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { AdmissionRequest } from '../../operator/webhook/admission.js';
import { defaultInjectionConfig, type InjectionConfig } from '../../operator/webhook/config.js';
import { INJECTED_LABEL, mutatePod, UNMETERED_ANNOTATION } from '../../operator/webhook/mutate.js';
import { SIDECAR_NAME } from '../../operator/webhook/sidecar-container.js';
import { applyPatch } from './apply-patch.js';

function podRequest(pod: V1Pod, namespace = 'catalog'): AdmissionRequest {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace,
    object: pod,
  };
}

function pod(containers: V1Container[], labels?: Record<string, string>): V1Pod {
  return {
    metadata: { generateName: 'web-7d9f-', namespace: 'catalog', ...(labels ? { labels } : {}) },
    spec: { containers, terminationGracePeriodSeconds: 30 },
  };
}

function inject(input: V1Pod, config: Partial<InjectionConfig> = {}, namespace = 'catalog') {
  const result = mutatePod({
    request: podRequest(input, namespace),
    team: 'catalog-team',
    workload: 'web',
    config: { ...defaultInjectionConfig, ...config },
  });
  if (!result.injected) throw new Error(`not injected: ${result.reason}`);
  return { pod: applyPatch(input, result.patch), warnings: result.warnings };
}

const envOf = (container: V1Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('mutatePod', () => {
  it('adds a native sidecar first among init containers, with identity env from the namespace and workload', () => {
    const original = pod([{ name: 'app', image: 'app:1' }]);
    original.spec!.initContainers = [{ name: 'migrate', image: 'app:1' }];
    const { pod: result } = inject(original);
    const sidecar = result.spec?.initContainers?.[0];
    expect(sidecar?.name).toBe(SIDECAR_NAME);
    expect(sidecar?.restartPolicy).toBe('Always');
    expect(result.spec?.initContainers?.[1]?.name).toBe('migrate');
    expect(result.spec?.containers.map((c) => c.name)).toEqual(['app']);
    expect(envOf(sidecar)).toMatchObject({
      TOLLGATE_TEAM: 'catalog-team',
      TOLLGATE_NAMESPACE: 'catalog',
      TOLLGATE_POD: { fieldRef: { fieldPath: 'metadata.name' } },
      TOLLGATE_JOB: 'web',
      TOLLGATE_LISTEN: '127.0.0.1:15500',
      TOLLGATE_ADMIN_LISTEN: '0.0.0.0:15501',
    });
    expect(envOf(sidecar)).not.toHaveProperty('TOLLGATE_UPSTREAM_OPENAI');
    expect(result.metadata?.labels?.[INJECTED_LABEL]).toBe('true');
  });

  it('falls back to a plain container on clusters without native sidecars', () => {
    const { pod: result } = inject(pod([{ name: 'app' }]), { nativeSidecar: false });
    expect(result.spec?.initContainers).toBeUndefined();
    const sidecar = result.spec?.containers[1];
    expect(sidecar?.name).toBe(SIDECAR_NAME);
    expect(sidecar?.restartPolicy).toBeUndefined();
    expect(sidecar?.startupProbe).toBeUndefined();
  });

  it('runs the sidecar non-root, read-only, without capabilities, probed on the admin port', () => {
    const { pod: result } = inject(pod([{ name: 'app' }]));
    const sidecar = result.spec?.initContainers?.[0];
    expect(sidecar?.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(sidecar?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 15501 });
    expect(sidecar?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 15501 });
    expect(sidecar?.resources).toEqual(defaultInjectionConfig.resources);
    expect(result.spec?.terminationGracePeriodSeconds).toBe(
      defaultInjectionConfig.terminationGracePeriodSeconds,
    );
    expect(result.spec?.volumes?.map((v) => v.name)).toContain(sidecar?.volumeMounts?.[0]?.name);
  });

  it('keeps a longer termination grace the pod already asks for', () => {
    const original = pod([{ name: 'app' }]);
    original.spec!.terminationGracePeriodSeconds = 600;
    expect(inject(original).pod.spec?.terminationGracePeriodSeconds).toBe(600);
  });

  it('points every app container at the sidecar, keeping their other env', () => {
    const { pod: result } = inject(
      pod([{ name: 'app', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }, { name: 'worker' }]),
    );
    for (const container of result.spec?.containers ?? []) {
      expect(envOf(container)).toMatchObject({
        OPENAI_BASE_URL: 'http://127.0.0.1:15500/openai/v1',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:15500/anthropic',
        GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:15500/gemini',
      });
    }
    expect(envOf(result.spec?.containers[0])).toMatchObject({ LOG_LEVEL: 'debug' });
  });

  it('forwards to an upstream the app already names, so injection never changes where a call goes', () => {
    const { pod: result } = inject(
      pod([
        {
          name: 'app',
          env: [
            { name: 'OPENAI_BASE_URL', value: 'http://vllm.models.svc:8000/v1' },
            { name: 'AFTER', value: '$(OPENAI_BASE_URL)' },
          ],
        },
      ]),
    );
    const app = result.spec?.containers[0];
    expect(app?.env?.[0]).toEqual({ name: 'OPENAI_BASE_URL', value: 'http://127.0.0.1:15500/openai' });
    expect(app?.env?.[1]?.name).toBe('AFTER');
    expect(envOf(result.spec?.initContainers?.[0])).toMatchObject({
      TOLLGATE_UPSTREAM_OPENAI: 'http://vllm.models.svc:8000/v1',
    });
    expect(envOf(result.spec?.initContainers?.[0])).not.toHaveProperty('TOLLGATE_UPSTREAM_ANTHROPIC');
  });

  // The sidecar's contract: /<provider><rest> goes to TOLLGATE_UPSTREAM_<PROVIDER> + <rest>.
  const publicOrigins = {
    openai: 'https://api.openai.com',
    anthropic: 'https://api.anthropic.com',
    gemini: 'https://generativelanguage.googleapis.com',
  };
  function reachedThroughSidecar(result: V1Pod, sdkEnv: string, sdkPath: string): string {
    const valueOf = (container: V1Container | undefined, name: string) =>
      container?.env?.find((e) => e.name === name)?.value;
    const appBase = valueOf(result.spec?.containers[0], sdkEnv) ?? '';
    const match = /^http:\/\/127\.0\.0\.1:15500\/(openai|anthropic|gemini)(.*)$/.exec(appBase + sdkPath);
    if (!match) throw new Error(`${sdkEnv}=${appBase} does not point at the sidecar`);
    const provider = match[1] as keyof typeof publicOrigins;
    const upstream = valueOf(result.spec?.initContainers?.[0], `TOLLGATE_UPSTREAM_${provider.toUpperCase()}`);
    return (upstream ?? publicOrigins[provider]) + match[2];
  }

  it.each([
    ['OPENAI_BASE_URL', undefined, 'https://api.openai.com/v1', '/chat/completions'],
    ['OPENAI_BASE_URL', 'http://vllm.models.svc:8000/v1', undefined, '/chat/completions'],
    ['OPENAI_BASE_URL', 'https://x.openai.azure.com/openai/v1', undefined, '/responses'],
    ['ANTHROPIC_BASE_URL', undefined, 'https://api.anthropic.com', '/v1/messages'],
    ['ANTHROPIC_BASE_URL', 'https://anthropic-gw.internal/proxy', undefined, '/v1/messages'],
    [
      'GOOGLE_GEMINI_BASE_URL',
      undefined,
      'https://generativelanguage.googleapis.com',
      '/v1beta/models/m:generateContent',
    ],
  ])(
    '%s=%s: a call reaches exactly where it would have without the sidecar',
    (sdkEnv, own, sdkDefault, path) => {
      const env = own ? [{ name: sdkEnv, value: own }] : [];
      const { pod: result } = inject(pod([{ name: 'app', env }]));
      expect(reachedThroughSidecar(result, sdkEnv, path)).toBe(`${own ?? sdkDefault}${path}`);
    },
  );

  it('leaves a container alone when it disagrees with the first on a provider upstream', () => {
    const { pod: result, warnings } = inject(
      pod([
        { name: 'app' },
        { name: 'azure', env: [{ name: 'OPENAI_BASE_URL', value: 'https://x.openai.azure.com/openai/v1' }] },
      ]),
    );
    expect(envOf(result.spec?.containers[1])).toMatchObject({
      OPENAI_BASE_URL: 'https://x.openai.azure.com/openai/v1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:15500/anthropic',
    });
    expect(envOf(result.spec?.containers[0]).OPENAI_BASE_URL).toBe('http://127.0.0.1:15500/openai/v1');
    expect(result.metadata?.annotations?.[UNMETERED_ANNOTATION]).toBe('azure/OPENAI_BASE_URL');
    expect(warnings).toHaveLength(1);
  });

  it('never redirects a base URL it cannot read at admission', () => {
    const fromSecret = { secretKeyRef: { name: 'llm', key: 'url' } };
    const { pod: result } = inject(
      pod([{ name: 'app', env: [{ name: 'OPENAI_BASE_URL', valueFrom: fromSecret }] }]),
    );
    expect(result.spec?.containers[0]?.env?.[0]).toEqual({ name: 'OPENAI_BASE_URL', valueFrom: fromSecret });
  });

  it('takes the Redis URL from a Secret when configured so', () => {
    const { pod: result } = inject(pod([{ name: 'app' }]), {
      redis: { secretName: 'tollgate-redis', secretKey: 'url' },
    });
    expect(envOf(result.spec?.initContainers?.[0]).TOLLGATE_REDIS_URL).toEqual({
      secretKeyRef: { name: 'tollgate-redis', key: 'url' },
    });
  });

  it('escapes label keys in patch paths when the pod already has labels', () => {
    const { pod: result } = inject(pod([{ name: 'app' }], { app: 'web' }));
    expect(result.metadata?.labels).toEqual({ app: 'web', [INJECTED_LABEL]: 'true' });
  });

  it('is a no-op on a pod it already injected (reinvocation)', () => {
    const { pod: once } = inject(pod([{ name: 'app' }]));
    const again = mutatePod({
      request: podRequest(once),
      team: 'catalog-team',
      workload: 'web',
      config: defaultInjectionConfig,
    });
    expect(again).toEqual({ injected: false, reason: 'already injected' });
  });

  it.each([
    ['kube-system', 'catalog-team', {}],
    ['kube-public', 'catalog-team', {}],
    ['tollgate-system', 'catalog-team', {}],
    ['catalog', undefined, {}],
    ['catalog', 'catalog-team', { 'tollgate.dev/inject': 'false' }],
  ])('leaves pods in %s (team %s, labels %j) alone', (namespace, team, labels) => {
    const result = mutatePod({
      request: podRequest(pod([{ name: 'app' }], labels), namespace),
      team,
      workload: 'web',
      config: defaultInjectionConfig,
    });
    expect(result.injected).toBe(false);
  });

  it('ignores anything but pod creation', () => {
    const request = { ...podRequest(pod([{ name: 'app' }])), operation: 'UPDATE' as const };
    const result = mutatePod({ request, team: 't', workload: 'w', config: defaultInjectionConfig });
    expect(result.injected).toBe(false);
  });
});

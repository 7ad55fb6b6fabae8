// The injection webhook against the real apiserver and controller-manager:
// workload controllers create the pods, the apiserver calls the webhook over
// TLS, and we read back what was stored.
import { randomBytes } from 'node:crypto';
import {
  PatchStrategy,
  setHeaderOptions,
  AppsV1Api,
  BatchV1Api,
  type V1Container,
  type V1Pod,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { SIDECAR_NAME } from '../../operator/webhook/sidecar-container.js';
import { startLiveWebhook, teamNamespace, type LiveWebhook } from './live-webhook.js';

let live: LiveWebhook;
let apps: AppsV1Api;
let batch: BatchV1Api;
let namespace: string;
const suffix = randomBytes(3).toString('hex');

const template = (app: string, extra: Partial<V1Container> = {}): V1PodTemplateSpec => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ...extra }] },
});

const envOf = (container: V1Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

const sidecarsIn = (pod: V1Pod) =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter(
    (c) => c.name === SIDECAR_NAME,
  );

async function podOf(ns: string, app: string): Promise<V1Pod> {
  return waitFor(`a pod of ${app} in ${ns}`, async () => {
    const pods = await live.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
    return pods.items[0];
  });
}

beforeAll(async () => {
  // Two identical webhooks: the second call sees the first one's output (reinvocation).
  live = await startLiveWebhook({ reinvocations: 1 });
  apps = live.kubeConfig.makeApiClient(AppsV1Api);
  batch = live.kubeConfig.makeApiClient(BatchV1Api);
  namespace = await teamNamespace(live, `catalog-${suffix}`, 'catalog');
});

afterAll(async () => {
  await live?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await live?.stop();
});

describe('injection through the real apiserver', () => {
  it('injects a Deployment pod once, named for the Deployment, with SDKs pointed at the sidecar', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template('web') },
      },
    });
    const pod = await podOf(namespace, 'web');
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    const sidecars = sidecarsIn(pod);
    expect(sidecars).toHaveLength(1);
    const sidecar = pod.spec?.initContainers?.[0];
    expect(sidecar?.name).toBe(SIDECAR_NAME);
    expect(sidecar?.restartPolicy).toBe('Always');
    expect(envOf(sidecar)).toMatchObject({
      TOLLGATE_TEAM: 'catalog',
      TOLLGATE_NAMESPACE: namespace,
      TOLLGATE_JOB: 'web',
      TOLLGATE_POD: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
    });
    expect(envOf(pod.spec?.containers[0])).toMatchObject({
      OPENAI_BASE_URL: 'http://127.0.0.1:15500/openai/v1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:15500/anthropic',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:15500/gemini',
    });
    expect(pod.metadata?.labels?.['tollgate.dev/injected']).toBe('true');
    expect(live.errors).toEqual([]);
  });

  it('names StatefulSet, Job and CronJob pods after their workload', async () => {
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: 'ledger-db' },
        spec: {
          serviceName: 'ledger-db',
          selector: { matchLabels: { app: 'ledger-db' } },
          template: template('ledger-db'),
        },
      },
    });
    const cron = await batch.createNamespacedCronJob({
      namespace,
      body: {
        metadata: { name: 'nightly-eval' },
        spec: {
          schedule: '0 3 * * *',
          suspend: true,
          jobTemplate: {
            spec: {
              template: {
                ...template('nightly-eval'),
                spec: { ...template('x').spec!, restartPolicy: 'Never' },
              },
            },
          },
        },
      },
    });
    // What the CronJob controller would do at 03:00: a Job it controls.
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: {
          name: 'nightly-eval-29000000',
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: 'nightly-eval',
              uid: cron.metadata!.uid!,
              controller: true,
            },
          ],
        },
        spec: {
          template: {
            metadata: { labels: { app: 'nightly-eval' } },
            spec: { ...template('x').spec!, restartPolicy: 'Never' },
          },
        },
      },
    });
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: 'backfill' },
        spec: {
          template: {
            metadata: { labels: { app: 'backfill' } },
            spec: { ...template('x').spec!, restartPolicy: 'Never' },
          },
        },
      },
    });
    for (const [app, job] of [
      ['ledger-db', 'ledger-db'],
      ['nightly-eval', 'nightly-eval'],
      ['backfill', 'backfill'],
    ]) {
      const pod = await podOf(namespace, app!);
      expect(envOf(sidecarsIn(pod)[0]).TOLLGATE_JOB, app).toBe(job);
    }
  });

  it('forwards to the upstream a pod already names, and names a bare pod after itself', async () => {
    const pod = await live.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { generateName: 'notebook-', labels: { app: 'notebook' } },
        spec: template('notebook', {
          env: [{ name: 'OPENAI_BASE_URL', value: 'http://vllm.models.svc:8000/v1' }],
        }).spec!,
      },
    });
    const sidecar = sidecarsIn(pod)[0];
    expect(envOf(sidecar)).toMatchObject({
      TOLLGATE_UPSTREAM_OPENAI: 'http://vllm.models.svc:8000/v1',
      TOLLGATE_JOB: 'notebook',
    });
    expect(envOf(pod.spec?.containers[0]).OPENAI_BASE_URL).toBe('http://127.0.0.1:15500/openai');
  });

  it('leaves a pod labelled tollgate.dev/inject=false alone', async () => {
    const pod = await live.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'opted-out', labels: { 'tollgate.dev/inject': 'false' } },
        spec: template('x').spec!,
      },
    });
    expect(sidecarsIn(pod)).toEqual([]);
    expect(pod.spec?.containers[0]?.env).toBeUndefined();
  });

  it('never touches kube-system, even when it carries the team label', async () => {
    const patchLabels = (labels: Record<string, string | null>) =>
      live.core.patchNamespace(
        { name: 'kube-system', body: { metadata: { labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await patchLabels({ ...live.selector, 'tollgate.dev/team': 'platform' });
    try {
      await waitFor('the default ServiceAccount in kube-system', () =>
        live.core
          .readNamespacedServiceAccount({ name: 'default', namespace: 'kube-system' })
          .then(() => true),
      );
      const pod = await live.core.createNamespacedPod({
        namespace: 'kube-system',
        body: { metadata: { name: `system-${suffix}` }, spec: template('x').spec! },
      });
      expect(sidecarsIn(pod)).toEqual([]);
      await live.core.deleteNamespacedPod({ name: `system-${suffix}`, namespace: 'kube-system' });
    } finally {
      await patchLabels(
        Object.fromEntries(Object.keys({ ...live.selector, 'tollgate.dev/team': '' }).map((k) => [k, null])),
      );
    }
  });
});

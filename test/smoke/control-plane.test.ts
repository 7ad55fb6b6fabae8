// Proves the test plumbing is real: a CRD goes through the real apiserver,
// the real controller manager turns a Deployment into a ReplicaSet and a Pod,
// and Redis answers through ioredis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { kubeConfig, kubectl } from '../support/kube.js';
import { waitFor } from '../support/wait.js';

const group = 'smoke.tollgate.dev';
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Cluster',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1 } },
              },
            },
          },
        },
      },
    ],
  },
};

describe('the local control plane', () => {
  const config = kubeConfig();

  beforeAll(async () => {
    await config.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
    await waitFor('the CRD to be Established', async () => {
      const stored = await config
        .makeApiClient(ApiextensionsV1Api)
        .readCustomResourceDefinition({ name: crd.metadata.name });
      return stored.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  });

  afterAll(async () => {
    await config
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: crd.metadata.name });
  });

  it('is a real kube-apiserver at the pinned version', async () => {
    const version = JSON.parse(await kubectl(['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.clientVersion.gitVersion).toBe(version.serverVersion.gitVersion);
  });

  it('stores and serves a custom object through client-node and kubectl', async () => {
    const objects = config.makeApiClient(CustomObjectsApi);
    await objects.createClusterCustomObject({
      group,
      version: 'v1',
      plural: 'widgets',
      body: {
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: { name: 'from-client' },
        spec: { size: 3 },
      },
    });
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: { name: 'from-kubectl' },
        spec: { size: 7 },
      }),
    );

    const read = (await objects.getClusterCustomObject({
      group,
      version: 'v1',
      plural: 'widgets',
      name: 'from-kubectl',
    })) as { spec: { size: number } };
    expect(read.spec.size).toBe(7);
    const listed = JSON.parse(await kubectl(['get', 'widgets', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { size: number } }[];
    };
    expect(listed.items.map((i) => [i.metadata.name, i.spec.size]).sort()).toEqual([
      ['from-client', 3],
      ['from-kubectl', 7],
    ]);
  });

  it('rejects an object its schema forbids', async () => {
    await expect(
      kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'bad' },
          spec: { size: 0 },
        }),
      ),
    ).rejects.toThrow(/spec.size/);
  });

  it('runs the controller manager: a Deployment gets a ReplicaSet and a Pod with owner references', async () => {
    const namespace = 'smoke-controllers';
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The ServiceAccount admission plugin refuses pods until the controller manager makes "default".
    await waitFor('the default ServiceAccount', () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace }).then(() => true),
    );
    await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
    });
    const pod = await waitFor('the Deployment to get a Pod', async () => {
      const pods = await core.listNamespacedPod({ namespace });
      return pods.items[0];
    });
    const replicaSetOwner = pod.metadata?.ownerReferences?.[0];
    expect(replicaSetOwner?.kind).toBe('ReplicaSet');
    const replicaSet = await config
      .makeApiClient(AppsV1Api)
      .readNamespacedReplicaSet({ name: replicaSetOwner!.name, namespace });
    expect(replicaSet.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web' });
    await core.deleteNamespace({ name: namespace });
  });
});

describe('the local Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(process.env.TOLLGATE_REDIS_URL!);
  });
  afterAll(() => redis.quit());

  it('writes and reads a key through ioredis', async () => {
    const key = `smoke:${process.pid}`;
    await redis.set(key, 'hello', 'EX', 60);
    expect(await redis.get(key)).toBe('hello');
    expect(await redis.incrby(`${key}:n`, 41)).toBe(41);
  });
});

// Certificate rotation while pods are being created: with a policy measured
// in seconds, the CA is replaced several times and the serving certificate
// many more, and with failurePolicy Fail not one admission may fail.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readCertificates } from '../../operator/webhook/certs.js';
import { materialFromSecret } from '../../operator/webhook/certificate-keeper.js';
import { SIDECAR_NAME } from '../../operator/webhook/sidecar-container.js';
import { startLiveWebhook, teamNamespace, type LiveWebhook } from './live-webhook.js';

let live: LiveWebhook;
let namespace: string;

beforeAll(async () => {
  live = await startLiveWebhook({
    policy: {
      caValidityMs: 12_000,
      caRenewBeforeMs: 6_000,
      servingValidityMs: 5_000,
      servingRenewBeforeMs: 2_500,
      propagationDelayMs: 1_000,
    },
    certificateIntervalMs: 200,
  });
  namespace = await teamNamespace(live, `rotating-${randomBytes(3).toString('hex')}`, 'rotating');
});

afterAll(async () => {
  await live?.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await live?.stop();
});

it(
  'rotates the CA and serving certificate under load without failing an admission',
  { timeout: 90_000 },
  async () => {
    const servingCerts = new Set<string>();
    const cas = new Set<string>();
    const failures: string[] = [];
    let created = 0;
    const deadline = Date.now() + 60_000;
    while ((cas.size < 3 || servingCerts.size < 6) && Date.now() < deadline) {
      try {
        const pod = await live.core.createNamespacedPod({
          namespace,
          body: {
            metadata: { generateName: 'load-' },
            spec: { containers: [{ name: 'app', image: 'pause' }] },
          },
        });
        created += 1;
        if (pod.spec?.initContainers?.[0]?.name !== SIDECAR_NAME)
          failures.push(`${pod.metadata?.name} not injected`);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
      const secret = await live.core.readNamespacedSecret({
        name: 'tollgate-webhook-tls',
        namespace: live.operatorNamespace,
      });
      const material = materialFromSecret(secret);
      if (material) {
        servingCerts.add(material.certPem);
        for (const ca of readCertificates(material.caBundlePem)) cas.add(ca.subject);
      }
    }
    expect(failures).toEqual([]);
    expect(cas.size).toBeGreaterThanOrEqual(3);
    expect(servingCerts.size).toBeGreaterThanOrEqual(6);
    expect(created).toBeGreaterThan(20);
  },
);

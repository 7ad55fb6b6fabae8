// The leader's side of webhook TLS: keeps the CA and serving certificate in
// a Secret and the MutatingWebhookConfiguration's caBundle in step with it,
// applying rotation.ts's decisions. Every replica serves whatever the Secret
// holds (serving-tls.ts), so only one writer is needed.
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
import { abortableSleep } from './abortable-sleep.js';
import type { ServingNames } from './certs.js';
import { planRotation, type RotationPolicy, type TlsMaterial } from './rotation.js';

export const PUBLISHED_AT_ANNOTATION = 'tollgate.dev/ca-bundle-published-at';

export interface CertificateKeeperOptions {
  namespace: string;
  secretName: string;
  webhookConfigurationName: string;
  names: ServingNames;
  policy: RotationPolicy;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

export function materialFromSecret(secret: V1Secret | undefined): TlsMaterial | undefined {
  const data = secret?.data;
  if (!data?.['tls.crt'] || !data['tls.key']) return undefined;
  const text = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  return {
    caBundlePem: text('ca.crt'),
    caKeyPem: text('ca.key'),
    certPem: text('tls.crt'),
    keyPem: text('tls.key'),
  };
}

function secretData(material: TlsMaterial): Record<string, string> {
  const encode = (text: string) => Buffer.from(text).toString('base64');
  return {
    'ca.crt': encode(material.caBundlePem),
    'ca.key': encode(material.caKeyPem),
    'tls.crt': encode(material.certPem),
    'tls.key': encode(material.keyPem),
  };
}

export class CertificateKeeper {
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: CertificateKeeperOptions,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  }

  private async readSecret(): Promise<V1Secret | undefined> {
    const { secretName: name, namespace } = this.options;
    try {
      return await this.core.readNamespacedSecret({ name, namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One pass: renew what is due, write the Secret, publish the bundle. Safe to repeat; a conflict just waits for the next pass. */
  async reconcile(now = new Date()): Promise<void> {
    const { namespace, secretName, webhookConfigurationName: configName } = this.options;
    const secret = await this.readSecret();
    const current = materialFromSecret(secret);
    const config = await this.admission.readMutatingWebhookConfiguration({ name: configName });
    const published = (config.webhooks ?? []).map((w) =>
      Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
    );
    const isPublished = (bundle: string) => published.length > 0 && published.every((b) => b === bundle);

    const stampedAt = secret?.metadata?.annotations?.[PUBLISHED_AT_ANNOTATION];
    const bundlePublishedAt =
      current && isPublished(current.caBundlePem) && stampedAt ? new Date(stampedAt) : undefined;
    const plan = await planRotation({
      current,
      bundlePublishedAt,
      now,
      names: this.options.names,
      policy: this.options.policy,
    });

    const { material } = plan;
    const bundleChanged = material.caBundlePem !== current?.caBundlePem;
    if (!current || plan.caRotated || plan.servingRenewed || bundleChanged) {
      const annotations = { ...(secret?.metadata?.annotations ?? {}) };
      if (bundleChanged) delete annotations[PUBLISHED_AT_ANNOTATION];
      const body: V1Secret = {
        metadata: {
          name: secretName,
          namespace,
          annotations,
          resourceVersion: secret?.metadata?.resourceVersion,
        },
        type: 'kubernetes.io/tls',
        data: secretData(material),
      };
      if (secret) await this.core.replaceNamespacedSecret({ name: secretName, namespace, body });
      else await this.core.createNamespacedSecret({ namespace, body });
    }
    if (!isPublished(material.caBundlePem)) {
      const caBundle = Buffer.from(material.caBundlePem).toString('base64');
      const patch = (config.webhooks ?? []).map((_, index) => ({
        op: 'replace',
        path: `/webhooks/${index}/clientConfig/caBundle`,
        value: caBundle,
      }));
      await this.admission.patchMutatingWebhookConfiguration(
        { name: configName, body: patch },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    }
    if (bundleChanged || bundlePublishedAt === undefined) {
      // The bundle is in the configuration from now on; the clock for switching CAs starts here.
      await this.core.patchNamespacedSecret(
        {
          name: secretName,
          namespace,
          body: { metadata: { annotations: { [PUBLISHED_AT_ANNOTATION]: now.toISOString() } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  }

  /** Reconciles every `intervalMs` until `signal` aborts (after the pass in flight); errors are reported and retried. */
  async run(
    intervalMs: number,
    signal: AbortSignal,
    isLeader: () => boolean,
    onError: (error: unknown) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      if (isLeader()) await this.reconcile().catch(onError);
      await abortableSleep(intervalMs, signal);
    }
  }
}

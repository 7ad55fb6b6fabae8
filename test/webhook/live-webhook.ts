// A real injection webhook wired to the real apiserver: the operator's
// namespace, a MutatingWebhookConfiguration calling https://127.0.0.1:<port>
// (a Service cannot route to loopback here), and InjectionWebhook serving it
// with certificates its own keeper makes. Each harness selects only the
// namespaces it labels, so other tests sharing the apiserver are untouched.
import { randomBytes } from 'node:crypto';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1MutatingWebhook,
} from '@kubernetes/client-node';
import { freePort } from '../cluster/processes.js';
import { waitFor } from '../support/wait.js';
import { defaultInjectionConfig } from '../../operator/webhook/config.js';
import { InjectionWebhook } from '../../operator/webhook/index.js';
import { defaultRotationPolicy, type RotationPolicy } from '../../operator/webhook/rotation.js';

export const SELECT_LABEL = 'test.tollgate.dev/webhook';

export interface LiveWebhook {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  /** Label a namespace with this (plus the team label) to have the harness's webhook inject into it. */
  selector: Record<string, string>;
  operatorNamespace: string;
  configurationName: string;
  errors: unknown[];
  stop(): Promise<void>;
}

export function kubeConfigFromEnv(): KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path)
    throw new Error('KUBECONFIG is not set: these tests need the control plane from the global setup');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

export async function startLiveWebhook(
  options: { policy?: RotationPolicy; certificateIntervalMs?: number; reinvocations?: number } = {},
): Promise<LiveWebhook> {
  const kubeConfig = kubeConfigFromEnv();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const id = randomBytes(4).toString('hex');
  const operatorNamespace = `tollgate-system-${id}`;
  const configurationName = `tollgate-injection-${id}`;
  const port = await freePort();
  await core.createNamespace({ body: { metadata: { name: operatorNamespace } } });

  const webhook = (name: string) =>
    loopbackMutatingWebhook({ name, port, selectLabels: { [SELECT_LABEL]: id }, operatorNamespace });
  // A second identical webhook makes the apiserver call us again with our own output: reinvocation.
  const webhooks = Array.from({ length: 1 + (options.reinvocations ?? 0) }, (_, i) =>
    webhook(`inject-${i}.tollgate.dev`),
  );
  await admission.createMutatingWebhookConfiguration({
    body: { metadata: { name: configurationName }, webhooks },
  });

  const errors: unknown[] = [];
  const injector = new InjectionWebhook(
    kubeConfig,
    {
      namespace: operatorNamespace,
      serviceName: 'tollgate-webhook',
      secretName: 'tollgate-webhook-tls',
      webhookConfigurationName: configurationName,
      host: '127.0.0.1',
      port,
      injection: { ...defaultInjectionConfig, excludedNamespaces: [operatorNamespace] },
      certificates: 'operator',
      policy: options.policy ?? defaultRotationPolicy,
      extraNames: { dnsNames: [], ipAddresses: ['127.0.0.1'] },
      certificateIntervalMs: options.certificateIntervalMs ?? 1_000,
      reloadIntervalMs: 100,
    },
    (error) => errors.push(error),
  );
  const abort = new AbortController();
  const keeping = injector.keepCertificates(abort.signal);
  const serving = injector.serve(abort.signal);
  await waitFor('the webhook to listen with a published caBundle', async () => {
    const config = await admission.readMutatingWebhookConfiguration({ name: configurationName });
    const published = config.webhooks?.every((w) => (w.clientConfig.caBundle ?? '') !== '');
    return injector.port !== undefined && published;
  });

  return {
    kubeConfig,
    core,
    selector: { [SELECT_LABEL]: id },
    operatorNamespace,
    configurationName,
    errors,
    async stop() {
      await admission.deleteMutatingWebhookConfiguration({ name: configurationName }).catch(() => undefined);
      abort.abort();
      await Promise.all([keeping, serving]);
      await core.deleteNamespace({ name: operatorNamespace }).catch(() => undefined);
    },
  };
}

/** A namespace the webhook injects into; resolves once its default ServiceAccount exists (pods need it). */
export async function teamNamespace(live: LiveWebhook, name: string, team: string): Promise<string> {
  await live.core.createNamespace({
    body: { metadata: { name, labels: { ...live.selector, 'tollgate.dev/team': team } } },
  });
  await waitFor(`the default ServiceAccount in ${name}`, () =>
    live.core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true),
  );
  return name;
}

/**
 * What the chart's MutatingWebhookConfiguration renders, pointed at a webhook
 * on loopback (a Service cannot route to 127.0.0.1) and limited to namespaces
 * carrying `selectLabels`, so parallel test files never inject each other's pods.
 */
export function loopbackMutatingWebhook(options: {
  name: string;
  port: number;
  selectLabels: Record<string, string>;
  operatorNamespace: string;
}): V1MutatingWebhook {
  return {
    name: options.name,
    clientConfig: { url: `https://127.0.0.1:${options.port}/mutate` },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
    namespaceSelector: {
      matchLabels: options.selectLabels,
      matchExpressions: [
        { key: 'tollgate.dev/team', operator: 'Exists' },
        {
          key: 'kubernetes.io/metadata.name',
          operator: 'NotIn',
          values: ['kube-system', 'kube-public', options.operatorNamespace],
        },
      ],
    },
    objectSelector: {
      matchExpressions: [{ key: 'tollgate.dev/inject', operator: 'NotIn', values: ['false'] }],
    },
    // Fail, so any admission the webhook cannot answer fails the test loudly.
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    reinvocationPolicy: 'IfNeeded',
    timeoutSeconds: 10,
  };
}

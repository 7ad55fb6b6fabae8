// The operator as one process runs it, in-process: startOperator with the
// injection webhook as one of its components (operator/main.ts leaves that
// slot empty so far), a MutatingWebhookConfiguration the apiserver really
// calls, and certificates the webhook's own keeper makes and publishes.
// The configuration calls https://127.0.0.1:<port> because a Service cannot
// route to a process on this machine; it selects only namespaces carrying
// this run's label, so other test files sharing the apiserver are untouched.
// The operator is scoped to the same label: it syncs only TeamBudgets that
// carry it (see `runLabels`) and creates none.
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { freePort } from '../cluster/processes.js';
import { waitFor } from '../support/wait.js';
import { loopbackMutatingWebhook } from '../webhook/live-webhook.js';
import { startOperator, type Component, type OperatorHandle } from '../../operator/operator.js';
import type { InjectionConfig } from '../../operator/webhook/config.js';
import { InjectionWebhook } from '../../operator/webhook/index.js';
import { defaultRotationPolicy } from '../../operator/webhook/rotation.js';

export const SELECT_LABEL = 'test.tollgate.dev/e2e';

/** This run's label: on team namespaces (the webhook injects there) and on TeamBudgets (the operator syncs those). */
export const runLabels = (id: string): Record<string, string> => ({ [SELECT_LABEL]: id });

export interface OperatorWithWebhook {
  operator: OperatorHandle;
  /** The operator's own namespace: webhook Secret, leader Lease and Events. */
  namespace: string;
  /** Label a team namespace with this to have this operator's webhook inject into it (= `runLabels(id)`). */
  selector: Record<string, string>;
  /** Errors the webhook reported (admissions it could not answer, certificate trouble). */
  errors: unknown[];
  stop(): Promise<void>;
}

export interface OperatorWithWebhookOptions {
  kubeConfig: KubeConfig;
  id: string;
  redisUrl: string;
  syncIntervalMs: number;
  injection: InjectionConfig;
}

/** The webhook as an operator component: serves admissions and, this being the only replica, keeps the certificates. */
function webhookComponent(webhook: InjectionWebhook): Component {
  const abort = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  return {
    name: 'injection-webhook',
    async start() {
      let listening!: () => void;
      const listens = new Promise<void>((resolve) => (listening = resolve));
      running = Promise.all([webhook.keepCertificates(abort.signal), webhook.serve(abort.signal, listening)]);
      await Promise.race([
        listens,
        running.then(() => Promise.reject(new Error('the webhook stopped before listening'))),
      ]);
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}

/** What the chart renders, for a webhook on loopback, limited to this run's namespaces. */
function mutatingWebhook(port: number, id: string, operatorNamespace: string) {
  return loopbackMutatingWebhook({
    name: 'inject.tollgate.dev',
    port,
    selectLabels: runLabels(id),
    operatorNamespace,
  });
}

export async function startOperatorWithWebhook(
  options: OperatorWithWebhookOptions,
): Promise<OperatorWithWebhook> {
  const { kubeConfig, id } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const namespace = `tollgate-system-${id}`;
  const configurationName = `tollgate-injection-${id}`;
  const leaseName = `tollgate-operator-${id}`;
  const port = await freePort();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await admission.createMutatingWebhookConfiguration({
    body: { metadata: { name: configurationName }, webhooks: [mutatingWebhook(port, id, namespace)] },
  });

  const errors: unknown[] = [];
  const webhook = new InjectionWebhook(
    kubeConfig,
    {
      namespace,
      serviceName: 'tollgate-webhook',
      secretName: 'tollgate-webhook-tls',
      webhookConfigurationName: configurationName,
      host: '127.0.0.1',
      port,
      injection: { ...options.injection, excludedNamespaces: [namespace] },
      certificates: 'operator',
      policy: defaultRotationPolicy,
      extraNames: { dnsNames: [], ipAddresses: ['127.0.0.1'] },
      certificateIntervalMs: 1_000,
      reloadIntervalMs: 200,
    },
    (error) => errors.push(error),
  );
  const operator = await startOperator({
    kubeConfig,
    redisUrl: options.redisUrl,
    syncIntervalMs: options.syncIntervalMs,
    metricsPort: 0,
    identity: `e2e-${id}`,
    lease: { namespace, name: leaseName, durationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 },
    eventNamespace: namespace,
    selector: Object.entries(runLabels(id))
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
    // The story creates its TeamBudget; a creating operator would claim other files' teams.
    autoCreate: false,
    components: [webhookComponent(webhook)],
    logger: pino({ level: 'silent' }),
  });
  await waitFor('the operator to lead and publish the webhook caBundle', async () => {
    const config = await admission.readMutatingWebhookConfiguration({ name: configurationName });
    return operator.isLeader() && (config.webhooks?.[0]?.clientConfig.caBundle ?? '') !== '';
  });

  return {
    operator,
    namespace,
    selector: runLabels(id),
    errors,
    async stop() {
      // The configuration first: no pod anywhere may wait on a webhook that is going away.
      await admission.deleteMutatingWebhookConfiguration({ name: configurationName }).catch(() => undefined);
      await operator.stop({ releaseLease: true });
      // Takes the webhook Secret, the Lease and the Events with it.
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    },
  };
}

// The injection webhook as the operator runs it. Every replica serves
// admissions (`serve`); only the leader keeps the certificate and the
// caBundle current (`keepCertificates`), unless cert-manager does that.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ServingNames } from './certs.js';
import { CertificateKeeper } from './certificate-keeper.js';
import { defaultInjectionConfig, parseInjectionConfig, type InjectionConfig } from './config.js';
import { podInjector } from './injector.js';
import { checkPolicy, defaultRotationPolicy, type RotationPolicy } from './rotation.js';
import { startWebhookServer, type WebhookServer } from './server.js';
import { SecretTlsSource } from './serving-tls.js';

export interface InjectionWebhookOptions {
  /** The operator's own namespace: where the Secret lives, and never injected. */
  namespace: string;
  serviceName: string;
  secretName: string;
  webhookConfigurationName: string;
  host: string;
  port: number;
  injection: InjectionConfig;
  /** 'cert-manager': a Certificate fills the Secret and cainjector the caBundle. */
  certificates: 'operator' | 'cert-manager';
  policy: RotationPolicy;
  /** Extra SANs, e.g. 127.0.0.1 when the apiserver calls a URL on loopback. */
  extraNames?: ServingNames;
  certificateIntervalMs: number;
  reloadIntervalMs: number;
}

/** Reads TOLLGATE_WEBHOOK_* (set by the chart); defaults match the chart's defaults. */
export function injectionWebhookOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): InjectionWebhookOptions {
  const namespace = env.TOLLGATE_OPERATOR_NAMESPACE || 'tollgate-system';
  const [host = '0.0.0.0', port = '9443'] = (env.TOLLGATE_WEBHOOK_LISTEN || '0.0.0.0:9443').split(
    /:(?=\d+$)/,
  );
  const configFile = env.TOLLGATE_INJECTION_CONFIG;
  const injection = configFile
    ? parseInjectionConfig(JSON.parse(readFileSync(configFile, 'utf8')))
    : defaultInjectionConfig;
  return {
    namespace,
    serviceName: env.TOLLGATE_WEBHOOK_SERVICE || 'tollgate-webhook',
    secretName: env.TOLLGATE_WEBHOOK_SECRET || 'tollgate-webhook-tls',
    webhookConfigurationName: env.TOLLGATE_WEBHOOK_CONFIGURATION || 'tollgate-injection',
    host,
    port: Number(port),
    injection: {
      ...injection,
      excludedNamespaces: [...new Set([...injection.excludedNamespaces, namespace])],
    },
    certificates: env.TOLLGATE_WEBHOOK_CERTIFICATES === 'cert-manager' ? 'cert-manager' : 'operator',
    policy: defaultRotationPolicy,
    certificateIntervalMs: 60_000,
    reloadIntervalMs: 10_000,
  };
}

/** The DNS names the apiserver may use for the webhook Service. */
export function servingNames(options: InjectionWebhookOptions): ServingNames {
  const { serviceName: svc, namespace: ns } = options;
  return {
    dnsNames: [
      `${svc}.${ns}.svc`,
      `${svc}.${ns}.svc.cluster.local`,
      `${svc}.${ns}`,
      svc,
      ...(options.extraNames?.dnsNames ?? []),
    ],
    ipAddresses: options.extraNames?.ipAddresses ?? [],
  };
}

export class InjectionWebhook {
  private server: WebhookServer | undefined;
  private readonly tls: SecretTlsSource;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: InjectionWebhookOptions,
    private readonly onError: (error: unknown, context: string) => void,
  ) {
    checkPolicy(options.policy);
    this.tls = new SecretTlsSource(kubeConfig, options.namespace, options.secretName);
  }

  /** The listening port, once `serve` has started the server. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** All replicas: listen as soon as the Secret holds a certificate, follow renewals, stop when `signal` aborts. */
  async serve(signal: AbortSignal, onListening?: (port: number) => void): Promise<void> {
    const initial = await this.tls.waitForFirst(Math.min(this.options.reloadIntervalMs, 1_000), signal);
    const server = await startWebhookServer({
      host: this.options.host,
      port: this.options.port,
      tls: initial,
      review: podInjector(this.kubeConfig, this.options.injection),
      onError: (error, uid) => this.onError(error, `admission ${uid}`),
    });
    this.server = server;
    onListening?.(server.port);
    try {
      await this.tls.follow(
        initial,
        this.options.reloadIntervalMs,
        signal,
        (tls) => server.reloadTls(tls),
        (error) => this.onError(error, 'reading the webhook certificate'),
      );
    } finally {
      await server.close();
    }
  }

  /** Keeps the certificate and caBundle current until `signal` aborts; passes run only while `isLeader()`. */
  async keepCertificates(signal: AbortSignal, isLeader: () => boolean = () => true): Promise<void> {
    if (this.options.certificates === 'cert-manager') return;
    const keeper = new CertificateKeeper(this.kubeConfig, {
      namespace: this.options.namespace,
      secretName: this.options.secretName,
      webhookConfigurationName: this.options.webhookConfigurationName,
      names: servingNames(this.options),
      policy: this.options.policy,
    });
    await keeper.run(this.options.certificateIntervalMs, signal, isLeader, (error) =>
      this.onError(error, 'rotating webhook certificates'),
    );
  }
}

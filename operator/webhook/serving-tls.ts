// Every replica's side of webhook TLS: serve what the Secret holds, and pick
// up a renewed certificate (from the leader's CertificateKeeper or from
// cert-manager) without restarting.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { abortableSleep } from './abortable-sleep.js';
import { isNotFound, materialFromSecret } from './certificate-keeper.js';
import type { ServingTls } from './server.js';

export class SecretTlsSource {
  private readonly core: CoreV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly secretName: string,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async read(): Promise<ServingTls | undefined> {
    try {
      const secret = await this.core.readNamespacedSecret({
        name: this.secretName,
        namespace: this.namespace,
      });
      const material = materialFromSecret(secret);
      return material && { certPem: material.certPem, keyPem: material.keyPem };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Polls until the Secret holds a certificate (the leader may still be creating it). */
  async waitForFirst(intervalMs: number, signal: AbortSignal): Promise<ServingTls> {
    for (;;) {
      signal.throwIfAborted();
      const tls = await this.read().catch(() => undefined);
      if (tls) return tls;
      await abortableSleep(intervalMs, signal);
    }
  }

  /** Calls `onChange` whenever the Secret's certificate differs from the last one seen. */
  async follow(
    initial: ServingTls,
    intervalMs: number,
    signal: AbortSignal,
    onChange: (tls: ServingTls) => void,
    onError: (error: unknown) => void,
  ): Promise<void> {
    let last = initial.certPem;
    while (!signal.aborted) {
      await abortableSleep(intervalMs, signal);
      if (signal.aborted) break;
      const tls = await this.read().catch((error: unknown) => void onError(error));
      if (tls && tls.certPem !== last) {
        last = tls.certPem;
        onChange(tls);
      }
    }
  }
}

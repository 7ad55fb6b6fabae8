// The injection webhook as one of the operator process's components
// (operator/main.ts `extraComponents`). Every replica serves admissions; the
// certificate keeper runs where `isLeader` says so (a non-leader's pass is
// skipped, and concurrent writers are settled by the Secret's resourceVersion).
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { InjectionWebhook, injectionWebhookOptionsFromEnv, type InjectionWebhookOptions } from './index.js';

export interface WebhookComponent {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function injectionWebhookComponent(
  options: InjectionWebhookOptions = injectionWebhookOptionsFromEnv(),
  isLeader: () => boolean = () => true,
): WebhookComponent {
  const log = pino({ name: 'tollgate-webhook' });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  // Errors carry API status and messages, never admission bodies (pod env may hold secrets).
  const webhook = new InjectionWebhook(kubeConfig, options, (error, context) =>
    log.error({ err: error instanceof Error ? error.message : String(error) }, context),
  );
  const abort = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  return {
    name: 'injection-webhook',
    start() {
      running = Promise.all([
        webhook.serve(abort.signal, (port) => log.info({ port }, 'injection webhook listening')),
        webhook.keepCertificates(abort.signal, isLeader),
      ]).catch((error: unknown) => log.error({ err: String(error) }, 'injection webhook stopped'));
      return Promise.resolve();
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}

// `tollgate operator`: flags and environment in, a running operator out.
// SIGTERM/SIGINT stop it gracefully, releasing the leader lease at once.
import { parseArgs } from 'node:util';
import { DEFAULT_SYNC_INTERVAL_MS, startOperator, type Component } from './operator.js';
import { injectionWebhookComponent } from './webhook/component.js';

/** Extra servers the operator process hosts (the injection webhook registers itself here). */
export const extraComponents: Component[] = [];

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

function booleanEnv(name: string, text: string | undefined, fallback: boolean): boolean {
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new Error(`${name} must be true or false, got ${JSON.stringify(text)}`);
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'sync-interval': { type: 'string' },
      'metrics-port': { type: 'string' },
      'lease-namespace': { type: 'string' },
      'event-namespace': { type: 'string' },
      'runaway-factor': { type: 'string' },
      // Which TeamBudgets this operator owns (equality only): two installs or shards share a cluster.
      selector: { type: 'string' },
      'no-auto-create': { type: 'boolean' },
    },
  });
  const env = process.env;
  // --- injection webhook (operator/webhook/): on when the chart names its configuration ---
  if (env.TOLLGATE_WEBHOOK_CONFIGURATION && !extraComponents.some((c) => c.name === 'injection-webhook'))
    extraComponents.push(injectionWebhookComponent());
  // --- end injection webhook ---
  const syncSeconds = positiveNumber(
    '--sync-interval (seconds)',
    values['sync-interval'] ?? env.TOLLGATE_SYNC_INTERVAL,
    DEFAULT_SYNC_INTERVAL_MS / 1000,
  );
  const runawayFactor = values['runaway-factor'] ?? env.TOLLGATE_RUNAWAY_FACTOR;
  const operator = await startOperator({
    syncIntervalMs: syncSeconds * 1000,
    metricsPort: positiveNumber('--metrics-port', values['metrics-port'] ?? env.TOLLGATE_METRICS_PORT, 9090),
    lease: { namespace: values['lease-namespace'] ?? env.POD_NAMESPACE },
    eventNamespace: values['event-namespace'] ?? env.POD_NAMESPACE,
    status: { runaway: { factor: positiveNumber('--runaway-factor', runawayFactor, 10) } },
    selector: values.selector ?? env.TOLLGATE_SELECTOR,
    autoCreate:
      !values['no-auto-create'] && booleanEnv('TOLLGATE_AUTO_CREATE', env.TOLLGATE_AUTO_CREATE, true),
    components: extraComponents,
  });
  await new Promise<void>((resolve) => {
    const shutdown = () => void operator.stop({ releaseLease: true }).finally(resolve);
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}

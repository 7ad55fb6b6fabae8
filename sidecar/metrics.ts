// Prometheus metrics for the admin port. Cost is exported in USD (a float is
// fine for a dashboard; the ledger keeps the exact integer).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const CALL_LABELS = ['team', 'provider', 'model', 'job'] as const;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'tollgate_requests_total',
      help: 'Metered LLM calls, by team, provider, model and job.',
      labelNames: [...CALL_LABELS, 'status'],
      registers,
    }),
    tokens: new Counter({
      name: 'tollgate_tokens_total',
      help: 'Tokens by billed type (input, cached_input, cache_write, output; reasoning is inside output).',
      labelNames: [...CALL_LABELS, 'type'],
      registers,
    }),
    cost: new Counter({
      name: 'tollgate_cost_usd_total',
      help: 'Spend in USD, priced at the rate in force when each call was made.',
      labelNames: CALL_LABELS,
      registers,
    }),
    duration: new Histogram({
      name: 'tollgate_request_duration_seconds',
      help: 'Time from request to the end of the response, through the sidecar.',
      labelNames: ['provider', 'metered'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'tollgate_upstream_errors_total',
      help: 'Upstream calls that failed: unreachable, timeout, broken stream, or a 5xx status.',
      labelNames: ['team', 'provider', 'job', 'kind'],
      registers,
    }),
    unmetered: new Counter({
      name: 'tollgate_unmetered_requests_total',
      help: 'Calls forwarded without metering (paths that are not metered endpoints).',
      labelNames: ['team', 'provider', 'job'],
      registers,
    }),
    unpriced: new Counter({
      name: 'tollgate_unpriced_requests_total',
      help: 'Metered calls recorded at cost 0 because the model has no price.',
      labelNames: CALL_LABELS,
      registers,
    }),
    estimated: new Counter({
      name: 'tollgate_estimated_requests_total',
      help: 'Calls recorded from an estimate (client left mid-stream, or no usage reported).',
      labelNames: CALL_LABELS,
      registers,
    }),
    spoolDepth: new Gauge({
      name: 'tollgate_spool_depth',
      help: 'Usage records waiting in the local spool for Redis to return.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

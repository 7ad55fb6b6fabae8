// Operator metrics, one registry per operator instance (tests run two in one
// process). prom-client renders the exposition format.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly budget = new Gauge({
    name: 'tollgate_team_budget_usd',
    help: 'Budget limit per period, USD',
    labelNames: ['team'],
    registers: [this.registry],
  });
  readonly spent = new Gauge({
    name: 'tollgate_team_spent_usd',
    help: 'Spend in the current period, USD',
    labelNames: ['team'],
    registers: [this.registry],
  });
  readonly forecast = new Gauge({
    name: 'tollgate_team_forecast_usd',
    help: 'Projected spend at period end, USD',
    labelNames: ['team'],
    registers: [this.registry],
  });
  readonly podsWithoutSidecar = new Gauge({
    name: 'tollgate_pods_without_sidecar',
    help: "Unfinished pods in the team's namespaces running without the sidecar (unmetered, not opted out)",
    labelNames: ['team'],
    registers: [this.registry],
  });
  readonly podsOptedOut = new Gauge({
    name: 'tollgate_pods_sidecar_opted_out',
    help: "Unfinished pods in the team's namespaces labelled tollgate.dev/inject=false",
    labelNames: ['team'],
    registers: [this.registry],
  });
  readonly syncDuration = new Histogram({
    name: 'tollgate_operator_sync_duration_seconds',
    help: 'Duration of one sync over all TeamBudgets',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly syncErrors = new Counter({
    name: 'tollgate_operator_sync_errors_total',
    help: 'Failed syncs and failed single status writes',
    registers: [this.registry],
  });
  readonly statusConflicts = new Counter({
    name: 'tollgate_operator_status_conflicts_total',
    help: 'Status writes retried after a 409',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'tollgate_operator_leader',
    help: '1 while this replica holds the lease',
    registers: [this.registry],
  });
}

/** Serves GET /metrics; port 0 picks a free one. */
export async function serveMetrics(
  metrics: OperatorMetrics,
  port: number,
  host = '0.0.0.0',
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

// The price catalog the demo installs: the Helm chart's default ModelPrices
// (rendered with the pinned helm), plus demo/model-prices.yaml for any model the
// traffic uses that the chart does not price (or all of them, without a chart).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { compilePriceTable } from '../core/pricing.js';
import type { ModelPrice } from '../core/types.js';
import type { ClusterEnv } from '../test/cluster/control-plane.js';
import { kubectl } from './processes.js';
import { modelsUsed } from './scenario.js';

const CHART = 'charts/tollgate';
const FALLBACK = new URL('./model-prices.yaml', import.meta.url);

function modelPrices(multiDocYaml: string): ModelPrice[] {
  return parseAllDocuments(multiDocYaml)
    .map((doc) => doc.toJS() as { kind?: string } | null)
    .filter((doc): doc is ModelPrice => doc?.kind === 'ModelPrice');
}

async function chartCatalog(env: ClusterEnv): Promise<ModelPrice[]> {
  if (!existsSync(`${CHART}/Chart.yaml`)) return [];
  try {
    // Without a cluster to ask, helm assumes an old Kubernetes; tell it the real one.
    const version = JSON.parse(await kubectl(env, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    const args = ['template', 'tollgate', CHART, '--kube-version', version.serverVersion.gitVersion];
    const { stdout } = await promisify(execFile)('helm', args, {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return modelPrices(stdout);
  } catch (error) {
    console.warn(`  (could not render ${CHART}, using the demo's own prices: ${(error as Error).message})`);
    return [];
  }
}

export interface Catalog {
  /** Multi-document YAML for kubectl apply. */
  yaml: string;
  summary: string;
}

export async function priceCatalog(env: ClusterEnv): Promise<Catalog> {
  const chart = await chartCatalog(env);
  const table = compilePriceTable(chart.map((price) => price.spec));
  const fallback = modelPrices(readFileSync(FALLBACK, 'utf8'));
  const missing = modelsUsed().filter(({ provider, model }) => !table.lookup(provider, model, Date.now()));
  const added = fallback.filter((price) =>
    missing.some((m) => m.provider === price.spec.provider && m.model === price.spec.model),
  );
  const all = [...chart, ...added];
  const summary =
    chart.length > 0
      ? `${chart.length} ModelPrices from ${CHART}` + (added.length ? ` + ${added.length} from demo/` : '')
      : `${added.length} ModelPrices from demo/model-prices.yaml (no chart catalog found)`;
  return { yaml: all.map((doc) => stringify(doc)).join('---\n'), summary };
}

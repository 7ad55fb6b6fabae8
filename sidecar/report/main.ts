// tollgate report: the chargeback view of the ledger. Thin: arguments in,
// ledger/ reads, pure formatting out.
import { parseArgs } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../ledger/client.js';
import { formatFocus, providerLookup } from './focus.js';
import { formatCsv, formatJson, formatTable } from './format.js';
import { loadLedgers, loadPrices } from './load.js';
import { windowOfId } from './period.js';
import { parseDimensions, teamRows, type Dimension } from './rows.js';

const USAGE = `usage: tollgate report [options]

  --redis URL[,URL...]   the ledger (default: $TOLLGATE_REDIS_URL); several URLs: Redis Cluster seeds
  --cluster              a single URL is one node of a Redis Cluster
  --team T               only this team (repeatable; default: every team)
  --period P             current (default), previous, or an id: 2026-12, 2026-W49, 2026-12-04
  --by model,job         break down by model, job, or both
  --format F             table (default), json, csv, or focus (FinOps FOCUS 1.2 CSV, per model)
  --billing-account ID   FOCUS BillingAccountId (default: tollgate)
`;

const FORMATS = ['table', 'json', 'csv', 'focus'] as const;
type Format = (typeof FORMATS)[number];

export interface ReportIo {
  out: (text: string) => void;
  err: (text: string) => void;
  now?: Date;
}

/** One URL: a single Redis, unless --cluster. Several (comma-separated): Cluster seed nodes, as the sidecar takes them. */
function connect(urls: string, cluster: boolean): RedisClient {
  const list = urls.split(',').map((url) => url.trim());
  if (!cluster && list.length === 1) return new Redis(list[0]!, { maxRetriesPerRequest: 1 });
  const seeds = list.map((url) => new URL(url));
  const { username, password } = seeds[0]!;
  return new Cluster(
    seeds.map(({ hostname, port }) => ({ host: hostname, port: Number(port || 6379) })),
    { redisOptions: { username: username || undefined, password: password || undefined } },
  );
}

/** Runs the report; resolves to the process exit code. */
export async function runReport(args: string[], io: ReportIo): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args,
      options: {
        redis: { type: 'string' },
        cluster: { type: 'boolean', default: false },
        team: { type: 'string', multiple: true },
        period: { type: 'string', default: 'current' },
        by: { type: 'string' },
        format: { type: 'string', default: 'table' },
        'billing-account': { type: 'string', default: 'tollgate' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  const url = options.redis ?? process.env.TOLLGATE_REDIS_URL;
  const format = options.format as Format;
  let by: Dimension[];
  try {
    if (!url) throw new Error('--redis URL (or TOLLGATE_REDIS_URL) is required');
    if (!FORMATS.includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
    by = parseDimensions(options.by);
    if (options.period !== 'current' && options.period !== 'previous') windowOfId(options.period, 'UTC');
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  // A FOCUS row is a charge for one SKU, and a SKU is a model.
  if (format === 'focus' && !by.includes('model')) by = ['model', ...by];

  const client = connect(url, options.cluster);
  try {
    const { ledgers, warnings } = await loadLedgers(client, {
      teams: options.team,
      period: options.period,
      by,
      now: io.now ?? new Date(),
    });
    const rows = ledgers.flatMap((ledger) => {
      const result = teamRows(ledger, by);
      warnings.push(...result.warnings);
      return result.rows;
    });
    for (const warning of warnings) io.err(`warning: ${warning}\n`);
    if (format === 'json') io.out(formatJson(rows));
    else if (format === 'csv') io.out(formatCsv(rows));
    else if (format === 'table') io.out(formatTable(rows));
    else {
      const providerOf = providerLookup(await loadPrices(client));
      io.out(formatFocus(rows, { billingAccount: options['billing-account'], providerOf }));
    }
    return 0;
  } catch (error) {
    io.err(`tollgate report: ${(error as Error).message}\n`);
    return 1;
  } finally {
    client.disconnect();
  }
}

export async function main(args: string[]): Promise<void> {
  process.exitCode = await runReport(args, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

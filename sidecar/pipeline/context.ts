// The call context every pipeline stage reads and extends. The pipeline is
//   identify -> policy -> reserve -> forward -> meter -> settle -> record
// Before-stages (policy, reserve) may refuse the call; after-stages (settle,
// record) run once the client has its response. At most ONE Redis round trip
// happens before forwarding (reserve) and ONE after (record, with settle folded
// into the ledger's record script through `reservationId`).
import type { Cluster, Redis } from 'ioredis';
import type { LedgerWriter } from '../../core/ledger.js';
import type { UsageRecord } from '../../core/usage.js';
import type { Identity, SidecarConfig, Upstream } from '../config.js';
import type { LimitState } from '../enforce/reserve.js';
import type { Metrics } from '../metrics.js';
import type { PriceBook } from '../prices/price-book.js';
import type { Endpoint, ErrorKind, MeteredUsage, ProviderAdapter } from '../providers/provider.js';
import type { Logger } from 'pino';

/** Everything stages may use; built once per sidecar. */
export interface StageDeps {
  config: SidecarConfig;
  prices: PriceBook;
  ledger: LedgerWriter;
  /** Shared client for the reserve stage's single round trip (and price reads). */
  redis: Redis | Cluster;
  metrics: Metrics;
  log: Logger;
}

/** A call the sidecar answers itself, in the provider's error shape. */
export interface Refusal {
  status: number;
  kind: ErrorKind;
  message: string;
  headers?: Record<string, string>;
}

export interface CallContext {
  readonly requestId: string;
  /** ms since epoch; picks the price in force and the period. */
  readonly startedAt: number;
  readonly identity: Identity;
  readonly upstream: Upstream;
  readonly adapter: ProviderAdapter;
  readonly method: string;
  /** Path below the route prefix, e.g. "/v1/chat/completions". */
  readonly path: string;
  /** Full upstream URL (host from config only, never from the request). */
  readonly target: URL;
  /** Headers to send upstream (caller identity and hop-by-hop headers removed). */
  headers: Record<string, string | string[]>;
  /** Bytes to send upstream. */
  body: Buffer;
  /** Size of the body the client sent (for estimates). */
  readonly requestBytes: number;
  /** Set for metered calls: the endpoint and its parsed body. */
  endpoint?: Endpoint;
  json?: Record<string, unknown>;
  /** The client's stream must be rewritten (see StreamMeter.onEvent). */
  rewriteStream: boolean;
  /** Ledger period; identify sets Monthly/UTC, the policy stage sets the team's own. */
  periodId: string;
  /** Set by reserve; the record script settles it. */
  reservationId?: string;
  /** What enforcement found, for later stages. */
  enforcement: {
    /** Rate limits that admitted the call, for the response's x-tollgate-ratelimit-* headers. */
    limits?: LimitState[];
  };

  // Filled by forward:
  status?: number;
  /**
   * How the exchange ended: upstream_failed = no response at all (nothing to
   * bill, answered 502/504); upstream_broken = the response broke off midway;
   * shutdown = the sidecar stopped it after its shutdown grace (billed as an
   * estimate, like client_gone).
   */
  outcome?: 'completed' | 'client_gone' | 'upstream_failed' | 'upstream_broken' | 'refused' | 'shutdown';
  /** Usage the response reported (undefined when it reported none). */
  reported?: MeteredUsage;
  /** Characters of generated text streamed, for estimates. */
  streamedChars: number;
  /** Filled by meter: the priced record (undefined for unmetered calls). */
  record?: UsageRecord;
}

/** policy, reserve: return a Refusal to answer the call without forwarding it. */
export type BeforeStage = (ctx: CallContext) => Promise<Refusal | undefined> | Refusal | undefined;
/** settle: runs after the response, before record; may adjust ctx.record or ctx.reservationId. */
export type AfterStage = (ctx: CallContext) => Promise<void> | void;

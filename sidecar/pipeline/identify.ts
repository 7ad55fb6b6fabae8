// Identify stage: who is calling (from config, never from the request), where
// the call goes (host from config, never from the request), and what it is.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { periodWindow } from '../../core/period.js';
import type { Upstream } from '../config.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { CallContext, StageDeps } from './context.js';

/** Headers that describe one hop, not the call, plus any the caller could use to claim an identity. */
const DROPPED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
]);

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED.has(name) || name.startsWith('x-tollgate-')) continue;
    out[name] = value;
  }
  return out;
}

/** The upstream URL: the configured base plus the path below the route prefix. */
export function upstreamUrl(base: URL, pathAndQuery: string): URL {
  const basePath = base.pathname.replace(/\/+$/, '');
  return new URL(basePath + pathAndQuery, base.origin);
}

export function identify(
  deps: StageDeps,
  upstream: Upstream,
  adapter: ProviderAdapter,
  method: string,
  pathAndQuery: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): CallContext {
  const startedAt = Date.now();
  const queryAt = pathAndQuery.indexOf('?');
  const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
  return {
    requestId: randomUUID(),
    startedAt,
    identity: deps.config.identity,
    upstream,
    adapter,
    method,
    path,
    target: upstreamUrl(upstream.baseUrl, pathAndQuery),
    headers: forwardedHeaders(headers),
    body,
    requestBytes: body.length,
    rewriteStream: false,
    periodId: periodWindow('Monthly', new Date(startedAt)).id,
    enforcement: {},
    streamedChars: 0,
  };
}

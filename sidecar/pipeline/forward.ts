// Forward stage: sends the call upstream with undici and streams the response
// back chunk by chunk while the provider's meter reads usage on the side. A
// client that goes away aborts the upstream call (it would keep costing money),
// and so does the end of the sidecar's shutdown grace (`stopping`).
import type { ServerResponse } from 'node:http';
import { errors, type Dispatcher } from 'undici';
import { rateLimitHeaders, TOLLGATE_RATELIMIT_PREFIX } from '../enforce/refusal.js';
import { SseSplitter } from '../providers/sse.js';
import type { CallContext, StageDeps } from './context.js';
import { sendError } from './respond.js';

/** Response headers that belong to one hop, or that a rewritten body makes wrong. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
]);

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const seen = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = seen?.code ?? seen?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function responseHeaders(
  headers: Dispatcher.ResponseData['headers'],
  rewritten: boolean,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (rewritten && name === 'content-length') continue;
    out[name] = value;
  }
  return out;
}

/** Writes with backpressure; resolves false once the client is gone. */
function write(res: ServerResponse, chunk: string | Uint8Array): Promise<boolean> | boolean {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const SHUTTING_DOWN = 'the tollgate sidecar is shutting down and stopped waiting for the upstream';

export async function forward(
  deps: StageDeps,
  ctx: CallContext,
  dispatcher: Dispatcher,
  res: ServerResponse,
  stopping: AbortSignal,
): Promise<void> {
  if (stopping.aborted) {
    // Past the grace already: nothing was sent, so nothing is billed.
    ctx.outcome = 'refused';
    ctx.status = 503;
    sendError(res, ctx.adapter, 503, 'internal', SHUTTING_DOWN, { 'retry-after': '1' });
    return;
  }
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) {
      ctx.outcome = 'client_gone';
      abort.abort();
    }
  };
  // The grace is over: stop the upstream; the call is billed as an estimate, like a client that left.
  const onStop = () => {
    if (ctx.outcome !== undefined) return;
    ctx.outcome = 'shutdown';
    abort.abort();
  };
  res.on('close', onClose);
  stopping.addEventListener('abort', onStop);
  try {
    await exchange(deps, ctx, dispatcher, res, abort.signal);
  } finally {
    res.off('close', onClose);
    stopping.removeEventListener('abort', onStop);
  }
}

async function exchange(
  deps: StageDeps,
  ctx: CallContext,
  dispatcher: Dispatcher,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const { adapter } = ctx;
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await dispatcher.request({
      origin: ctx.target.origin,
      path: ctx.target.pathname + ctx.target.search,
      method: ctx.method,
      headers: ctx.headers,
      body: ctx.method === 'GET' || ctx.method === 'HEAD' ? null : ctx.body,
      signal,
    });
  } catch (error) {
    if (ctx.outcome === 'client_gone') return;
    if (ctx.outcome === 'shutdown') {
      ctx.status = 503;
      sendError(res, adapter, 503, 'internal', SHUTTING_DOWN, { 'retry-after': '1' });
      return;
    }
    ctx.outcome = 'upstream_failed';
    const timedOut = TIMEOUTS.has(errorCode(error) ?? '') || error instanceof errors.HeadersTimeoutError;
    ctx.status = timedOut ? 504 : 502;
    deps.metrics.upstreamErrors.inc({ ...labelsOf(ctx), kind: timedOut ? 'timeout' : 'unreachable' });
    const message = timedOut
      ? `upstream ${ctx.upstream.provider} did not answer in time`
      : `upstream ${ctx.upstream.provider} is unreachable`;
    sendError(res, adapter, ctx.status, timedOut ? 'upstream_timeout' : 'upstream_unreachable', message);
    return;
  }

  ctx.status = upstream.statusCode;
  if (upstream.statusCode >= 500)
    deps.metrics.upstreamErrors.inc({ ...labelsOf(ctx), kind: `status_${upstream.statusCode}` });
  const contentType = String(upstream.headers['content-type'] ?? '');
  const endpoint = ctx.endpoint;
  const streaming = endpoint !== undefined && contentType.includes('text/event-stream');
  const rewrite = streaming && ctx.rewriteStream;
  const headers = responseHeaders(upstream.headers, rewrite);
  const limits = ctx.enforcement.limits;
  if (limits && limits.length > 0 && upstream.statusCode < 300) {
    // Beside the upstream's own x-ratelimit-*, never over them (see TOLLGATE_RATELIMIT_PREFIX).
    Object.assign(headers, rateLimitHeaders(limits, TOLLGATE_RATELIMIT_PREFIX));
  }
  res.writeHead(upstream.statusCode, headers);

  const meter = streaming ? adapter.streamMeter(endpoint, rewrite) : undefined;
  const splitter = meter ? new SseSplitter() : undefined;
  const jsonParts: Buffer[] | undefined = endpoint !== undefined && !streaming ? [] : undefined;
  try {
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      if (meter && splitter) {
        const events = splitter.push(chunk);
        let out: string | Buffer = chunk;
        if (rewrite) {
          out = '';
          for (const event of events) {
            const replaced = meter.onEvent(event);
            if (replaced !== null) out += replaced ?? event.raw;
          }
        } else {
          for (const event of events) meter.onEvent(event);
        }
        ctx.streamedChars = meter.textChars;
        ctx.reported = meter.usage();
        if (out.length > 0 && !(await write(res, out))) break;
      } else {
        jsonParts?.push(chunk);
        if (!(await write(res, chunk))) break;
      }
    }
  } catch (error) {
    if (ctx.outcome === 'shutdown') {
      res.destroy(); // mid-response, cutting it is the only way left to tell the client
    } else if (ctx.outcome !== 'client_gone') {
      ctx.outcome = 'upstream_broken';
      deps.metrics.upstreamErrors.inc({
        ...labelsOf(ctx),
        kind: TIMEOUTS.has(errorCode(error) ?? '') ? 'timeout' : 'broken',
      });
      res.destroy();
    }
    return;
  }
  if (ctx.outcome === 'client_gone' || res.destroyed) {
    ctx.outcome = 'client_gone';
    upstream.body.destroy();
    return;
  }
  res.end();
  ctx.outcome = 'completed';
  if (jsonParts && jsonParts.length > 0) {
    try {
      ctx.reported = adapter.usageFromResponse(JSON.parse(Buffer.concat(jsonParts).toString('utf8')));
    } catch {
      // Not JSON (e.g. an HTML error page from a proxy): no usage to read.
    }
  }
}

export const labelsOf = (ctx: CallContext) => ({
  team: ctx.identity.team,
  provider: ctx.upstream.provider,
  job: ctx.identity.job,
});

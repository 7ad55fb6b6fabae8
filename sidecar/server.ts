// The sidecar's two servers: the proxy on loopback (routes /openai, /anthropic,
// /gemini and configured OpenAI-compatible prefixes to their upstreams) and the
// admin server (/metrics, /healthz, /readyz).
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { DestinationStream, Logger } from 'pino';
import { Agent } from 'undici';
import type { LedgerWriter } from '../core/ledger.js';
import type { SidecarConfig, Upstream } from './config.js';
import { enforcementFor } from './enforce/runtime.js';
import { connectRedis, startLedger } from './ledger.js';
import { createLogger } from './log.js';
import { createMetrics } from './metrics.js';
import type { StageDeps } from './pipeline/context.js';
import { sendError } from './pipeline/respond.js';
import { Pipeline } from './pipeline/run.js';
import { startFilePriceSource } from './prices/file-source.js';
import { PriceBook, type PriceLog, type PriceSource } from './prices/price-book.js';
import { startRedisPriceSource } from './prices/redis-source.js';
import { createAnthropicAdapter } from './providers/anthropic.js';
import { createGeminiAdapter } from './providers/gemini.js';
import { createOpenAiAdapter } from './providers/openai.js';
import type { ProviderAdapter } from './providers/provider.js';

export interface SidecarOptions {
  /** Replaces the Redis ledger (tests of the pipeline alone). */
  ledger?: LedgerWriter;
  /** Where log lines go (default: stdout). */
  logDestination?: DestinationStream;
}

export interface RunningSidecar {
  /** Proxy base URL, e.g. http://127.0.0.1:15500 */
  url: string;
  adminUrl: string;
  prices: PriceBook;
  log: Logger;
  /**
   * Stops accepting, lets in-flight calls finish for up to config.shutdownGraceMs
   * (then aborts their upstream calls, which record estimates), flushes the ledger.
   */
  close(): Promise<void>;
}

interface Route {
  upstream: Upstream;
  adapter: ProviderAdapter;
}

function adapterFor(upstream: Upstream): ProviderAdapter {
  switch (upstream.kind) {
    case 'openai':
      return createOpenAiAdapter(upstream.provider);
    case 'anthropic':
      return createAnthropicAdapter();
    case 'gemini':
      return createGeminiAdapter();
  }
}

/** "/openai/v1/chat?x" -> the openai route and "/v1/chat?x". */
function splitPrefix(url: string): { prefix: string; rest: string } {
  const slash = url.indexOf('/', 1);
  const query = url.indexOf('?');
  const end =
    slash === -1 ? (query === -1 ? url.length : query) : query !== -1 && query < slash ? query : slash;
  const rest = url.slice(end);
  return { prefix: url.slice(1, end), rest: rest.startsWith('/') ? rest : `/${rest}` };
}

export async function startSidecar(
  config: SidecarConfig,
  options: SidecarOptions = {},
): Promise<RunningSidecar> {
  const log = createLogger(config.logLevel, options.logDestination);
  const metrics = createMetrics();
  const redis: Redis | Cluster = connectRedis(config.redisUrls);
  redis.on('error', () => undefined); // ioredis reconnects by itself; the ledger spools meanwhile
  const ledger = options.ledger ?? (await startLedger(config, redis, metrics, log));
  const prices = new PriceBook();
  const priceLog: PriceLog = (level, message, fields) => log[level](fields ?? {}, message);
  const priceSource: PriceSource = config.pricesFile
    ? await startFilePriceSource(config.pricesFile, prices, priceLog)
    : await startRedisPriceSource(redis, prices, priceLog);

  const deps: StageDeps = { config, prices, ledger, redis, metrics, log };
  const dispatcher = new Agent({
    headersTimeout: config.upstreamTimeoutMs,
    bodyTimeout: config.upstreamTimeoutMs,
    connect: { timeout: Math.min(config.upstreamTimeoutMs, 10_000) },
  });
  const pipeline = new Pipeline(deps, dispatcher);
  const routes = new Map<string, Route>(
    config.upstreams.map((upstream) => [upstream.prefix, { upstream, adapter: adapterFor(upstream) }]),
  );
  const inFlight = new Set<Promise<void>>();

  const proxy = Fastify({
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  proxy.removeAllContentTypeParsers();
  proxy.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const routeOf = (request: FastifyRequest) => routes.get(splitPrefix(request.url).prefix);

  proxy.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const route = routeOf(request) ?? routes.get('openai')!;
    const status = error.statusCode ?? 500;
    const kind = status === 413 ? 'too_large' : status < 500 ? 'invalid_request' : 'internal';
    const message =
      status === 413
        ? `request body exceeds the sidecar's limit of ${config.maxBodyBytes} bytes`
        : error.message;
    void reply
      .status(status)
      .type('application/json')
      .send(route.adapter.errorBody(status, kind, message));
  });

  proxy.all('/*', (request, reply) => {
    const route = routeOf(request);
    reply.hijack();
    if (!route) {
      const known = [...routes.keys()].map((p) => `/${p}/`).join(', ');
      sendError(
        reply.raw,
        createOpenAiAdapter(),
        404,
        'invalid_request',
        `no upstream for this path; use one of ${known}`,
      );
      return;
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const call = {
      method: request.method,
      pathAndQuery: splitPrefix(request.url).rest,
      headers: request.headers,
      body,
    };
    const running = pipeline.handle(route.upstream, route.adapter, call, reply.raw);
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
  });

  const admin: FastifyInstance = Fastify();
  admin.get('/healthz', () => ({ status: 'ok' }));
  admin.get('/readyz', (_request, reply) => {
    const ready = proxy.server.listening;
    void reply
      .status(ready ? 200 : 503)
      .send({ ready, pricesLoaded: prices.loaded, pricesVersion: prices.version ?? null });
  });
  admin.get('/metrics', async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const url = await proxy.listen({ host: config.listen.host, port: config.listen.port });
  const adminUrl = await admin.listen({ host: config.adminListen.host, port: config.adminListen.port });
  log.info(
    {
      ...config.identity,
      url,
      adminUrl,
      upstreams: config.upstreams.map((u) => `/${u.prefix} -> ${u.baseUrl.origin}`),
    },
    'sidecar listening',
  );

  return {
    url,
    adminUrl,
    prices,
    log,
    async close() {
      // A stalled upstream could otherwise hold shutdown for the whole upstream timeout.
      const grace = setTimeout(() => {
        if (inFlight.size > 0) log.warn({ calls: inFlight.size }, 'shutdown grace over: stopping calls');
        pipeline.stopInFlight();
      }, config.shutdownGraceMs);
      const closed = proxy.close();
      await Promise.allSettled([...inFlight]);
      clearTimeout(grace);
      proxy.server.closeAllConnections(); // every call has ended: what is left is idle keep-alive
      await closed;
      await priceSource.close();
      // The policy source holds its own Redis subscriber connection. Enforcement
      // that failed to start has nothing open, and already logged why.
      await enforcementFor(deps).then(
        ({ source }) => source.close(),
        () => undefined,
      );
      await ledger.close();
      redis.disconnect();
      await admin.close();
      await dispatcher.close();
      log.flush();
    },
  };
}

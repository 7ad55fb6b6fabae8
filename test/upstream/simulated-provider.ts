// The one simulated party in the tests: an LLM provider speaking OpenAI,
// Anthropic and Gemini JSON and SSE as their API references document them,
// with deterministic usage. Tests, the benchmark and the demo import it.
//
// Paths are the providers' own (no /openai prefix): point the sidecar's
// TOLLGATE_UPSTREAM_OPENAI / _ANTHROPIC / _GEMINI at `url`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicStream, anthropicMessage } from './anthropic-wire.js';
import { geminiChunks, geminiResponse } from './gemini-wire.js';
import {
  openAiChat,
  openAiChatStream,
  openAiCompletion,
  openAiCompletionStream,
  openAiEmbeddings,
} from './openai-wire.js';
import { openAiResponse, openAiResponseStream } from './openai-responses-wire.js';
import type { SimulatedUsage, Writer } from './wire.js';

export type { SimulatedUsage } from './wire.js';

export interface SimulatedCall {
  provider: 'openai' | 'anthropic' | 'gemini' | 'other';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (undefined when not JSON). */
  body: unknown;
  /** The usage this response reported (undefined for unmetered paths). */
  usage?: SimulatedUsage;
  /** The client went away before the response was complete. */
  aborted: boolean;
  completed: boolean;
}

export interface SimulatedProviderOptions {
  /** Usage to report for a request; default derives it from the body size. */
  usage?: (call: { provider: string; path: string; body: unknown }) => SimulatedUsage;
  /** Text pieces streamed per response (default 3). */
  streamChunks?: number;
  /** Model the response reports, given the requested one (default: echo). */
  respondModel?: (requested: string) => string;
  port?: number;
}

export interface Behaviour {
  /** Stream this many content pieces, then stall until the client goes away. */
  stallAfterChunks?: number;
  /** Never send response headers (for timeouts). */
  hang?: boolean;
}

export interface SimulatedProvider {
  url: string;
  calls: SimulatedCall[];
  /** Behaviour for the next requests (until changed). */
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

/** Default usage: deterministic in the request body, all four classes non-zero. */
export function defaultUsage(call: { body: unknown }): SimulatedUsage {
  const size = JSON.stringify(call.body ?? null).length;
  return {
    input: 20 + (size % 97),
    cachedInput: 7 + (size % 13),
    cacheWrite: 5 + (size % 11),
    output: 30 + (size % 17),
    reasoning: 4,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function route(
  method: string,
  path: string,
): { provider: SimulatedCall['provider']; kind: string; model?: string } {
  const gemini = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (method === 'POST' && gemini) return { provider: 'gemini', kind: gemini[2]!, model: gemini[1]! };
  if (method === 'POST' && path === '/v1/messages') return { provider: 'anthropic', kind: 'messages' };
  if (method === 'POST' && path.endsWith('/chat/completions')) return { provider: 'openai', kind: 'chat' };
  if (method === 'POST' && path.endsWith('/completions')) return { provider: 'openai', kind: 'completions' };
  if (method === 'POST' && path.endsWith('/embeddings')) return { provider: 'openai', kind: 'embeddings' };
  if (method === 'POST' && path.endsWith('/responses')) return { provider: 'openai', kind: 'responses' };
  return { provider: 'other', kind: 'other' };
}

export async function startSimulatedProvider(
  options: SimulatedProviderOptions = {},
): Promise<SimulatedProvider> {
  const calls: SimulatedCall[] = [];
  let behaviour: Behaviour = {};
  const pieces = options.streamChunks ?? 3;
  const open = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
    } catch {
      body = undefined;
    }
    const target = route(method, url.pathname);
    const call: SimulatedCall = {
      provider: target.provider,
      method,
      path: url.pathname + url.search,
      headers: req.headers,
      body,
      aborted: false,
      completed: false,
    };
    calls.push(call);
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) call.aborted = true;
    });
    if (behaviour.hang) return;

    if (target.provider === 'other') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'simulated-model', object: 'model' }] }));
      call.completed = true;
      return;
    }
    const usage = (options.usage ?? defaultUsage)({ provider: target.provider, path: url.pathname, body });
    call.usage = usage;
    const bodyModel = (body as { model?: unknown } | undefined)?.model;
    const requested = target.model ?? (typeof bodyModel === 'string' ? bodyModel : 'unknown');
    const model = options.respondModel ? options.respondModel(requested) : requested;
    const request = (body ?? {}) as Record<string, unknown>;
    const stall = behaviour.stallAfterChunks;
    const writer: Writer = {
      write(text) {
        if (!res.writable || res.destroyed) return Promise.resolve(false);
        // Resolve after the bytes are handed to the socket, so streams arrive in pieces.
        return new Promise((resolve) => res.write(text, () => resolve(!res.destroyed)));
      },
      stallAfter: stall,
    };

    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
      call.completed = true;
    };
    const sse = async (produce: (w: Writer) => Promise<boolean>) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      if (await produce(writer)) {
        res.end();
        call.completed = true;
      }
    };

    switch (target.kind) {
      case 'chat':
        return request.stream === true
          ? sse((w) => openAiChatStream(w, request, model, usage, pieces))
          : json(openAiChat(model, usage));
      case 'completions':
        return request.stream === true
          ? sse((w) => openAiCompletionStream(w, request, model, usage, pieces))
          : json(openAiCompletion(model, usage));
      case 'embeddings':
        return json(openAiEmbeddings(model, usage));
      case 'responses':
        return request.stream === true
          ? sse((w) => openAiResponseStream(w, model, usage, pieces))
          : json(openAiResponse(model, usage));
      case 'messages':
        return request.stream === true
          ? sse((w) => anthropicStream(w, model, usage, pieces))
          : json(anthropicMessage(model, usage));
      case 'generateContent':
        return json(geminiResponse(model, usage));
      case 'streamGenerateContent':
        if (url.searchParams.get('alt') === 'sse') {
          return sse(async (w) => {
            for (const chunk of geminiChunks(model, usage, pieces)) {
              if (w.stallAfter !== undefined && chunk.index >= w.stallAfter) return false;
              if (!(await w.write(`data: ${JSON.stringify(chunk.body)}\r\n\r\n`))) return false;
            }
            return true;
          });
        }
        return json(geminiChunks(model, usage, pieces).map((c) => c.body));
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    behave(next) {
      behaviour = next;
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

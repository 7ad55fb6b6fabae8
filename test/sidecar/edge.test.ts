// Bad input, failures and the cases that must still cost money: each answered
// in the provider's own error shape, none crashing the sidecar or losing a record.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerKeys } from '../../core/ledger-keys.js';
import { periodWindow } from '../../core/period.js';
import { ledgerFields } from '../../core/usage.js';
import { waitFor } from '../support/wait.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  h = await startHarness({ env: { TOLLGATE_UPSTREAM_TIMEOUT_MS: '500' } });
  openai = new OpenAI({ apiKey: 'sk-test-secret', baseURL: `${h.sidecar.url}/openai/v1`, maxRetries: 0 });
});
afterAll(() => h?.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.sidecar.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const metricsText = async () => (await fetch(`${h.sidecar.adminUrl}/metrics`)).text();

describe('bad input', () => {
  it('malformed JSON is a 400 in each provider shape, and never goes upstream', async () => {
    const calls = h.upstream.calls.length;
    const openaiReply = await post('/openai/v1/chat/completions', '{"model": ');
    expect(openaiReply.status).toBe(400);
    expect(await openaiReply.json()).toEqual({
      error: {
        message: expect.any(String) as string,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const anthropicReply = await post('/anthropic/v1/messages', 'not json');
    expect(anthropicReply.status).toBe(400);
    expect(await anthropicReply.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.any(String) as string },
    });
    const geminiReply = await post('/gemini/v1beta/models/gemini-2.5-flash:generateContent', '[1,');
    expect(geminiReply.status).toBe(400);
    expect(await geminiReply.json()).toEqual({
      error: { code: 400, message: expect.any(String) as string, status: 'INVALID_ARGUMENT' },
    });
    expect(h.upstream.calls.length).toBe(calls);
  });

  it('a body over the limit is a 413 before anything goes upstream', async () => {
    const calls = h.upstream.calls.length;
    const huge = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(300 * 1024) }],
    });
    const reply = await post('/openai/v1/chat/completions', huge);
    expect(reply.status).toBe(413);
    const body = (await reply.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    const anthropicReply = await post('/anthropic/v1/messages', huge);
    expect(anthropicReply.status).toBe(413);
    expect(((await anthropicReply.json()) as { error: { type: string } }).error.type).toBe(
      'request_too_large',
    );
    expect(h.upstream.calls.length).toBe(calls);
  });

  it('an unknown route prefix is a 404, not a guess at an upstream', async () => {
    const reply = await post('/evil.example.com/v1/chat/completions', '{}');
    expect(reply.status).toBe(404);
  });
});

describe('upstream failures', () => {
  it('unreachable upstream: 502 in the provider shape', async () => {
    const dead = await startHarness({ upstreamUrl: 'http://127.0.0.1:1' });
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: `${dead.sidecar.url}/anthropic`, maxRetries: 0 });
      const error = await client.messages
        .create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
      const reply = await fetch(`${dead.sidecar.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        body: '{}',
      });
      expect(reply.status).toBe(502);
      expect(((await reply.json()) as { error: { status: string } }).error.status).toBe('UNAVAILABLE');
      const metrics = await (await fetch(`${dead.sidecar.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /tollgate_upstream_errors_total\{[^}]*provider="anthropic"[^}]*kind="unreachable"\} 1/,
      );
      expect(metrics).toMatch(
        /tollgate_upstream_errors_total\{[^}]*provider="gemini"[^}]*kind="unreachable"\} 1/,
      );
      // Nothing reached a provider, so nothing was spent or recorded.
      expect((await dead.period()).requests).toBe(0n);
    } finally {
      await dead.close();
    }
  });

  it('upstream timeout: 504 in the provider shape', async () => {
    h.upstream.behave({ hang: true });
    try {
      const reply = await post(
        '/openai/v1/chat/completions',
        JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      );
      expect(reply.status).toBe(504);
      expect(((await reply.json()) as { error: { code: string } }).error.code).toBe('upstream_timeout');
    } finally {
      h.upstream.behave({});
    }
    // Still serving.
    const ok = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.choices).toHaveLength(1);
  });
});

describe('identity and metering rules', () => {
  it('ignores a caller-supplied team header', async () => {
    const before = await h.period();
    const reply = await post(
      '/openai/v1/chat/completions',
      JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
      {
        'x-tollgate-team': 'someone-else',
      },
    );
    expect(reply.status).toBe(200);
    await h.nextRecord(before.requests!);
    expect(h.upstream.calls.at(-1)!.headers['x-tollgate-team']).toBeUndefined();
    const other = await h.redis.exists(
      ledgerKeys.period('someone-else', periodWindow('Monthly', new Date()).id),
    );
    expect(other).toBe(0);
  });

  it('forwards other paths untouched and counts them as unmetered', async () => {
    const before = await h.period();
    const reply = await fetch(`${h.sidecar.url}/openai/v1/models`);
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { object: string }).object).toBe('list');
    expect(await metricsText()).toMatch(
      new RegExp(`tollgate_unmetered_requests_total\\{team="${h.team}",provider="openai"[^}]*\\} 1`),
    );
    expect((await h.period()).requests).toBe(before.requests);
    expect(h.logs.some((l) => l.metered === false && l.path === '/v1/models')).toBe(true);
  });

  it('records an unpriced model with its tokens at cost 0, with a warning and a metric', async () => {
    const before = await h.period();
    await openai.chat.completions.create({
      model: 'mystery-model',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const after = await h.nextRecord(before.requests!);
    expect(after[ledgerFields.unpricedRequests]! - before[ledgerFields.unpricedRequests]!).toBe(1n);
    expect(after[ledgerFields.cost]).toBe(before[ledgerFields.cost]);
    expect(after[ledgerFields.byModel('mystery-model', ledgerFields.tokens('output'))]).toBe(300n);
    expect(await metricsText()).toMatch(
      /tollgate_unpriced_requests_total\{[^}]*model="mystery-model"[^}]*\} 1/,
    );
    expect(h.logs.some((l) => l.level === 40 && l.model === 'mystery-model' && l.unpriced === true)).toBe(
      true,
    );
  });

  it('a client that leaves mid-stream: upstream aborted, an estimate recorded and flagged', async () => {
    h.upstream.behave({ stallAfterChunks: 2 });
    try {
      const before = await h.period();
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      let seen = 0;
      for await (const chunk of stream) if (chunk.choices.length > 0 && ++seen === 2) break;
      const after = await h.nextRecord(before.requests!);
      await waitFor('the upstream call to be aborted', () => h.upstream.calls.at(-1)!.aborted);
      expect(after[ledgerFields.estimatedRequests]! - before[ledgerFields.estimatedRequests]!).toBe(1n);
      // Two pieces of 33 characters streamed: ceil(66 / 4) output tokens.
      const output = after[ledgerFields.tokens('output')]! - before[ledgerFields.tokens('output')]!;
      const input = after[ledgerFields.tokens('input')]! - before[ledgerFields.tokens('input')]!;
      expect(output).toBe(17n);
      expect(input).toBeGreaterThan(0n);
      expect(after.cost! - before.cost!).toBe(input * 150_000n + output * 600_000n);
    } finally {
      h.upstream.behave({});
    }
  });

  it('an Anthropic stream cut short keeps the input counts message_start reported', async () => {
    h.upstream.behave({ stallAfterChunks: 2 });
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: `${h.sidecar.url}/anthropic`, maxRetries: 0 });
      const before = await h.period();
      const stream = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 99,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      let deltas = 0;
      for await (const event of stream) if (event.type === 'content_block_delta' && ++deltas === 2) break;
      const after = await h.nextRecord(before.requests!);
      const delta = (field: string) => after[field]! - before[field]!;
      expect(delta(ledgerFields.estimatedRequests)).toBe(1n);
      expect(delta(ledgerFields.tokens('input'))).toBe(1000n);
      expect(delta(ledgerFields.tokens('cached_input'))).toBe(200n);
      expect(delta(ledgerFields.tokens('cache_write'))).toBe(50n);
      expect(delta(ledgerFields.tokens('output'))).toBe(17n);
    } finally {
      h.upstream.behave({});
    }
  });

  it('logs one line per call with identity, tokens and cost, and no keys', async () => {
    const before = await h.period();
    await fetch(
      `${h.sidecar.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=gemini-query-secret`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gemini-header-secret' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'a prompt that must not be logged' }] }] }),
      },
    );
    await h.nextRecord(before.requests!);
    const line = await waitFor('the log line', () =>
      h.logs.find((l) => l.provider === 'gemini' && l.metered === true),
    );
    expect(line).toMatchObject({
      team: h.team,
      namespace: 'shop',
      pod: 'checkout-api-7d9f',
      job: 'checkout-api',
      model: 'gemini-2.5-flash',
      tokens: { input: 1000, cached_input: 200, cache_write: 0, output: 300 },
      costUsd: '0.001065000000',
      status: 200,
      requestId: expect.any(String) as string,
      latencyMs: expect.any(Number) as number,
    });
    const all = JSON.stringify(h.logs);
    expect(all).not.toMatch(/secret|must not be logged|piece 0/);
    expect(line.path).toContain('key=[redacted]');
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${h.sidecar.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.sidecar.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, pricesLoaded: true });
  });
});

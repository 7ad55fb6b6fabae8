// Plays the scenario's traffic through each team's sidecar with the official
// SDKs, exactly as an application in the team's pod would call them.
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { CallShape, Team, TrafficBlock } from './scenario.js';

export interface Tally {
  ok: number;
  /** 429: the sidecar refused the call (hard budget or rate limit). */
  refused: number;
  failed: number;
  /** What the SDK reported for the first refusal. */
  firstRefusal?: string;
}

interface Clients {
  openai: OpenAI;
  anthropic: Anthropic;
}

// The sidecar forwards the key untouched; the simulated provider ignores it.
const API_KEY = 'demo-key-not-a-secret';

function clientsFor(sidecarUrl: string): Clients {
  return {
    // No retries: a refused call should show up as refused, not be retried after its Retry-After.
    openai: new OpenAI({ baseURL: `${sidecarUrl}/openai/v1`, apiKey: API_KEY, maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: `${sidecarUrl}/anthropic`, apiKey: API_KEY, maxRetries: 0 }),
  };
}

const SENTENCE =
  'Item %: customers mention battery life, delivery time, fit and finish, the return policy and the price. ';

/** Made-up text of `chars` characters; `seed` varies it so calls differ in size. */
function text(chars: number, seed: number): string {
  const sentence = SENTENCE.replace('%', String(seed));
  return sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars);
}

// No AbortSignal on the calls: the SDKs keep a listener on it per call, and every
// call here finishes in milliseconds, so an interrupt just waits for it.
async function call(clients: Clients, shape: CallShape, seed: number): Promise<void> {
  const prompt = text(shape.promptChars + ((seed * 37) % 400), seed);
  if (shape.sdk === 'openai') {
    const body = {
      model: shape.model,
      max_completion_tokens: shape.maxTokens,
      messages: [{ role: 'user' as const, content: prompt }],
    };
    if (!shape.stream) {
      await clients.openai.chat.completions.create(body);
      return;
    }
    const stream = await clients.openai.chat.completions.create({ ...body, stream: true });
    for await (const chunk of stream) void chunk;
    return;
  }
  const body = {
    model: shape.model,
    max_tokens: shape.maxTokens,
    ...(shape.systemChars > 0 ? { system: text(shape.systemChars, 0) } : {}),
    messages: [{ role: 'user' as const, content: prompt }],
  };
  if (!shape.stream) {
    await clients.anthropic.messages.create(body);
    return;
  }
  const stream = await clients.anthropic.messages.create({ ...body, stream: true });
  for await (const event of stream) void event;
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof OpenAI.APIError || error instanceof Anthropic.APIError)
    return error.status as number | undefined;
  return undefined;
}

/** The block's calls, evenly spaced over its slice of the run, `concurrency` at a time. */
async function playBlock(
  block: TrafficBlock,
  clients: Clients,
  startedAt: number,
  durationMs: number,
  tally: Tally,
  signal: AbortSignal,
): Promise<void> {
  const first = startedAt + block.from * durationMs;
  const spacing = ((block.to - block.from) * durationMs) / block.calls;
  let next = 0;
  const worker = async () => {
    while (next < block.calls && !signal.aborted) {
      const index = next++;
      const wait = first + index * spacing - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      try {
        await call(clients, block.shapes[index % block.shapes.length]!, index);
        tally.ok++;
      } catch (error) {
        if (signal.aborted) return;
        if (statusOf(error) === 429) {
          tally.refused++;
          tally.firstRefusal ??= (error as Error).message;
        } else tally.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: block.concurrency }, worker));
}

/** Runs every team's traffic to the end (or until `signal` aborts). */
export async function driveTraffic(
  teams: Team[],
  sidecarUrls: Map<string, string>,
  tallies: Map<string, Tally>,
  durationMs: number,
  signal: AbortSignal,
): Promise<void> {
  const startedAt = Date.now();
  await Promise.all(
    teams.flatMap((team) => {
      const clients = clientsFor(sidecarUrls.get(team.name)!);
      const tally = tallies.get(team.name)!;
      return team.traffic.map((block) => playBlock(block, clients, startedAt, durationMs, tally, signal));
    }),
  );
}

// OpenAI chat completions, completions and embeddings, as the API reference shows them.
import { stalls, textPieces, type SimulatedUsage, type Writer } from './wire.js';

const created = () => Math.floor(Date.now() / 1000);

function chatUsage(u: SimulatedUsage) {
  const prompt = u.input + u.cachedInput;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cachedInput, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function openAiChat(model: string, usage: SimulatedUsage) {
  return {
    id: 'chatcmpl-simulated',
    object: 'chat.completion',
    created: created(),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: textPieces(3).join(''), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(usage),
    service_tier: 'default',
    system_fingerprint: 'fp_simulated',
  };
}

const includeUsage = (request: Record<string, unknown>) =>
  (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;

async function streamChunks(
  writer: Writer,
  request: Record<string, unknown>,
  usage: SimulatedUsage,
  pieces: number,
  base: Record<string, unknown>,
  choice: (text: string | undefined, finish: string | null, first: boolean) => Record<string, unknown>,
): Promise<boolean> {
  const withUsage = includeUsage(request);
  // With include_usage every chunk carries "usage": null, and one more chunk with
  // empty choices carries the totals before [DONE].
  const send = (choices: unknown[], extra: Record<string, unknown> = withUsage ? { usage: null } : {}) =>
    writer.write(`data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`);
  const texts = textPieces(pieces);
  for (let i = 0; i < texts.length; i++) {
    if (stalls(writer, i)) return false;
    if (!(await send([choice(texts[i], null, i === 0)]))) return false;
  }
  if (!(await send([choice(undefined, 'stop', false)]))) return false;
  if (withUsage && !(await send([], { usage: chatUsage(usage) }))) return false;
  return writer.write('data: [DONE]\n\n');
}

export function openAiChatStream(
  writer: Writer,
  request: Record<string, unknown>,
  model: string,
  usage: SimulatedUsage,
  pieces: number,
): Promise<boolean> {
  const base = {
    id: 'chatcmpl-simulated',
    object: 'chat.completion.chunk',
    created: created(),
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_simulated',
  };
  return streamChunks(writer, request, usage, pieces, base, (text, finish, first) => ({
    index: 0,
    delta:
      text === undefined
        ? {}
        : first
          ? { role: 'assistant', content: text, refusal: null }
          : { content: text },
    logprobs: null,
    finish_reason: finish,
  }));
}

export function openAiCompletion(model: string, usage: SimulatedUsage) {
  return {
    id: 'cmpl-simulated',
    object: 'text_completion',
    created: created(),
    model,
    choices: [{ text: textPieces(3).join(''), index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: chatUsage(usage),
    system_fingerprint: 'fp_simulated',
  };
}

export function openAiCompletionStream(
  writer: Writer,
  request: Record<string, unknown>,
  model: string,
  usage: SimulatedUsage,
  pieces: number,
): Promise<boolean> {
  const base = {
    id: 'cmpl-simulated',
    object: 'text_completion',
    created: created(),
    model,
    system_fingerprint: 'fp_simulated',
  };
  return streamChunks(writer, request, usage, pieces, base, (text, finish) => ({
    text: text ?? '',
    index: 0,
    logprobs: null,
    finish_reason: finish,
  }));
}

/** Embeddings report only prompt tokens (all uncached input). */
export function openAiEmbeddings(model: string, usage: SimulatedUsage) {
  return {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.0123, -0.0456, 0.0789] }],
    model,
    usage: { prompt_tokens: usage.input, total_tokens: usage.input },
  };
}

// Anthropic Messages: a message object, or the documented event sequence
// message_start, content_block_start, ping, content_block_delta..., content_block_stop,
// message_delta (cumulative usage), message_stop.
import { stalls, textPieces, type SimulatedUsage, type Writer } from './wire.js';

function usageOf(u: SimulatedUsage, output: number) {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cachedInput,
    output_tokens: output,
    service_tier: 'standard',
  };
}

function message(model: string, content: unknown[], stop: string | null, usage: ReturnType<typeof usageOf>) {
  return {
    id: 'msg_simulated',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
}

export function anthropicMessage(model: string, usage: SimulatedUsage) {
  return message(
    model,
    [{ type: 'text', text: textPieces(3).join('') }],
    'end_turn',
    usageOf(usage, usage.output),
  );
}

export async function anthropicStream(
  writer: Writer,
  model: string,
  usage: SimulatedUsage,
  pieces: number,
): Promise<boolean> {
  const send = (type: string, body: Record<string, unknown>) =>
    writer.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`);
  // message_start reports the input side and a first output count (1), as the API does.
  if (!(await send('message_start', { message: message(model, [], null, usageOf(usage, 1)) }))) return false;
  if (!(await send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })))
    return false;
  if (!(await send('ping', {}))) return false;
  const texts = textPieces(pieces);
  for (let i = 0; i < texts.length; i++) {
    if (stalls(writer, i)) return false;
    if (!(await send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: texts[i] } })))
      return false;
  }
  if (!(await send('content_block_stop', { index: 0 }))) return false;
  const delta = { stop_reason: 'end_turn', stop_sequence: null };
  if (!(await send('message_delta', { delta, usage: { output_tokens: usage.output } }))) return false;
  return send('message_stop', {});
}

// OpenAI Responses API: a response object, or a stream of typed events ending in response.completed.
import { stalls, textPieces, type SimulatedUsage, type Writer } from './wire.js';

function responsesUsage(u: SimulatedUsage) {
  const input = u.input + u.cachedInput;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cachedInput },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}

function message(text: string, status: 'in_progress' | 'completed') {
  return {
    id: 'msg_simulated',
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [], logprobs: [] }] : [],
  };
}

function response(
  model: string,
  status: 'in_progress' | 'completed',
  usage: SimulatedUsage | null,
  text: string,
) {
  return {
    id: 'resp_simulated',
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model,
    output: status === 'completed' ? [message(text, 'completed')] : [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: usage === null ? null : responsesUsage(usage),
    user: null,
    metadata: {},
  };
}

export function openAiResponse(model: string, usage: SimulatedUsage) {
  return response(model, 'completed', usage, textPieces(3).join(''));
}

export async function openAiResponseStream(
  writer: Writer,
  model: string,
  usage: SimulatedUsage,
  pieces: number,
): Promise<boolean> {
  let sequence = 0;
  const send = (type: string, body: Record<string, unknown>) =>
    writer.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...body })}\n\n`,
    );
  const texts = textPieces(pieces);
  const text = texts.join('');
  const part = { type: 'output_text', text: '', annotations: [] };
  const ids = { item_id: 'msg_simulated', output_index: 0, content_index: 0 };
  if (!(await send('response.created', { response: response(model, 'in_progress', null, '') }))) return false;
  if (!(await send('response.in_progress', { response: response(model, 'in_progress', null, '') })))
    return false;
  if (!(await send('response.output_item.added', { output_index: 0, item: message('', 'in_progress') })))
    return false;
  if (!(await send('response.content_part.added', { ...ids, part }))) return false;
  for (let i = 0; i < texts.length; i++) {
    if (stalls(writer, i)) return false;
    if (!(await send('response.output_text.delta', { ...ids, delta: texts[i], logprobs: [] }))) return false;
  }
  if (!(await send('response.output_text.done', { ...ids, text, logprobs: [] }))) return false;
  if (!(await send('response.content_part.done', { ...ids, part: { ...part, text } }))) return false;
  if (!(await send('response.output_item.done', { output_index: 0, item: message(text, 'completed') })))
    return false;
  return send('response.completed', { response: response(model, 'completed', usage, text) });
}

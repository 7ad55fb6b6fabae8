// Gemini generateContent / streamGenerateContent responses. Stream chunks each
// carry usageMetadata so far; the last chunk has the final counts.
import { textPieces, type SimulatedUsage } from './wire.js';

function usageMetadata(u: SimulatedUsage, output: number, reasoning: number) {
  const prompt = u.input + u.cachedInput;
  const candidates = output - reasoning;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + output,
    ...(u.cachedInput ? { cachedContentTokenCount: u.cachedInput } : {}),
    ...(reasoning ? { thoughtsTokenCount: reasoning } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function body(model: string, text: string, finish: boolean, metadata: ReturnType<typeof usageMetadata>) {
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        ...(finish ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: metadata,
    modelVersion: model,
    responseId: 'simulated-response',
  };
}

export function geminiResponse(model: string, usage: SimulatedUsage) {
  return body(model, textPieces(3).join(''), true, usageMetadata(usage, usage.output, usage.reasoning));
}

/** One chunk per text piece; counts grow until the last chunk reports the totals. */
export function geminiChunks(model: string, usage: SimulatedUsage, pieces: number) {
  const texts = textPieces(pieces);
  return texts.map((text, index) => {
    const last = index === texts.length - 1;
    // Thoughts come first, so they are complete from the first chunk on.
    const output = last ? usage.output : Math.min(usage.output, usage.reasoning + index + 1);
    return { index, body: body(model, text, last, usageMetadata(usage, output, usage.reasoning)) };
  });
}

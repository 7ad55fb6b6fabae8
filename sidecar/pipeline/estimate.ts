// Estimates for calls whose usage never arrived (the client left mid-stream,
// or the upstream broke off). A rough but documented heuristic: about four
// characters per token, for the request body and for the text streamed so far.
// Whatever the response did report (e.g. Anthropic's input counts in
// message_start) is kept; an estimate is never zero.
import type { TokenCounts } from '../../core/types.js';
import type { MeteredUsage } from '../providers/provider.js';

export const CHARS_PER_TOKEN = 4;

export function estimateUsage(
  requestBytes: number,
  streamedChars: number,
  reported: MeteredUsage | undefined,
): MeteredUsage {
  const estimatedOutput = Math.ceil(streamedChars / CHARS_PER_TOKEN);
  const reportedInput = reported
    ? reported.tokens.input + reported.tokens.cached_input + reported.tokens.cache_write
    : 0;
  const tokens: TokenCounts = reported
    ? { ...reported.tokens, output: Math.max(reported.tokens.output, estimatedOutput) }
    : { input: 0, cached_input: 0, cache_write: 0, output: estimatedOutput };
  if (reportedInput === 0) tokens.input = Math.max(1, Math.ceil(requestBytes / CHARS_PER_TOKEN));
  const usage: MeteredUsage = { tokens, reasoningTokens: reported?.reasoningTokens ?? 0 };
  if (reported?.model !== undefined) usage.model = reported.model;
  return usage;
}

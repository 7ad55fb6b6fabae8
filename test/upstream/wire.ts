// Shared pieces of the simulated wire formats.

/**
 * Usage in provider-neutral, disjoint classes. Each provider's encoder turns
 * it into that provider's own fields (e.g. OpenAI folds cachedInput into
 * prompt_tokens), so the sidecar must undo exactly what the API reference says.
 */
export interface SimulatedUsage {
  /** Uncached input tokens. */
  input: number;
  cachedInput: number;
  /** Anthropic only (other providers report no cache writes). */
  cacheWrite: number;
  /** All output, reasoning included. */
  output: number;
  /** Part of output. */
  reasoning: number;
}

export interface Writer {
  /** Writes to the client; false once the client is gone. */
  write(text: string): Promise<boolean>;
  /** Stop after this many content pieces (the stream then stalls open). */
  stallAfter: number | undefined;
}

/** The deterministic generated text, split in `pieces`. */
export function textPieces(pieces: number): string[] {
  return Array.from({ length: pieces }, (_, i) => `piece ${i} of the simulated answer. `);
}

export const stalls = (writer: Writer, index: number) =>
  writer.stallAfter !== undefined && index >= writer.stallAfter;

// Model globs as TeamBudget spells them: only "*" (any run) and "?" (one
// character) are special, and a glob must match the whole model name.

export interface Glob {
  readonly pattern: string;
  matches(model: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  const body = [...pattern]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regexp = new RegExp(`^${body}$`, 's');
  return { pattern, matches: (model) => regexp.test(model) };
}

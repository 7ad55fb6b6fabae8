// Applies the webhook's add/replace JSON patches (RFC 6902) to a copy of a
// document, so unit tests can assert on the resulting pod rather than on
// patch paths. The integration tests let the real apiserver apply them.
import type { PatchOperation } from '../../operator/webhook/admission.js';

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

export function applyPatch<T>(document: T, patch: PatchOperation[]): T {
  const root = structuredClone(document) as unknown;
  for (const operation of patch) {
    const segments = operation.path.split('/').slice(1).map(unescape);
    const last = segments.pop();
    if (last === undefined) throw new Error(`bad path ${operation.path}`);
    let parent = root as Record<string, unknown>;
    for (const segment of segments) {
      const next = parent[segment];
      if (typeof next !== 'object' || next === null)
        throw new Error(`missing ${segment} in ${operation.path}`);
      parent = next as Record<string, unknown>;
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!(index >= 0 && index <= parent.length)) throw new Error(`bad index in ${operation.path}`);
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (index < parent.length) parent[index] = operation.value;
      else throw new Error(`nothing to replace at ${operation.path}`);
    } else {
      if (operation.op === 'replace' && !(last in parent))
        throw new Error(`nothing to replace at ${operation.path}`);
      parent[last] = operation.value;
    }
  }
  return root as T;
}

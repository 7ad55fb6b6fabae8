// Which TeamBudgets one operator owns: an equality label selector
// (`tollgate.dev/shard=a,tier=gold`). Equality only, because the operator
// stamps the same labels on the budgets it creates, and a set-based selector
// (`!=`, `in`, `notin`, `!key`, bare `key`) names no labels to stamp.
import { createHash } from 'node:crypto';

export interface Scope {
  /** The selector's labels; empty: every TeamBudget. */
  labels: Readonly<Record<string, string>>;
  /** The canonical selector for list/watch; undefined when unscoped. */
  selector: string | undefined;
}

export const UNSCOPED: Scope = { labels: {}, selector: undefined };

/** Kubernetes label names and values: alphanumeric ends, `-_.` inside, at most 63 characters. */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string, term: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || !NAME.test(name)) throw new Error(`selector term ${JSON.stringify(term)}: bad label key`);
}

function parseTerm(term: string): [string, string] {
  const match = /^([^=!\s]+)\s*==?\s*([^=!\s]*)$/.exec(term);
  if (!match)
    throw new Error(
      `selector term ${JSON.stringify(term)} is not key=value: only equality selectors are supported, ` +
        'because the operator stamps the selector on the TeamBudgets it creates',
    );
  const [, key, value] = match as unknown as [string, string, string];
  checkKey(key, term);
  if (value !== '' && !NAME.test(value))
    throw new Error(`selector term ${JSON.stringify(term)}: bad label value`);
  return [key, value];
}

/** Parses `k=v,k2==v2`; an empty or blank text means unscoped. Throws a message naming the bad term. */
export function parseScope(text: string | undefined): Scope {
  const terms = (text ?? '')
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '');
  if (terms.length === 0) return UNSCOPED;
  const labels: Record<string, string> = {};
  for (const term of terms) {
    const [key, value] = parseTerm(term);
    if (key in labels && labels[key] !== value)
      throw new Error(`selector names ${key} twice with different values: matches nothing`);
    labels[key] = value;
  }
  const selector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return { labels, selector };
}

/** True when `labels` carries every label of the scope (always, when unscoped). */
export function inScope(scope: Scope, labels: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(scope.labels).every(([key, value]) => labels?.[key] === value);
}

/**
 * The leader Lease's default name. Scopes get their own, so two shards in one
 * namespace each elect a leader instead of one idling behind the other's lease;
 * the replicas of one shard (same selector) share theirs.
 */
export function defaultLeaseName(scope: Scope): string {
  if (scope.selector === undefined) return 'tollgate-operator';
  return `tollgate-operator-${createHash('sha256').update(scope.selector).digest('hex').slice(0, 10)}`;
}

// Kubernetes conditions: lastTransitionTime moves only when status flips,
// so "since when has this team been over budget" stays answerable.
import type { Condition } from '../core/types.js';

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

export function setCondition(previous: readonly Condition[], update: ConditionUpdate, now: Date): Condition {
  const before = previous.find((c) => c.type === update.type);
  const lastTransitionTime =
    before && before.status === update.status ? before.lastTransitionTime : now.toISOString();
  return { ...update, lastTransitionTime };
}

export function conditionIsTrue(
  conditions: readonly Condition[] | undefined,
  type: Condition['type'],
): boolean {
  return conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

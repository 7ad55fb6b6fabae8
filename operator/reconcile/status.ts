// Reconciler (b): TeamBudget status through the status subresource, written
// only when it changed. A 409 means someone else wrote in between: read the
// object again, recompute from the fresh status, and try again.
import type { TeamBudget, TeamBudgetStatus } from '../../core/types.js';
import { isConflict, teamBudgets, type KubeClients } from '../kube.js';
import { statusChanged } from '../status.js';

export interface StatusWrite {
  budget: TeamBudget;
  before: TeamBudgetStatus | undefined;
  after: TeamBudgetStatus;
}

export interface StatusResult {
  writes: StatusWrite[];
  conflicts: number;
}

const MAX_ATTEMPTS = 5;
/** Parallel writes; the apiserver's default client QPS would throttle far more anyway. */
const CONCURRENCY = 16;

export interface StatusWriterOptions {
  /** Test seam: runs right before each write, e.g. to provoke a real 409. */
  beforeWrite?: (name: string) => Promise<void>;
  /** Checked before every write: a replica that lost the lease mid-sync stops writing at once. */
  mayWrite?: () => boolean;
  /** Called at each 409, before the retry (for the metric). */
  onConflict?: () => void;
}

export class StatusWriter {
  constructor(
    private readonly kube: KubeClients,
    private readonly options: StatusWriterOptions = {},
  ) {}

  private async writeOne(
    budget: TeamBudget,
    compute: (b: TeamBudget) => TeamBudgetStatus,
    result: StatusResult,
  ) {
    let current = budget;
    for (let attempt = 1; ; attempt++) {
      const after = compute(current);
      if (!statusChanged(current.status, after)) return;
      if (this.options.mayWrite && !this.options.mayWrite()) return;
      try {
        await this.options.beforeWrite?.(current.metadata.name);
        await this.kube.custom.replaceClusterCustomObjectStatus({
          ...teamBudgets,
          name: current.metadata.name,
          body: { ...current, status: after },
        });
        result.writes.push({ budget: current, before: current.status, after });
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
        result.conflicts++;
        this.options.onConflict?.();
        current = (await this.kube.custom.getClusterCustomObject({
          ...teamBudgets,
          name: current.metadata.name,
        })) as TeamBudget;
      }
    }
  }

  /** Writes every changed status; failures of single budgets are collected, not fatal to the others. */
  async reconcile(
    budgets: TeamBudget[],
    compute: (budget: TeamBudget) => TeamBudgetStatus | undefined,
  ): Promise<StatusResult & { errors: unknown[] }> {
    const result: StatusResult = { writes: [], conflicts: 0 };
    const errors: unknown[] = [];
    const queue = [...budgets];
    const worker = async () => {
      for (let budget = queue.shift(); budget; budget = queue.shift()) {
        const first = compute(budget);
        if (!first || !statusChanged(budget.status, first)) continue;
        await this.writeOne(budget, (b) => compute(b) ?? first, result).catch((error: unknown) =>
          errors.push(error),
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { ...result, errors };
  }
}

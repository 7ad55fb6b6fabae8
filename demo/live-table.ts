// The live view: `kubectl get teambudgets` printed whenever a budget's spec or
// status really changed (not on every sync's timestamp), with the traffic so far
// and each condition the moment it turns True.
import type { TeamBudget } from '../core/types.js';
import type { ClusterEnv } from '../test/cluster/control-plane.js';
import { kubectl } from './processes.js';
import type { Tally } from './traffic.js';

export async function getBudgets(env: ClusterEnv): Promise<TeamBudget[]> {
  const list = JSON.parse(await kubectl(env, ['get', 'teambudgets', '-o', 'json'])) as {
    items: TeamBudget[];
  };
  return list.items;
}

/** What a reader would see change: everything but the sync's own bookkeeping. */
function signature(budgets: TeamBudget[]): string {
  return JSON.stringify(
    budgets.map(({ metadata, spec, status }) => [metadata.name, spec, status]),
    (key, value: unknown) => (key === 'lastSyncTime' || key === 'observedGeneration' ? undefined : value),
  );
}

const clock = () => new Date().toTimeString().slice(0, 8);

export class LiveTable {
  private last = '';
  private raised = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: ClusterEnv,
    private readonly tallies: Map<string, Tally>,
  ) {}

  private traffic(): string {
    return [...this.tallies]
      .map(
        ([team, t]) =>
          `${team} ${t.ok} ok` +
          (t.refused ? `, ${t.refused} refused (429)` : '') +
          (t.failed ? `, ${t.failed} failed` : ''),
      )
      .join(' | ');
  }

  /** Prints the table if it changed since the last print; `force` prints it anyway. */
  async print(force = false): Promise<void> {
    const budgets = await getBudgets(this.env);
    const now = signature(budgets);
    if (now === this.last && !force) return;
    this.last = now;
    const table = await kubectl(this.env, ['get', 'teambudgets']);
    console.log(`\n[${clock()}] ${this.traffic()}\n${table.trimEnd()}`);
    for (const budget of budgets) {
      for (const condition of budget.status?.conditions ?? []) {
        // Once per transition: the message of a True condition may change at every sync.
        const key = `${budget.metadata.name}/${condition.type}/${condition.lastTransitionTime}`;
        if (condition.type === 'Ready' || condition.status !== 'True' || this.raised.has(key)) continue;
        this.raised.add(key);
        console.log(
          `  ! ${budget.metadata.name}: ${condition.type} (${condition.reason}) ${condition.message}`,
        );
      }
    }
    for (const [team, tally] of this.tallies) {
      if (tally.firstRefusal === undefined || this.raised.has(`${team}/refused`)) continue;
      this.raised.add(`${team}/refused`);
      console.log(`  ! ${team}: the sidecar refuses its calls (the SDK says: ${tally.firstRefusal})`);
    }
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.polling = this.print().catch((error: Error) => console.warn(`  (kubectl: ${error.message})`));
      void this.polling.finally(() => {
        if (this.timer) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }
}

// Reconciler (c): Kubernetes Events for what a status write recorded:
// thresholds crossed, budget exceeded, period closed, runaway spend. Event
// names are derived from the occurrence, so the apiserver itself refuses a
// second copy (409) — once each, even across leader changes.
import { createHash } from 'node:crypto';
import { API_VERSION } from '../../core/types.js';
import { isConflict, type KubeClients } from '../kube.js';
import { budgetEvents } from '../transitions.js';
import type { StatusWrite } from './status.js';

export const EVENT_SOURCE = 'tollgate-operator';

/** Event names are DNS subdomains; a long team name plus key could exceed that, so overflow is hashed. */
function eventName(team: string, key: string): string {
  const name = `${team}.${key}`;
  return name.length <= 253 ? name : `${team}.${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

export class EventRecorder {
  constructor(
    private readonly kube: KubeClients,
    /** Cluster-scoped objects have no namespace; their events live here. */
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  /** Returns how many events were newly created. */
  async reconcile(writes: StatusWrite[], now: Date): Promise<number> {
    let created = 0;
    for (const { budget, before, after } of writes) {
      for (const event of budgetEvents(budget, before, after, now)) {
        const time = now.toISOString();
        try {
          await this.kube.core.createNamespacedEvent({
            namespace: this.namespace,
            body: {
              metadata: { name: eventName(budget.metadata.name, event.key), namespace: this.namespace },
              involvedObject: {
                apiVersion: API_VERSION,
                kind: 'TeamBudget',
                name: budget.metadata.name,
                uid: budget.metadata.uid as string | undefined,
              },
              reason: event.reason,
              message: event.message,
              type: event.type,
              source: { component: EVENT_SOURCE },
              reportingComponent: EVENT_SOURCE,
              reportingInstance: this.instance,
              firstTimestamp: new Date(time),
              lastTimestamp: new Date(time),
              count: 1,
            },
          });
          created++;
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
    }
    return created;
  }
}

// Leader election on a coordination.k8s.io/v1 Lease. Every update carries the
// resourceVersion it read, so two candidates can never both win a round: the
// apiserver answers the slower one with 409. A holder's claim is judged by
// when this process last SAW the lease change, not by the holder's clock.
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { isConflict, isNotFound, type KubeClients } from './kube.js';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  /** A holder that has not renewed for this long may be replaced. */
  leaseDurationMs: number;
  /** The leader steps down when it could not renew for this long (< leaseDurationMs). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onChange?: (leading: boolean) => void;
}

export class LeaderElector {
  private leading = false;
  private lastRenewed = 0;
  private observed: { record: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();

  constructor(
    private readonly kube: KubeClients,
    private readonly options: LeaderOptions,
  ) {}

  /** True only while the lease is ours and recently renewed: a stalled leader stops writing by itself. */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewed < this.options.renewDeadlineMs;
  }

  start(): void {
    const tick = () => {
      this.round = this.tryAcquireOrRenew()
        .catch(() => false)
        .then((held) => this.setLeading(held || this.isLeader()))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.retryPeriodMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops campaigning; `release` hands the lease over at once (graceful shutdown). */
  async stop({ release }: { release: boolean }): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    if (release && this.leading) await this.release().catch(() => undefined);
    this.setLeading(false);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.onChange?.(leading);
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.kube.coordination.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private spec(now: number, previous?: V1Lease) {
    const previousHolder = previous?.spec?.holderIdentity;
    const transitions = previous?.spec?.leaseTransitions ?? 0;
    const keepsHolder = previousHolder === this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      renewTime: new V1MicroTime(now),
      acquireTime: keepsHolder ? previous?.spec?.acquireTime : new V1MicroTime(now),
      leaseTransitions: keepsHolder || !previousHolder ? transitions : transitions + 1,
    };
  }

  /** One election round; true when this process holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const lease = await this.read();
    const { name, namespace, identity } = this.options;
    if (!lease) {
      try {
        await this.kube.coordination.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.spec(now) },
        });
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
      this.lastRenewed = now;
      return true;
    }
    const holder = lease.spec?.holderIdentity;
    // The client hands MicroTime back as the raw string; String() covers both shapes.
    const record = `${holder}|${String(lease.spec?.renewTime)}`;
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const expired = now - this.observed.at > this.options.leaseDurationMs;
    if (holder && holder !== identity && !expired) return false;

    try {
      await this.kube.coordination.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: this.spec(now, lease) },
      });
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
    this.lastRenewed = now;
    return true;
  }

  /** Empties the holder so a follower takes over on its next round instead of waiting out the lease. */
  private async release(): Promise<void> {
    const lease = await this.read();
    if (lease?.spec?.holderIdentity !== this.options.identity) return;
    await this.kube.coordination.replaceNamespacedLease({
      name: this.options.name,
      namespace: this.options.namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(),
        },
      },
    });
  }
}

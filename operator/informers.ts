// Watches: TeamBudgets, ModelPrices, team-labelled Namespaces and pods that
// may lack the sidecar, each an informer (list + watch) whose cache the sync reads.
import {
  ListWatch,
  makeInformer,
  Watch,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import type { ModelPrice, TeamBudget } from '../core/types.js';
import { apiPath, modelPrices, teamBudgets, type KubeClients } from './kube.js';
import { TEAM_LABEL } from './reconcile/autocreate.js';
import { inScope, UNSCOPED, type Scope } from './scope.js';
import { INJECTED_LABEL } from './webhook/mutate.js';

type Cached<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface Watches {
  /** Only the TeamBudgets in the operator's scope: the apiserver filters list and watch. */
  budgets(): TeamBudget[];
  prices(): ModelPrice[];
  /** Teams of the labelled namespaces that also carry the scope's labels: the ones to auto-create. */
  namespaceTeams(): string[];
  /** Namespace name -> its tollgate.dev/team label. */
  teamsByNamespace(): Map<string, string>;
  /** Unfinished pods without the injected label, in any namespace (the sync keeps team namespaces). */
  uninjectedPods(): V1Pod[];
  /** True once every cache holds a complete first list: before that a sync would act on a partial view. */
  ready(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A pod watch cannot select by its namespace's labels, so it is cluster-wide,
 * narrowed by the apiserver to unfinished pods not labelled injected: injected
 * pods (the bulk in team namespaces) and finished Jobs never reach the
 * operator, and one that finishes or gets the label leaves the cache as a
 * delete. Watching beats listing each sync: a list would re-send every such
 * pod (system pods included) every interval; the watch sends only changes.
 */
const UNINJECTED_PODS = {
  labelSelector: `${INJECTED_LABEL}!=true`,
  fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
};

/** Restarts after a watch error (the client stops the informer), unless stopped. */
function keepRunning<T extends KubernetesObject>(informer: Cached<T>, running: () => boolean): Cached<T> {
  informer.on('error', () => {
    setTimeout(() => {
      if (running()) informer.start().catch(() => undefined);
    }, 1000);
  });
  return informer;
}

/**
 * `onSpecChange` fires on adds, deletes and spec edits, not on the operator's own status writes.
 * A budget relabelled out of `scope` leaves the cache as a delete (the apiserver sends one).
 */
export function watch(kube: KubeClients, onSpecChange: () => void, scope: Scope = UNSCOPED): Watches {
  let running = false;
  const isRunning = () => running;
  const listed = new Set<string>();
  const recordingList =
    <T>(name: string, list: () => Promise<T>) =>
    async () => {
      const result = await list();
      listed.add(name);
      return result;
    };
  const budgets = keepRunning(
    makeInformer<KubernetesObject>(
      kube.config,
      apiPath(teamBudgets),
      recordingList('budgets', () =>
        kube.custom.listClusterCustomObject({ ...teamBudgets, labelSelector: scope.selector }),
      ),
      scope.selector,
    ),
    isRunning,
  );
  const prices = keepRunning(
    makeInformer<KubernetesObject>(
      kube.config,
      apiPath(modelPrices),
      recordingList('prices', () => kube.custom.listClusterCustomObject({ ...modelPrices })),
    ),
    isRunning,
  );
  const namespaces = keepRunning(
    makeInformer<KubernetesObject>(
      kube.config,
      '/api/v1/namespaces',
      recordingList('namespaces', () => kube.core.listNamespace({ labelSelector: TEAM_LABEL })),
      TEAM_LABEL,
    ),
    isRunning,
  );
  // makeInformer takes no field selector; ListWatch is what it builds, with one.
  const pods = keepRunning(
    new ListWatch<KubernetesObject>(
      '/api/v1/pods',
      new Watch(kube.config),
      recordingList('pods', () => kube.core.listPodForAllNamespaces(UNINJECTED_PODS)),
      false,
      UNINJECTED_PODS.labelSelector,
      UNINJECTED_PODS.fieldSelector,
    ),
    isRunning,
  );
  const teamsByNamespace = () =>
    new Map(
      namespaces
        .list()
        .map((ns) => [ns.metadata?.name ?? '', ns.metadata?.labels?.[TEAM_LABEL] ?? ''] as const)
        .filter(([, team]) => team !== ''),
    );
  const generations = new Map<string, number | undefined>();
  const onBudget = (object: KubernetesObject) => {
    const name = object.metadata?.name ?? '';
    if (generations.get(name) === object.metadata?.generation) return;
    generations.set(name, object.metadata?.generation);
    onSpecChange();
  };
  budgets.on('add', onBudget);
  budgets.on('update', onBudget);
  budgets.on('delete', (object) => {
    generations.delete(object.metadata?.name ?? '');
    onSpecChange();
  });
  for (const verb of ['add', 'update', 'delete'] as const) {
    prices.on(verb, onSpecChange);
    namespaces.on(verb, onSpecChange);
  }

  return {
    budgets: () => budgets.list() as unknown as TeamBudget[],
    prices: () => prices.list() as unknown as ModelPrice[],
    namespaceTeams: () =>
      namespaces
        .list()
        .filter((ns) => inScope(scope, ns.metadata?.labels))
        .map((ns) => ns.metadata?.labels?.[TEAM_LABEL] ?? '')
        .filter((team) => team !== ''),
    teamsByNamespace,
    // Pod changes trigger no sync: pods churn, and the count may lag by one interval.
    uninjectedPods: () => pods.list() as unknown as V1Pod[],
    ready: () => listed.size === 4,
    async start() {
      running = true;
      // Each start() resolves after the first list: no sync ever sees a half-filled cache.
      await Promise.all([budgets.start(), prices.start(), namespaces.start(), pods.start()]);
    },
    async stop() {
      running = false;
      await Promise.all([budgets.stop(), prices.stop(), namespaces.stop(), pods.stop()]);
    },
  };
}

// Watches: TeamBudgets, ModelPrices and team-labelled Namespaces, each an
// informer (list + watch) whose cache the sync reads.
import {
  makeInformer,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { ModelPrice, TeamBudget } from '../core/types.js';
import { apiPath, modelPrices, teamBudgets, type KubeClients } from './kube.js';
import { TEAM_LABEL } from './reconcile/autocreate.js';

type Cached<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface Watches {
  budgets(): TeamBudget[];
  prices(): ModelPrice[];
  namespaceTeams(): string[];
  /** True once every cache holds a complete first list: before that a sync would act on a partial view. */
  ready(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Restarts after a watch error (the client stops the informer), unless stopped. */
function keepRunning<T extends KubernetesObject>(informer: Cached<T>, running: () => boolean): Cached<T> {
  informer.on('error', () => {
    setTimeout(() => {
      if (running()) informer.start().catch(() => undefined);
    }, 1000);
  });
  return informer;
}

/** `onSpecChange` fires on adds, deletes and spec edits, not on the operator's own status writes. */
export function watch(kube: KubeClients, onSpecChange: () => void): Watches {
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
      recordingList('budgets', () => kube.custom.listClusterCustomObject({ ...teamBudgets })),
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
        .map((ns) => ns.metadata?.labels?.[TEAM_LABEL])
        .filter((team): team is string => Boolean(team)),
    ready: () => listed.size === 3,
    async start() {
      running = true;
      // Each start() resolves after the first list: no sync ever sees a half-filled cache.
      await Promise.all([budgets.start(), prices.start(), namespaces.start()]);
    },
    async stop() {
      running = false;
      await Promise.all([budgets.stop(), prices.stop(), namespaces.stop()]);
    },
  };
}

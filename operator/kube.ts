// The Kubernetes API as the operator uses it: typed clients from one
// kubeconfig, and the few error shapes it reacts to.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../core/types.js';

export interface KubeClients {
  config: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export function kubeClients(config: KubeConfig): KubeClients {
  return {
    config,
    custom: config.makeApiClient(CustomObjectsApi),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}

export const teamBudgets = { group: GROUP, version: VERSION, plural: 'teambudgets' } as const;
export const modelPrices = { group: GROUP, version: VERSION, plural: 'modelprices' } as const;

export const apiPath = (resource: { group: string; version: string; plural: string }) =>
  `/apis/${resource.group}/${resource.version}/${resource.plural}`;

export function httpStatusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export const isConflict = (error: unknown) => httpStatusOf(error) === 409;
export const isNotFound = (error: unknown) => httpStatusOf(error) === 404;

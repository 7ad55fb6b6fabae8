// The Kubernetes API as the operator uses it: typed clients from one
// kubeconfig, and the few error shapes it reacts to.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { Agent } from 'node:https';
import { GROUP, VERSION } from '../core/types.js';

export interface KubeClients {
  config: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

/**
 * The client builds a fresh https.Agent for every request, so each call pays a
 * new TLS handshake (~20 ms here); a sync writing hundreds of statuses would
 * spend most of its time on them. One keep-alive agent per KubeConfig, built
 * from the options the client chose (CA, client cert), reuses connections.
 * Credentials are read once: a rotated client certificate needs a restart.
 */
function reuseConnections(config: KubeConfig): void {
  let shared: Agent | undefined;
  const apply = config.applySecurityAuthentication.bind(config);
  config.applySecurityAuthentication = async (context) => {
    await apply(context);
    const agent = context.getAgent();
    if (agent instanceof Agent) {
      shared ??= new Agent({ ...agent.options, keepAlive: true, maxSockets: 32 });
      context.setAgent(shared);
    }
  };
}

export function kubeClients(config: KubeConfig): KubeClients {
  reuseConnections(config);
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

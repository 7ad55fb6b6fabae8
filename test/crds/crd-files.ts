// The CRD manifests as parsed YAML, and installing them on the test apiserver.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { kubectl } from '../support/kube.js';

export const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds');
export const crdFiles = {
  teamBudgets: join(crdDir, 'teambudgets.yaml'),
  modelPrices: join(crdDir, 'modelprices.yaml'),
};

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
}

interface Crd {
  spec: {
    versions: {
      schema: { openAPIV3Schema: Schema };
      additionalPrinterColumns: { name: string; jsonPath: string }[];
    }[];
  };
}

export function readCrd(file: string): Crd {
  return parse(readFileSync(file, 'utf8')) as Crd;
}

/** Applies both CRDs (idempotent: test files share the apiserver) and waits until they serve. */
export async function installCrds(): Promise<void> {
  await kubectl(['apply', '-f', crdDir]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/teambudgets.tollgate.dev',
    'crd/modelprices.tollgate.dev',
  ]);
}

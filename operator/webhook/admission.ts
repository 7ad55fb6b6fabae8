// The admission.k8s.io/v1 AdmissionReview envelope: only the fields the
// injection webhook reads or writes.
import type { V1Pod } from '@kubernetes/client-node';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string;
  /** Empty for pods created with generateName. */
  name?: string;
  object?: V1Pod;
  dryRun?: boolean;
}

export interface AdmissionReview {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** base64 of the JSON patch. */
  patch?: string;
  status?: { code: number; message: string };
  warnings?: string[];
}

/** One RFC 6902 operation; the webhook only ever adds or replaces. */
export type PatchOperation =
  { op: 'add'; path: string; value: unknown } | { op: 'replace'; path: string; value: unknown };

/** A JSON Pointer segment, escaped per RFC 6901. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function allow(uid: string, patch: PatchOperation[] = [], warnings: string[] = []): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings.length > 0) response.warnings = warnings;
  return response;
}

// When to make new certificates, decided so that no admission ever fails:
// the apiserver must trust the served certificate's CA at every moment.
//  - The serving certificate is renewed from the current CA well before it
//    expires; the caBundle does not change, so nothing can break.
//  - A CA nearing expiry gets a successor that is added to the bundle (old +
//    new trusted). Only once that bundle has been published to the
//    MutatingWebhookConfiguration for `propagationDelayMs` is a serving
//    certificate signed by the new CA; the old CA leaves the bundle when it expires.
import { createCa, issueServingCert, readCertificates, type ServingNames } from './certs.js';

export interface TlsMaterial {
  /** Every CA the apiserver should trust, oldest first; the last one signs. */
  caBundlePem: string;
  /** The newest CA's key. */
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

export interface RotationPolicy {
  caValidityMs: number;
  caRenewBeforeMs: number;
  servingValidityMs: number;
  servingRenewBeforeMs: number;
  /** How long the apiserver may keep calling with an older caBundle after it changed. */
  propagationDelayMs: number;
}

const DAY = 24 * 60 * 60 * 1000;
export const defaultRotationPolicy: RotationPolicy = {
  caValidityMs: 365 * DAY,
  caRenewBeforeMs: 60 * DAY,
  servingValidityMs: 30 * DAY,
  servingRenewBeforeMs: 10 * DAY,
  propagationDelayMs: 5 * 60 * 1000,
};

/** The policy's windows must leave room to publish a new CA before anything it replaces expires. */
export function checkPolicy(policy: RotationPolicy): void {
  if (policy.caRenewBeforeMs <= 2 * policy.propagationDelayMs)
    throw new Error('rotation policy: caRenewBefore must exceed twice the propagation delay');
  if (policy.servingRenewBeforeMs <= 2 * policy.propagationDelayMs)
    throw new Error('rotation policy: servingRenewBefore must exceed twice the propagation delay');
  if (
    policy.caValidityMs <= policy.caRenewBeforeMs ||
    policy.servingValidityMs <= policy.servingRenewBeforeMs
  )
    throw new Error('rotation policy: validity must exceed its renew-before window');
}

export interface RotationInput {
  current: TlsMaterial | undefined;
  /** When the current bundle was first seen in the webhook configuration; undefined if it is not there. */
  bundlePublishedAt: Date | undefined;
  now: Date;
  names: ServingNames;
  policy: RotationPolicy;
}

export interface RotationResult {
  material: TlsMaterial;
  caRotated: boolean;
  servingRenewed: boolean;
}

export async function planRotation(input: RotationInput): Promise<RotationResult> {
  const { current, now, names, policy } = input;
  const remaining = (notAfter: Date) => notAfter.getTime() - now.getTime();
  let cas = current ? readCertificates(current.caBundlePem).filter((ca) => remaining(ca.notAfter) > 0) : [];
  let caKeyPem = current?.caKeyPem ?? '';
  let newest = cas.at(-1);

  let caRotated = false;
  if (!newest || !caKeyPem || remaining(newest.notAfter) <= policy.caRenewBeforeMs) {
    const ca = await createCa(
      `tollgate-webhook-ca-${now.getTime()}`,
      now,
      new Date(now.getTime() + policy.caValidityMs),
    );
    cas = [...cas, ...readCertificates(ca.certPem)];
    caKeyPem = ca.keyPem;
    newest = cas.at(-1);
    caRotated = true;
  }
  const signer = { certPem: newest?.pem ?? '', keyPem: caKeyPem };
  const caBundlePem = cas.map((ca) => ca.pem).join('');

  const serving = current?.certPem ? readCertificates(current.certPem)[0] : undefined;
  const servingTrusted =
    serving !== undefined &&
    remaining(serving.notAfter) > 0 &&
    cas.some((ca) => ca.subject === serving.issuer);
  const newestPublished =
    !caRotated &&
    input.bundlePublishedAt !== undefined &&
    now.getTime() - input.bundlePublishedAt.getTime() >= policy.propagationDelayMs;
  const wantsRenewal =
    !servingTrusted ||
    remaining(serving.notAfter) <= policy.servingRenewBeforeMs ||
    serving.issuer !== newest?.subject;
  // With a trusted certificate in service, only switch to a CA the apiserver already trusts.
  const servingRenewed = wantsRenewal && (!servingTrusted || newestPublished);

  let { certPem, keyPem } = current ?? { certPem: '', keyPem: '' };
  if (servingRenewed && newest) {
    const notAfter = Math.min(now.getTime() + policy.servingValidityMs, newest.notAfter.getTime());
    ({ certPem, keyPem } = await issueServingCert(signer, names, now, new Date(notAfter)));
  }
  return { material: { caBundlePem, caKeyPem, certPem, keyPem }, caRotated, servingRenewed };
}

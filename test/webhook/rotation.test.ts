import { describe, expect, it } from 'vitest';
import { readCertificates } from '../../operator/webhook/certs.js';
import { checkPolicy, planRotation, type RotationPolicy } from '../../operator/webhook/rotation.js';

const MINUTE = 60_000;
const policy: RotationPolicy = {
  caValidityMs: 100 * MINUTE,
  caRenewBeforeMs: 30 * MINUTE,
  servingValidityMs: 20 * MINUTE,
  servingRenewBeforeMs: 5 * MINUTE,
  propagationDelayMs: 1 * MINUTE,
};
const names = { dnsNames: ['tollgate-webhook.tollgate-system.svc'], ipAddresses: ['127.0.0.1'] };
const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1) + minutes * MINUTE);
const issuerOf = (pem: string) => readCertificates(pem)[0]?.issuer;
const subjects = (bundle: string) => readCertificates(bundle).map((c) => c.subject);
/** The plan at minute 0 with nothing issued yet: a new CA and serving certificate. */
const firstIssue = () =>
  planRotation({ current: undefined, bundlePublishedAt: undefined, now: at(0), names, policy });

describe('planRotation', () => {
  it('starts with a CA and a serving certificate it signs', async () => {
    const { material, caRotated, servingRenewed } = await firstIssue();
    expect(caRotated && servingRenewed).toBe(true);
    expect(subjects(material.caBundlePem)).toHaveLength(1);
    expect(issuerOf(material.certPem)).toBe(subjects(material.caBundlePem)[0]);
  });

  it('changes nothing while everything is fresh', async () => {
    const first = await firstIssue();
    const next = await planRotation({
      current: first.material,
      bundlePublishedAt: at(0),
      now: at(10),
      names,
      policy,
    });
    expect(next).toEqual({ material: first.material, caRotated: false, servingRenewed: false });
  });

  it('renews the serving certificate from the same CA, leaving the bundle as it is', async () => {
    const first = await firstIssue();
    const next = await planRotation({
      current: first.material,
      bundlePublishedAt: at(0),
      now: at(16),
      names,
      policy,
    });
    expect(next.servingRenewed).toBe(true);
    expect(next.material.caBundlePem).toBe(first.material.caBundlePem);
    expect(next.material.certPem).not.toBe(first.material.certPem);
  });

  it('adds a successor CA before switching to it, and only once the bundle has been published long enough', async () => {
    let state = await firstIssue();
    const oldCa = subjects(state.material.caBundlePem)[0];
    state = await planRotation({
      current: state.material,
      bundlePublishedAt: at(0),
      now: at(66),
      names,
      policy,
    });
    // 71 minutes in, the CA has under 30 left: a successor joins the bundle; serving stays on the old CA.
    state = await planRotation({
      current: state.material,
      bundlePublishedAt: at(0),
      now: at(71),
      names,
      policy,
    });
    expect(state.caRotated).toBe(true);
    const newCa = subjects(state.material.caBundlePem)[1];
    expect(subjects(state.material.caBundlePem)).toEqual([oldCa, newCa]);
    expect(issuerOf(state.material.certPem)).toBe(oldCa);
    // Not yet published, or published too recently: still the old CA.
    for (const [publishedAt, now] of [
      [undefined, 73],
      [71, 71.5],
    ] as const) {
      const held = await planRotation({
        current: state.material,
        bundlePublishedAt: publishedAt === undefined ? undefined : at(publishedAt),
        now: at(now),
        names,
        policy,
      });
      expect(issuerOf(held.material.certPem)).toBe(oldCa);
    }
    // Published for a minute: switch to the new CA while the old one is still trusted.
    state = await planRotation({
      current: state.material,
      bundlePublishedAt: at(71),
      now: at(72.5),
      names,
      policy,
    });
    expect(state.servingRenewed).toBe(true);
    expect(issuerOf(state.material.certPem)).toBe(newCa);
  });

  it('over many rotations, always serves a certificate the apiserver trusts, old bundle or new', async () => {
    let current;
    let published = { bundle: '', at: at(0) };
    let previousBundle = '';
    const seenCas = new Set<string>();
    for (let minute = 0; minute <= 300; minute += 0.5) {
      const now = at(minute);
      const bundlePublishedAt =
        current && published.bundle === current.caBundlePem ? published.at : undefined;
      const { material } = await planRotation({ current, bundlePublishedAt, now, names, policy });
      current = material;
      // The apiserver may still be calling with the previous bundle for the propagation delay.
      const trusted = [published.bundle];
      if (previousBundle && now.getTime() - published.at.getTime() < policy.propagationDelayMs)
        trusted.push(previousBundle);
      const [serving] = readCertificates(material.certPem);
      expect(serving!.notAfter.getTime()).toBeGreaterThan(now.getTime());
      if (minute > 0) for (const bundle of trusted) expect(subjects(bundle)).toContain(serving!.issuer);
      seenCas.add(serving!.issuer);
      if (material.caBundlePem !== published.bundle) {
        previousBundle = published.bundle;
        published = { bundle: material.caBundlePem, at: now };
      }
    }
    expect(seenCas.size).toBeGreaterThanOrEqual(4);
  });

  it('never serves a certificate past its CA', async () => {
    const first = await firstIssue();
    const later = await planRotation({
      current: first.material,
      bundlePublishedAt: at(0),
      now: at(69),
      names,
      policy,
    });
    const [serving] = readCertificates(later.material.certPem);
    const [ca] = readCertificates(later.material.caBundlePem);
    expect(serving!.notAfter.getTime()).toBeLessThanOrEqual(ca!.notAfter.getTime());
  });

  it('refuses a policy that leaves no time to publish a new CA', () => {
    expect(() => checkPolicy({ ...policy, caRenewBeforeMs: policy.propagationDelayMs })).toThrow(
      /caRenewBefore/,
    );
    expect(() => checkPolicy(policy)).not.toThrow();
  });
});

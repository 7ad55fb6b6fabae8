// Certificate creation for the webhook: a CA and a serving certificate it
// signs, ECDSA P-256 on node:crypto's WebCrypto. Everything is PEM in and out
// so it can live in a Secret and go straight into a TLS context.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];

x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Tolerate a little clock skew between the operator and the apiserver. */
const BACKDATE_MS = 60_000;

/** Newline-terminated, so PEM blocks can be concatenated into a bundle Go's decoder accepts. */
function pemFile(pem: string): string {
  return pem.trimEnd() + '\n';
}

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return pemFile(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

export async function createCa(commonName: string, now: Date, notAfter: Date): Promise<KeyPairPem> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pemFile(cert.toString('pem')), keyPem: await privateKeyPem(keys.privateKey) };
}

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

export async function issueServingCert(
  ca: KeyPairPem,
  names: ServingNames,
  now: Date,
  notAfter: Date,
): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    keyAlgorithm,
    false,
    ['sign'],
  );
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${names.dnsNames[0] ?? names.ipAddresses[0] ?? 'tollgate-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: pemFile(cert.toString('pem')), keyPem: await privateKeyPem(keys.privateKey) };
}

export interface CertificateFacts {
  pem: string;
  subject: string;
  issuer: string;
  notAfter: Date;
}

/** Each certificate in a PEM bundle, in order. */
export function readCertificates(bundlePem: string): CertificateFacts[] {
  return x509.PemConverter.decode(bundlePem).map((der) => {
    const cert = new x509.X509Certificate(der);
    return {
      pem: pemFile(cert.toString('pem')),
      subject: cert.subject,
      issuer: cert.issuer,
      notAfter: cert.notAfter,
    };
  });
}

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

/**
 * A certificate authority made on the spot for a local cluster (`unanimous serve --tls`, the
 * tests): a self-signed CA certificate, and certificates it issues for the nodes, all ECDSA P-256
 * with SHA-256 (RFC 5480, RFC 5758), built by @peculiar/x509 over Node's WebCrypto. The CA's
 * private key lives only in memory: once the nodes' certificates are issued it is gone, so nobody
 * can mint another certificate the cluster would trust.
 */

/** A certificate and its private key, PEM (the key as PKCS #8, which Node's tls reads). */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Who a certificate names: its subject's common name and the names a TLS client checks (SANs). */
export interface CertificateSubject {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface CertificateAuthority {
  /** The CA's certificate, PEM: what clients and peers are told to trust. */
  readonly cert: string;
  /** A certificate for a node, signed by this CA, for TLS servers and clients both. */
  issue(subject: CertificateSubject): Promise<IssuedCertificate>;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

let library: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509, loaded once and only when a CA is made, after the Reflect Metadata polyfill
 * that its README requires (its algorithms register in a tsyringe container, which refuses to
 * load without it).
 */
function x509(): Promise<typeof X509> {
  return (library ??= import('reflect-metadata').then(() => import('@peculiar/x509')));
}

/**
 * A fresh CA valid for `validDays` (from an hour ago, for clocks a little behind). Its certificate
 * is a CA of path length 0 that may only sign certificates (RFC 5280 §4.2.1.9, §4.2.1.3).
 */
export async function createCertificateAuthority(options: { readonly name?: string; readonly validDays?: number } = {}): Promise<CertificateAuthority> {
  const lib = await x509();
  const validDays = options.validDays ?? 30;
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + validDays * DAY_MS);
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.name ?? 'unanimous throwaway CA'] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new lib.BasicConstraintsExtension(true, 0, true),
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
      await lib.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: ca.toString('pem'),
    async issue(subject: CertificateSubject): Promise<IssuedCertificate> {
      if (subject.dnsNames.length + subject.ipAddresses.length === 0) throw new Error(`a certificate for ${subject.commonName} needs at least one DNS name or IP address`);
      const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
      const leaf = await lib.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: [{ CN: [subject.commonName] }],
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALGORITHM,
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new lib.BasicConstraintsExtension(false, undefined, true),
          // An ECDSA key signs the TLS handshake and nothing else (RFC 5280 §4.2.1.3; RFC 8446 §4.4.3).
          new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
          // A node is a TLS server to its peers and clients, and a TLS client of its peers.
          new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth, lib.ExtendedKeyUsage.clientAuth]),
          new lib.SubjectAlternativeNameExtension([
            ...subject.dnsNames.map((value) => ({ type: 'dns' as const, value })),
            ...subject.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
          ]),
          await lib.AuthorityKeyIdentifierExtension.create(ca, false),
          await lib.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        ],
      });
      return { cert: leaf.toString('pem'), key: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', leafKeys.privateKey)) };
    },
  };
}

/** Where `writeThrowawayCa` put the files. */
export interface ThrowawayCaFiles {
  readonly caFile: string;
  readonly nodes: ReadonlyMap<string, { readonly certFile: string; readonly keyFile: string }>;
}

/**
 * A fresh CA and one certificate per node under `dir`: `ca.pem`, `<node>.pem`, `<node>.key` (the
 * keys readable by their owner only). Each node's certificate names 127.0.0.1 and localhost, and
 * its own host when that is another.
 */
export async function writeThrowawayCa(dir: string, nodes: readonly { readonly id: string; readonly host: string }[]): Promise<ThrowawayCaFiles> {
  const ca = await createCertificateAuthority();
  mkdirSync(dir, { recursive: true });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  const files = new Map<string, { certFile: string; keyFile: string }>();
  for (const node of nodes) {
    const isIp = /^[\d.]+$|:/.test(node.host);
    const issued = await ca.issue({
      commonName: node.id,
      dnsNames: [...new Set(['localhost', ...(isIp ? [] : [node.host])])],
      ipAddresses: [...new Set(['127.0.0.1', ...(isIp ? [node.host] : [])])],
    });
    const certFile = join(dir, `${node.id}.pem`);
    const keyFile = join(dir, `${node.id}.key`);
    writeFileSync(certFile, issued.cert);
    writeFileSync(keyFile, issued.key, { mode: 0o600 });
    chmodSync(keyFile, 0o600); // an existing file keeps its mode through writeFileSync
    files.set(node.id, { certFile, keyFile });
  }
  return { caFile, nodes: files };
}

/**
 * A positive serial of about 127 random bits (RFC 5280 §4.1.2.2: unique per CA, at most 20
 * octets). The first octet is kept in 0x01–0x7f: positive, and no leading zero that DER's
 * minimal encoding of an INTEGER (X.690 §8.3.2) would forbid.
 */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

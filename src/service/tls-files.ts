import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Where a node's TLS material is: the cluster's CA certificate, the node's certificate and its key (PEM files). */
export interface TlsPaths {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** The files' contents, checked. */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A TLS file that will not do; the message names the field (`tls.cert: ...`). */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads and checks a node's TLS files before anything listens, so that a wrong file is a clear
 * error at start rather than a handshake failure on every link: each file must be PEM of its
 * kind, the key must be the certificate's (`X509Certificate.checkPrivateKey`), the certificate
 * must be signed by one of the CA certificates (`checkIssued` and `verify`, RFC 5280 §6) and be
 * within its validity period now. `where` prefixes the field names (`tls`).
 */
export function readTlsFiles(paths: TlsPaths, where = 'tls'): TlsMaterial {
  const ca = read(paths.ca, `${where}.ca`);
  const cert = read(paths.cert, `${where}.cert`);
  const key = read(paths.key, `${where}.key`);
  const authorities = certificates(ca, paths.ca, `${where}.ca`);
  const [leaf] = certificates(cert, paths.cert, `${where}.cert`);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsFileError(`${where}.key: ${paths.key} is not a PEM private key (${(error as Error).message})`);
  }
  if (!leaf!.checkPrivateKey(privateKey)) throw new TlsFileError(`${where}.key: ${paths.key} is not the private key of the certificate in ${where}.cert (${paths.cert})`);
  if (!authorities.some((authority) => leaf!.checkIssued(authority) && leaf!.verify(authority.publicKey))) {
    throw new TlsFileError(`${where}.cert: ${paths.cert} (${leaf!.subject.replace(/\n/g, ', ')}) is not signed by the CA in ${where}.ca (${paths.ca})`);
  }
  const now = Date.now();
  if (Date.parse(leaf!.validTo) < now) throw new TlsFileError(`${where}.cert: ${paths.cert} expired on ${leaf!.validTo}`);
  if (Date.parse(leaf!.validFrom) > now) throw new TlsFileError(`${where}.cert: ${paths.cert} is not valid before ${leaf!.validFrom}`);
  return { ca, cert, key };
}

/** The CA certificate(s) of a PEM file (a client's `--ca`): its text, checked to hold certificates. */
export function readCaFile(path: string, where: string): string {
  const ca = read(path, where);
  certificates(ca, path, where);
  return ca;
}

function read(path: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new TlsFileError(`${where}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Every certificate of a PEM file, in order; at least one. */
function certificates(text: string, path: string, where: string): X509Certificate[] {
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new TlsFileError(`${where}: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsFileError(`${where}: certificate ${i + 1} of ${path} does not parse (${(error as Error).message})`);
    }
  });
}

import type { ConnectionOptions, TlsOptions } from 'node:tls';

/**
 * TLS for the links between nodes: mutual TLS, each end presenting a certificate signed by the
 * cluster's CA and trusting that CA alone (not the system's roots). TLS gives the links
 * confidentiality and integrity (RFC 8446); the handshake of peer-handshake.ts still runs inside
 * it, proving the cluster secret and binding the node id, which a certificate does not name.
 */
export interface PeerTls {
  /** The CA certificate(s), PEM: the only issuers a peer's certificate may come from. */
  readonly ca: string | Buffer;
  /** This node's certificate chain, PEM, presented to peers on both sides of every link. */
  readonly cert: string | Buffer;
  /** Its private key, PEM. */
  readonly key: string | Buffer;
}

/**
 * Both ends run TLS 1.3 (RFC 8446): the cluster's nodes are all this code on Node 20, so nothing
 * older needs to be spoken, and 1.3 encrypts the certificates too.
 */
const MIN_VERSION = 'TLSv1.3';

/**
 * The listener's options. It asks every dialer for a certificate (`requestCert`) but does not let
 * OpenSSL drop an unverified one silently (`rejectUnauthorized: false`): the transport checks
 * `authorized` itself before it reads or writes a byte, so that a refused certificate is logged
 * with OpenSSL's reason (`authorizationError`) instead of vanishing as a reset (Node's tls docs,
 * `tls.createServer` and `tlsSocket.authorizationError`).
 */
export const peerServerOptions = (tls: PeerTls, handshakeTimeoutMs: number): TlsOptions => ({
  ca: tls.ca,
  cert: tls.cert,
  key: tls.key,
  requestCert: true,
  rejectUnauthorized: false,
  minVersion: MIN_VERSION,
  handshakeTimeout: handshakeTimeoutMs,
});

/**
 * The dialer's options: the peer's certificate must chain to the CA and name the host dialled
 * (Node's default `checkServerIdentity`: a DNS name against the DNS SANs, an IP address against
 * the IP SANs, RFC 6125), and this node presents its own for the listener to check.
 */
export const peerClientOptions = (tls: PeerTls, host: string, port: number): ConnectionOptions => ({
  host,
  port,
  ca: tls.ca,
  cert: tls.cert,
  key: tls.key,
  rejectUnauthorized: true,
  minVersion: MIN_VERSION,
});

/**
 * Whether a socket error is TLS refusing the other end (its certificate, or ours at its side),
 * rather than the network: OpenSSL's errors (`ERR_SSL_*`, among them the alerts a peer sends back),
 * Node's (`ERR_TLS_*`), and X.509 verification codes (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 * `SELF_SIGNED_CERT_IN_CHAIN`, `CERT_HAS_EXPIRED`, … as listed under `tlsSocket.authorizationError`).
 */
export function isTlsRefusal(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return /^ERR_SSL_|^ERR_TLS_|CERT|SIGNATURE|ISSUER|SELF_SIGNED|^UNABLE_TO_/.test(code);
}

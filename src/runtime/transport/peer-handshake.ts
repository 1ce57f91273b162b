import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FrameError } from './frames.ts';

/**
 * The handshake that opens every connection between two nodes: mutual authentication by the secret
 * the cluster shares, the secret itself never on the wire. It is a challenge–response in the manner
 * of CHAP (RFC 1994), made mutual: each side proves that it holds the secret by an HMAC-SHA256
 * (RFC 2104) over a fresh random nonce of the other side's, so a recorded handshake proves nothing
 * on another connection — the listener's challenge is new every time.
 *
 *     listener → dialer    { challenge: Nl, node: L }
 *     dialer   → listener  { hello: D, nonce: Nd, proof: HMAC(secret, "hello" · D · L · Nl · Nd) }
 *     listener → dialer    { welcome: HMAC(secret, "welcome" · L · D · Nd · Nl) }
 *
 * The listener reads no message before a valid hello; the dialer sends none before a valid welcome,
 * so neither a stranger dialling a node's port nor one listening at a peer's address can talk to a
 * node or hear from it. Each proof names both ends and its direction ("hello", "welcome"), so no
 * proof can be reflected as another. What this does not give is confidentiality or the integrity of
 * the frames after the handshake against someone on the path who can rewrite TCP: that is TLS's job.
 */

/** Random bytes in every nonce: 256 bits, never repeated in practice. */
export const NONCE_BYTES = 32;

/** A handshake frame is a few hundred bytes: a connection is held to this until it is authenticated. */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024;

/** The shortest secret accepted: 16 characters, as the service's `clusterSecret`. */
export const MIN_SECRET_LENGTH = 16;

export interface Challenge {
  readonly challenge: string;
  readonly node: string;
}

export interface Hello {
  readonly hello: string;
  readonly nonce: string;
  readonly proof: string;
}

export interface Welcome {
  readonly welcome: string;
}

export const newNonce = (): string => randomBytes(NONCE_BYTES).toString('hex');

/** The listener's first frame. */
export const challengeFrame = (listener: string): Challenge => ({ challenge: newNonce(), node: listener });

/** The dialer's answer to a challenge from `listener`. */
export function helloFrame(secret: string, dialer: string, listener: string, challenge: string): Hello {
  const nonce = newNonce();
  return { hello: dialer, nonce, proof: mac(secret, 'hello', dialer, listener, challenge, nonce) };
}

/** The listener's proof, once the dialer's hello has passed. */
export const welcomeFrame = (secret: string, listener: string, hello: Hello, challenge: string): Welcome => ({
  welcome: mac(secret, 'welcome', listener, hello.hello, hello.nonce, challenge),
});

/** The nonce of the challenge the dialer expects from `peer`; throws `FrameError` otherwise. */
export function readChallenge(value: unknown, peer: string): string {
  const { challenge, node } = (value ?? {}) as Partial<Record<string, unknown>>;
  if (typeof challenge !== 'string' || !isNonce(challenge) || typeof node !== 'string') throw new FrameError('the first frame from the peer is not a challenge');
  if (node !== peer) throw new FrameError(`the node at this address is ${JSON.stringify(node)}, not ${JSON.stringify(peer)}`);
  return challenge;
}

/**
 * The dialer's hello, checked against the challenge this listener sent: the hello if it names a
 * peer and proves the secret, else `FrameError` with the reason.
 */
export function readHello(value: unknown, secret: string, listener: string, challenge: string, isPeer: (id: string) => boolean): Hello {
  const { hello, nonce, proof } = (value ?? {}) as Partial<Record<string, unknown>>;
  if (typeof hello !== 'string') throw new FrameError('the first frame is not a hello');
  if (!isPeer(hello)) throw new FrameError(`a hello from ${JSON.stringify(hello)}, which is not a peer`);
  if (typeof nonce !== 'string' || !isNonce(nonce) || typeof proof !== 'string') throw new FrameError(`a hello from ${JSON.stringify(hello)} without a nonce and a proof of the cluster secret`);
  if (!sameMac(proof, mac(secret, 'hello', hello, listener, challenge, nonce))) {
    throw new FrameError(`a hello from ${JSON.stringify(hello)} that does not prove the cluster secret (a wrong secret, or a replayed handshake)`);
  }
  return { hello, nonce, proof };
}

/** Checks the listener's welcome against the dialer's hello; throws `FrameError` otherwise. */
export function readWelcome(value: unknown, secret: string, dialer: string, listener: string, hello: Hello, challenge: string): void {
  const { welcome } = (value ?? {}) as Partial<Record<string, unknown>>;
  if (typeof welcome !== 'string') throw new FrameError('the peer answered the hello with something other than a welcome');
  if (!sameMac(welcome, mac(secret, 'welcome', listener, dialer, hello.nonce, challenge))) {
    throw new FrameError(`${JSON.stringify(listener)} does not prove the cluster secret (a wrong secret on one side, or not the real node)`);
  }
}

/** A secret the handshake can rely on; throws otherwise. */
export function checkSecret(secret: string, who: string): void {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${who}: the cluster secret must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
}

const isNonce = (text: string): boolean => text.length === NONCE_BYTES * 2 && /^[0-9a-f]+$/.test(text);

/** HMAC-SHA256 over the fields, each length-prefixed so that no two field lists give the same input. */
function mac(secret: string, ...fields: readonly string[]): string {
  const hmac = createHmac('sha256', secret);
  hmac.update('unanimous/peer-handshake/v1');
  for (const field of fields) {
    const bytes = Buffer.from(field, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  return hmac.digest('hex');
}

/** Compares two MACs in time that does not depend on where they differ. */
function sameMac(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

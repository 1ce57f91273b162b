import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer credentials in an `authorization` header (RFC 6750 §2.1): the client token of the HTTP
 * API, and the cluster secret on commands between nodes.
 */

/** The credential of an `authorization: Bearer <credential>` header (the scheme in any case, RFC 9110 §11.1), or undefined. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  const match = /^bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Whether `given` equals `expected`, in time that depends on neither where they differ nor their
 * lengths: both are hashed (SHA-256) and the digests compared with `timingSafeEqual`, so that a
 * client cannot find the secret, or its length, a byte at a time by timing refusals.
 */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether an `authorization` header carries `Bearer <secret>`. */
export const carriesBearer = (authorization: string | undefined, secret: string): boolean => sameSecret(bearerCredential(authorization) ?? '', secret);

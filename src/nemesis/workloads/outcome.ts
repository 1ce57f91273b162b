import type { JsonResponse } from '../../service/index.ts';

/**
 * What one request to the service tells a history (Jepsen's ok / fail / info):
 * - `ok`: it happened — a 2xx, or a 404 "key not found" (a read that found the key missing);
 * - `fail`: it certainly did not happen — a 409 (a compare failed, or a key is locked by a
 *   transaction prepared across shards: nothing applied), a 503 with `retryable: true` (no leader
 *   could take it, or a transaction across shards aborted because a shard was unreachable; the
 *   API says "the command was not applied"), any other 4xx (refused before any log: 400, 401,
 *   403, 413, 429), and a connection refused (the request never left);
 * - `info`: it may or may not have happened — a 503 without `retryable` (`outcome: "unknown"`,
 *   or `"committed"` when a shard has not confirmed its part: committed, but the results are
 *   not all known), any other 5xx, a timeout, a reset or any other error once the request may
 *   have been sent.
 * The statuses are those of src/service/http-api.ts.
 */
export type Outcome =
  | { readonly type: 'ok'; readonly status: number; readonly body: unknown }
  | { readonly type: 'fail'; readonly status: number | null; readonly reason: string }
  | { readonly type: 'info'; readonly status: number | null; readonly reason: string };

export function outcomeOf(response: JsonResponse): Outcome {
  const { status, body } = response;
  const fields = (typeof body === 'object' && body !== null ? body : {}) as { readonly error?: unknown; readonly retryable?: unknown; readonly reason?: unknown };
  const reason = String(fields.error ?? fields.reason ?? status);
  if (status >= 200 && status < 300) return { type: 'ok', status, body };
  if (status === 404 && fields.error === 'key not found') return { type: 'ok', status, body };
  if (status === 503) return fields.retryable === true ? { type: 'fail', status, reason } : { type: 'info', status, reason };
  if (status >= 400 && status < 500) return { type: 'fail', status, reason };
  return { type: 'info', status, reason };
}

/** Sends a request and classifies what came back (or what went wrong). */
export async function attempt(request: () => Promise<JsonResponse>): Promise<Outcome> {
  try {
    return outcomeOf(await request());
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return { type: 'fail', status: null, reason: 'connection refused' };
    return { type: 'info', status: null, reason: (error as Error).message };
  }
}

import { Agent, request } from 'node:http';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface JsonRequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Reuse connections (keep-alive) across requests; Node's global agent otherwise. */
  readonly agent?: Agent;
}

/** A keep-alive HTTP agent: one per client, so that requests reuse their connections. */
export const keepAliveAgent = (maxSockets = 256): Agent => new Agent({ keepAlive: true, maxSockets });

/**
 * One HTTP request with a JSON body and a JSON answer (the service's only kind), over node:http.
 * Rejects on a network error or after `timeoutMs`; resolves with any status, the body parsed
 * (a body that is not JSON is returned as its text).
 */
export function requestJson(url: string, options: JsonRequestOptions = {}): Promise<JsonResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (payload ? 'POST' : 'GET'),
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...options.headers },
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text.length > 0 ? JSON.parse(text) : null;
          } catch {
            // Not JSON: hand back the text.
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

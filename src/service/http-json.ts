import { Agent, request, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { InvalidRequestError } from './txn.ts';

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface JsonRequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Reuse connections (keep-alive) across requests; Node's global agent otherwise. An https:// URL needs an HTTPS agent. */
  readonly agent?: Agent;
  /** For an https:// URL without an agent: the CA certificate(s), PEM, to trust instead of the system's. */
  readonly ca?: string | Buffer;
}

/**
 * A keep-alive agent: one per client, so that requests reuse their connections. With `tls`, an
 * HTTPS agent that trusts the given CA alone (a cluster's own, not the system's roots).
 */
export const keepAliveAgent = (maxSockets = 256, tls?: { readonly ca?: string | Buffer }): Agent =>
  tls ? new HttpsAgent({ keepAlive: true, maxSockets, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) }) : new Agent({ keepAlive: true, maxSockets });

/**
 * One HTTP request with a JSON body and a JSON answer (the service's only kind), over node:http,
 * or node:https for an https:// URL (the server's certificate checked against `ca`, or the
 * agent's, or the system's roots). Rejects on a network or TLS error or after `timeoutMs`;
 * resolves with any status, the body parsed (a body that is not JSON is returned as its text).
 */
export function requestJson(url: string, options: JsonRequestOptions = {}): Promise<JsonResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : request)(
      url,
      {
        method: options.method ?? (payload ? 'POST' : 'GET'),
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...options.headers },
        ...(options.agent ? { agent: options.agent } : {}),
        ...(https && options.ca !== undefined ? { ca: options.ca } : {}),
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

/*
 * The server side: turning request bytes into JSON, and answering requests that Node's HTTP parser
 * refuses before any handler sees them. Every refusal is a 4xx with a JSON `error`, as the API's.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A request body as a JSON value, or `InvalidRequestError` (400) saying what is wrong with it.
 * The bytes must be UTF-8: found by fuzzing, the body used to be decoded leniently, so invalid
 * bytes inside a string became U+FFFD and a PUT stored a value nobody sent.
 */
export function decodeJsonBody(bytes: Buffer): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const sample = [...bytes.subarray(at, at + 4)].map((byte) => `0x${byte.toString(16).padStart(2, '0')}`).join(' ');
    throw new InvalidRequestError(`the body is not valid UTF-8: byte ${at} starts an invalid sequence (${sample})`);
  }
  if (text.trim().length === 0) throw new InvalidRequestError('the body is empty; send JSON');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`the body is not JSON: ${(error as Error).message}`);
  }
}

/**
 * A percent-encoded segment of a request's path, decoded, or `InvalidRequestError` (400) naming
 * `what`. Found by fuzzing: /debug/applied/%ZZ answered 500, decodeURIComponent's URIError
 * escaping as an internal error.
 */
export function decodePathSegment(encoded: string, what: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new InvalidRequestError(`${what} ${JSON.stringify(encoded.length > 200 ? `${encoded.slice(0, 200)}…` : encoded)} is not valid percent-encoding of UTF-8`);
  }
}

/**
 * The URL of a request from its target as sent: origin-form ("/path?query") or absolute-form
 * ("http://host/path"), else `InvalidRequestError` (400). Found by fuzzing: the target was
 * resolved against a base URL, so "//" was read as a URL with an empty host and threw (a 500),
 * and "//kv/x" as host "kv", path "/x" (routed as /x). An origin-form target is a path, always.
 */
export function requestUrl(target: string | undefined): URL {
  const text = target ?? '/';
  try {
    return text.startsWith('/') ? new URL(`http://localhost${text}`) : new URL(text);
  } catch {
    throw new InvalidRequestError(`the request target ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)} is not a path (or an absolute URL)`);
  }
}

/** The error for a body whose connection failed before the body was whole (nobody is left to read the answer, but it is the client's doing, not the server's). */
export const bodyCutOff = (error: Error): InvalidRequestError => new InvalidRequestError(`the connection failed before the whole body arrived (${error.message})`);

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or -1 if every byte is in one.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead, and the least code point that needs that many.
    const [more, least] = lead >= 0xc2 && lead <= 0xdf ? [1, 0x80] : lead >= 0xe0 && lead <= 0xef ? [2, 0x800] : lead >= 0xf0 && lead <= 0xf4 ? [3, 0x10000] : [0, 0];
    if (more === 0) return i;
    let codePoint = lead & (0x3f >> more);
    for (let k = 1; k <= more; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < least || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += more + 1;
  }
  return -1;
}

/** A whole HTTP/1.1 response with a JSON `error`, for a socket that no ServerResponse owns; the connection closes after it. */
function rawErrorResponse(status: number, error: string): string {
  const body = JSON.stringify({ error });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Gives the requests Node's HTTP server answers by itself the API's kind of answer. Found by
 * fuzzing: a request line, header or chunked body Node cannot parse, headers over its 16 KiB limit
 * and a wrong content-length got a bare "400 Bad Request" (or 431) with no body; an unknown
 * `Expect` a bare 417; and CONNECT had the connection dropped without any answer, since nothing
 * listened for it. Now each is a 4xx with a JSON `error` saying what was wrong.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: Error & { code?: string; reason?: string }, socket: Duplex) => {
    // Node's own rule: a peer that is gone, or a socket whose response has begun, gets nothing more.
    const answering = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are larger than the server takes (16 KiB in all)']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request did not arrive in time']
          : [400, `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'}: ${error.reason ?? error.message}); the API takes HTTP/1.1 requests with JSON bodies`];
    socket.end(rawErrorResponse(status, message));
  });
  server.on('connect', (req, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    socket.end(rawErrorResponse(405, `${req.method} is not allowed; the routes are /kv/<key>, /txn, /status, /debug/applied/<shard>`));
  });
  server.on('checkExpectation', (req, res) => {
    const body = JSON.stringify({ error: `the expectation ${JSON.stringify(req.headers.expect)} is not supported; only "100-continue" is` });
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
}

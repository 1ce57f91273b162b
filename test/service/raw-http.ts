import { connect } from 'node:net';

/** One HTTP response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface RawExchangeOptions {
  /** The request was HEAD: its answer has headers only, whatever content-length says. */
  readonly head?: boolean;
  /** Half-close the connection after writing (for bytes a parser would otherwise wait on). */
  readonly end?: boolean;
  /** How long to wait for the answer before failing: a server that hangs fails the test. */
  readonly timeoutMs?: number;
}

/**
 * Writes `bytes` on a fresh TCP connection to 127.0.0.1:`port` and resolves with the first final
 * (non-1xx) response, whatever the bytes were: raw sockets, so that a test controls every byte of
 * a malformed request, which node:http's client would refuse to send. Rejects when the server
 * closes without answering or does not answer within `timeoutMs`.
 */
export function rawExchange(port: number, bytes: Buffer, options: RawExchangeOptions = {}): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port }, () => {
      if (options.end) socket.end(bytes);
      else socket.write(bytes);
    });
    const finish = (outcome: RawResponse | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms to ${describe(bytes)}`)), timeoutMs);
    const parse = (closed: boolean): RawResponse | Error | undefined => {
      try {
        return parseResponse(received, closed, options.head ?? false);
      } catch (error) {
        return error as Error;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = parse(false);
      if (response) finish(response);
    });
    // A reset after the server answered and closed is routine (it may close before reading all we wrote).
    socket.on('error', () => {});
    socket.on('close', () => {
      const response = parse(true);
      finish(response ?? new Error(`the connection closed without an answer (${received.length} bytes: ${JSON.stringify(received.toString('latin1').slice(0, 200))}) to ${describe(bytes)}`));
    });
  });
}

const describe = (bytes: Buffer): string => JSON.stringify(bytes.toString('latin1').slice(0, 300)) + (bytes.length > 300 ? ` … (${bytes.length} bytes)` : '');

/** The first final response in `data`, or undefined while it is incomplete. */
function parseResponse(data: Buffer, closed: boolean, head: boolean): RawResponse | undefined {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) return undefined;
    const lines = data.subarray(start, end).toString('latin1').split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!statusLine) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const status = Number(statusLine[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + 4;
    if (status < 200) {
      start = bodyStart; // 100 Continue and the like: the answer follows
      continue;
    }
    let body: Buffer | undefined;
    if (head) body = Buffer.alloc(0);
    else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length >= bodyStart + length) body = data.subarray(bodyStart, bodyStart + length);
    } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(data.subarray(bodyStart));
    else if (closed) body = data.subarray(bodyStart);
    if (body === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    return { status, headers, body, json };
  }
}

/** A chunked body decoded, or undefined while its last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** The bytes of a request: the request line, a Host (unless `host: false`), Connection: close, `headers`, a content-length for a body, and the body. */
export function rawRequest(requestLine: string, options: { readonly headers?: readonly (readonly [string, string])[]; readonly body?: Buffer | string; readonly host?: boolean } = {}): Buffer {
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const lines = [requestLine, ...(options.host === false ? [] : ['host: fuzz.test']), 'connection: close', ...(options.headers ?? []).map(([name, value]) => `${name}: ${value}`)];
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

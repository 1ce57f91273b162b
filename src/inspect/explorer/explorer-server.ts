import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderStatechartSvg } from '../svg.ts';
import { ExplorerSession, PathError, type StatePath } from './explorer-session.ts';
import { isStepTrace, readRecordedDocument } from './recorded-document.ts';
import { replayTrace, type Replay } from './replay.ts';
import { readTraceDocument, TraceDocumentError } from './trace-document.ts';

export interface ExplorerServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** A trace loaded from the command line (`--trace FILE`), replayed already: the page opens on it. */
  readonly preloaded?: Replay;
}

export interface ExplorerServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The page's files, served from disk as they are: plain HTML, CSS and JavaScript, no build step. */
const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/explorer.js': { file: 'explorer.js', type: 'text/javascript; charset=utf-8' },
  '/explorer.css': { file: 'explorer.css', type: 'text/css; charset=utf-8' },
};
const PAGE_DIR = new URL('./page/', import.meta.url);

/** The largest trace upload accepted, in bytes. */
const MAX_BODY = 16 * 1024 * 1024;

/** A request the API refuses: the status and the message sent back as `{ "error": ... }`. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The explorer's HTTP server, on 127.0.0.1 only (node:http, no framework). The JSON API:
 *
 * - `GET /api/model`: the model, its machines with their statecharts, its properties;
 * - `GET /api/state?path=3.0.2`: the state at that path (action positions from the initial
 *   state; empty for the initial state), its property verdicts and its enabled actions;
 * - `GET /api/chart/<machine>.svg`: a machine's statechart, each state a `g.state[data-state]`;
 * - `POST /api/replay` with a trace, check/simulate --json output, or hosts' step trace (JSON
 *   lines, one or more nodes' records): the trace replayed, a recorded run with its problems;
 * - `GET /api/preloaded`: the trace given on the command line, replayed (`null` when none).
 *
 * Errors are JSON `{ "error": "..." }` with a 4xx status. Requests naming another host are refused,
 * so a web page elsewhere cannot reach the explorer through DNS rebinding.
 */
export async function startExplorerServer(session: ExplorerSession, options: ExplorerServerOptions = {}): Promise<ExplorerServer> {
  const charts = new Map<number, Promise<string>>();
  const machines = session.modelReport().machines;
  const chartSvg = (index: number): Promise<string> => {
    let svg = charts.get(index);
    if (!svg) {
      svg = renderStatechartSvg(machines[index]!.chart);
      charts.set(index, svg);
    }
    return svg;
  };
  let port = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const host = request.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) throw new RequestError(403, `requests must be addressed to 127.0.0.1:${port}, not "${host}"`);
    const page = PAGE_FILES[url.pathname];
    if (page) {
      allow(request, 'GET');
      const body = await readFile(new URL(page.file, PAGE_DIR));
      response.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-cache' }).end(body);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === '/api/model') {
      allow(request, 'GET');
      return sendJson(response, 200, session.modelReport());
    }
    if (url.pathname === '/api/state') {
      allow(request, 'GET');
      const path = parsePath(url.searchParams.get('path') ?? '');
      try {
        return sendJson(response, 200, session.stateReport(path));
      } catch (error) {
        if (error instanceof PathError) throw new RequestError(404, error.message);
        throw error;
      }
    }
    const chart = /^\/api\/chart\/(\d+)\.svg$/.exec(url.pathname);
    if (chart) {
      allow(request, 'GET');
      const index = Number(chart[1]);
      if (index >= machines.length) throw new RequestError(404, `no machine ${index}: this model has machines 0 to ${machines.length - 1}`);
      response.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8' }).end(await chartSvg(index));
      return;
    }
    if (url.pathname === '/api/replay') {
      allow(request, 'POST');
      const text = await readBody(request);
      try {
        const document = isStepTrace(text) ? readRecordedDocument(text, session.explored.model) : readTraceDocument(parseJson(text), session.explored.name);
        return sendJson(response, 200, replayTrace(session, document));
      } catch (error) {
        if (error instanceof TraceDocumentError) throw new RequestError(400, error.message);
        throw error;
      }
    }
    if (url.pathname === '/api/preloaded') {
      allow(request, 'GET');
      return sendJson(response, 200, options.preloaded ?? null);
    }
    throw new RequestError(404, `no such page or API: ${url.pathname}`);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof RequestError) {
        sendJson(response, error.status, { error: error.message });
      } else {
        process.stderr.write(`unanimous explore: ${(error as Error).stack ?? String(error)}\n`);
        sendJson(response, 500, { error: `internal error: ${(error as Error).message}` });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, `not JSON: ${(error as Error).message}`);
  }
}

/** `3.0.2` → [3, 0, 2]; the empty string is the initial state. */
function parsePath(text: string): StatePath {
  if (text === '') return [];
  if (!/^\d+(\.\d+)*$/.test(text)) throw new RequestError(400, `a path is action numbers separated by dots (3.0.2), not "${text}"`);
  return text.split('.').map(Number);
}

function allow(request: IncomingMessage, method: 'GET' | 'POST'): void {
  if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) {
    throw new RequestError(405, `${request.method} is not allowed here: use ${method}`);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new RequestError(413, `a trace may be at most ${MAX_BODY / 1024 / 1024} MB`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

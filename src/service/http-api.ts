import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { CommandOutcome } from './cross-shard-coordinator.ts';
import { bearerCredential, sameSecret } from './bearer-token.ts';
import { isId, isPort, limitsOf, type NodeAddress } from './cluster-config.ts';
import { InFlightLimit } from './in-flight-limit.ts';
import { COMMANDS_PATH, type ForwardedCommand, type ForwardedOutcome } from './command-forwarder.ts';
import { parseClusterMapImage } from './cluster-map.ts';
import { type AdminAnswer, MAP_PATH, REPLICAS_PATH } from './membership-admin.ts';
import type { ServedNode, TxnOutcome } from './served-node.ts';
import { parseShardCommand } from './shard-command.ts';
import { bodyCutOff, decodeJsonBody, decodePathSegment, requestUrl } from './http-json.ts';
import { checkKey, checkValue, InvalidRequestError, MAX_VALUE_BYTES, type OperationResult, parseTxn, type Txn, type TxnResult } from './txn.ts';

/** The largest request body taken (a transaction of many puts); larger ones get 413 unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The HTTP JSON API of a node (node:http, no framework). Every answer is a JSON object; every
 * refusal carries `error`, a sentence saying what was wrong.
 *
 *   GET    /kv/<key>             200 {key, value, revision, version, shard} | 404 key not found
 *   PUT    /kv/<key>  {"value"}  200 {key, revision, version, shard}
 *   DELETE /kv/<key>             200 {key, deleted, revision, shard}
 *   POST   /txn  {compare, ops}  200 {committed: true, revision, results, shard} | 409 {committed: false, reason}
 *                                 across shards: 200 {committed: true, revisions: {shard: revision}, results, shards}
 *   GET    /status               the cluster: nodes, shards, leaders, terms, commit indexes (?local=1: this node only)
 *   POST   /admin/shards/<shard>/transfer  {"to": "<node>"}   moves the shard's leadership to that node's replica
 *                                 (Raft's leadership transfer): 200 {shard, from, leader, term} | 400 | 404 | 409 | 503
 *   GET    /admin/members        the cluster's nodes, removed nodes, and every shard's replicas
 *   POST   /admin/members  {"id", "host", "raftPort", "httpPort"}   a node joins the cluster: 200 | 400 | 409
 *   DELETE /admin/members/<node>  a node holding no replica leaves the cluster: 200 | 400 | 409
 *   POST   /admin/shards/<shard>/replicas  {"add": "<node>"} | {"remove": "<node>"}   changes the shard's group
 *                                 (Raft's single-server change): 200 {shard, members, index} | 400 | 404 | 409 | 503
 *   GET    /debug/applied/<shard>[?at=N]   this node's replica: applied index, digest of its applied log, of its data
 *   POST   /internal/commands  {commands: [{shard, hops, command}]}   between nodes (with the cluster secret): shard
 *                                 commands (shard-command.ts) for their shards' leaders; 200 {outcomes: [{status, body}]}
 *   POST   /internal/cluster-map  {nodes, shards}   between nodes: merges the map, answers with this node's
 *   POST   /internal/replicas  {shard, members}     between nodes: start a replica joining the shard's group
 *   DELETE /internal/replicas/<shard>              between nodes: drop the replica removed from its group
 *
 * Keys are the rest of the path after /kv/, percent-decoded (so they may hold "/"). 400 for
 * malformed input, 403 for a command between nodes without the cluster secret, 404 for an unknown
 * key, route or shard, 405 for a method a route does not take, 409 for a transaction that aborted
 * (a compare failed, or a key is locked by a transaction prepared across shards), 413 for an
 * oversized body, key or value, 503 when a shard has no leader or an outcome is unknown.
 *
 * Before any route, a client's request passes two gates (`admit`): with a `clientToken`
 * configured it must carry `authorization: Bearer <token>` (401 otherwise), and its address may
 * have at most `maxInFlightPerClient` requests in flight (429 with Retry-After otherwise). Commands
 * between nodes skip both: they carry the cluster secret instead, and a node must not throttle
 * the other nodes' halves of the transactions it is part of.
 */
export function apiHandler(node: ServedNode): RequestListener {
  const inFlight = new InFlightLimit(limitsOf(node.config).maxInFlightPerClient);
  return (req, res) => {
    if (!admit(node, inFlight, req, res)) return;
    route(node, req, res).catch((error: unknown) => {
      const status = error instanceof InvalidRequestError ? error.status : 500;
      if (status === 500) process.stderr.write(`${JSON.stringify({ level: 'error', component: node.id, message: 'request failed', error: String((error as Error)?.stack ?? error) })}\n`);
      // A body refused as too large is not read to its end: the connection closes after the answer
      // instead of carrying on to swallow the rest of it (RFC 9110 §15.5.14).
      reply(res, status, { error: status === 500 ? `internal error: ${(error as Error).message}` : (error as Error).message }, status === 413 ? { connection: 'close' } : {});
    });
  };
}

/**
 * The gates before the routes: the client token, then the client's requests in flight. Answers
 * the refusal (401 or 429) and returns false, or counts the request until its response closes and
 * returns true. A refused request's body is not read: its connection closes after the answer.
 */
function admit(node: ServedNode, inFlight: InFlightLimit, req: IncomingMessage, res: ServerResponse): boolean {
  // The exact path, as sent: anything else, however it normalises, takes the gates.
  if (isBetweenNodes((req.url ?? '').split('?')[0]!)) return true;
  const token = node.config.clientToken;
  if (token !== undefined) {
    const given = bearerCredential(req.headers.authorization);
    if (given === undefined || !sameSecret(given, token)) {
      // RFC 6750 §3: the challenge names the scheme, and error="invalid_token" when one was sent.
      const challenge = given === undefined ? 'Bearer realm="unanimous"' : 'Bearer realm="unanimous", error="invalid_token"';
      const error = given === undefined ? 'this node requires a client token: send "authorization: Bearer <token>"' : 'the client token is wrong';
      reply(res, 401, { error }, { 'www-authenticate': challenge, connection: 'close' });
      return false;
    }
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  const release = inFlight.enter(client);
  if (release === undefined) {
    // RFC 6585 §4: 429 Too Many Requests, with Retry-After (RFC 9110 §10.2.3) in seconds.
    reply(res, 429, { error: `too many requests in flight from ${client}: at most ${inFlight.limit} at once; retry after 1 s`, limit: inFlight.limit }, { 'retry-after': '1', connection: 'close' });
    return false;
  }
  res.once('close', release);
  return true;
}

async function route(node: ServedNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = requestUrl(req.url);
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (path.startsWith('/kv/')) {
    const key = checkKey(decodeKey(req.url ?? '', path), 'the key');
    const onKeyShard = (txn: Txn) => node.runOn(node.ring.shardOf(key), { kind: 'txn', txn });
    switch (method) {
      case 'GET': {
        // THE DELIBERATELY BROKEN BUILD, for tests only (config `unsafeForTesting: 'follower-reads'`):
        // a follower answers from its own data without asking the leader, so it can serve values the
        // leader has long overwritten. The nemesis suite must report this as not linearizable.
        const local = node.config.unsafeForTesting === 'follower-reads' ? node.replica(node.ring.shardOf(key)) : undefined;
        if (local !== undefined && !local.isLeader()) {
          const record = local.state.kv.read(key);
          const result = record ? { op: 'get' as const, key, found: true as const, ...record } : { op: 'get' as const, key, found: false as const };
          return answerGet(res, key, { kind: 'done', shard: local.shard, result: { committed: true, revision: local.state.kv.revision, results: [result] } });
        }
        return answerGet(res, key, await onKeyShard({ compare: [], ops: [{ op: 'get', key }] }));
      }
      case 'PUT': {
        const body = await readJson(req);
        if (typeof body !== 'object' || body === null || Array.isArray(body) || !('value' in body)) throw new InvalidRequestError('PUT /kv/<key> takes a JSON object {"value": "<string>"}');
        const extra = Object.keys(body).filter((field) => field !== 'value');
        if (extra.length > 0) throw new InvalidRequestError(`PUT /kv/<key>: unknown field ${JSON.stringify(extra[0])}`);
        const value = checkValue((body as { value: unknown }).value);
        return answerOne(res, await onKeyShard({ compare: [], ops: [{ op: 'put', key, value }] }), (result, shard) =>
          result.op === 'put' ? { key, revision: result.revision, version: result.version, shard } : {},
        );
      }
      case 'DELETE':
        return answerOne(res, await onKeyShard({ compare: [], ops: [{ op: 'delete', key }] }), (result, shard, revision) =>
          result.op === 'delete' ? { key, deleted: result.deleted, revision, shard } : {},
        );
      default:
        return notAllowed(res, method, path, 'GET, PUT, DELETE');
    }
  }
  if (path === '/kv' || path === '/kv/') throw new InvalidRequestError('the key is missing: use /kv/<key>');
  if (path === '/txn') {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    const txn: Txn = parseTxn(await readJson(req));
    return answerTxn(res, await node.execute(txn));
  }
  if (path === '/status') {
    if (method !== 'GET') return notAllowed(res, method, path, 'GET');
    return reply(res, 200, url.searchParams.get('local') === '1' ? node.nodeStatus() : await node.clusterStatus());
  }
  if (path === COMMANDS_PATH) {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    if (!node.fromClusterNode(req.headers.authorization)) {
      req.resume();
      return reply(res, 403, { error: 'commands between nodes must carry the cluster secret (authorization: Bearer <clusterSecret>)' });
    }
    const commands = parseForwarded(await readJson(req));
    const outcomes = await Promise.all(commands.map((item) => runForwarded(node, item)));
    return reply(res, 200, { outcomes });
  }
  const transfer = /^\/admin\/shards\/([^/]+)\/transfer$/.exec(path);
  if (transfer) {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    const shard = decodePathSegment(transfer[1]!, 'the shard');
    const body = await readJson(req);
    const to = (body as { to?: unknown } | null)?.to;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof to !== 'string') throw new InvalidRequestError('POST /admin/shards/<shard>/transfer takes a JSON object {"to": "<node id>"}');
    const extra = Object.keys(body).filter((field) => field !== 'to');
    if (extra.length > 0) throw new InvalidRequestError(`POST /admin/shards/<shard>/transfer: unknown field ${JSON.stringify(extra[0])}`);
    const outcome = await node.transferLeadership(shard, to, hopsOf(url));
    return reply(res, outcome.status, outcome.body);
  }
  if (isBetweenNodes(path)) return routeBetweenNodes(node, req, res, method, path);
  if (path === '/admin/members') {
    if (method === 'GET') return answer(res, node.membership.members());
    if (method !== 'POST') return notAllowed(res, method, path, 'GET, POST');
    return answer(res, await node.membership.addNode(parseNodeAddress(await readJson(req))));
  }
  const member = /^\/admin\/members\/([^/]+)$/.exec(path);
  if (member) {
    if (method !== 'DELETE') return notAllowed(res, method, path, 'DELETE');
    return answer(res, await node.membership.removeNode(decodePathSegment(member[1]!, 'the node')));
  }
  const replicas = /^\/admin\/shards\/([^/]+)\/replicas$/.exec(path);
  if (replicas) {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    const shard = decodePathSegment(replicas[1]!, 'the shard');
    const body = (await readJson(req)) as Record<string, unknown> | null;
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : [];
    if (fields.length !== 1 || !['add', 'remove'].includes(fields[0]!) || typeof body![fields[0]!] !== 'string') {
      throw new InvalidRequestError('POST /admin/shards/<shard>/replicas takes {"add": "<node id>"} or {"remove": "<node id>"}');
    }
    const change = fields[0] === 'add' ? { add: body!.add as string } : { remove: body!.remove as string };
    return answer(res, await node.membership.changeReplicas(shard, change, hopsOf(url)));
  }
  const debug = /^\/debug\/applied\/([^/]+)$/.exec(path);
  if (debug) {
    if (method !== 'GET') return notAllowed(res, method, path, 'GET');
    return answerApplied(node, res, decodePathSegment(debug[1]!, 'the shard'), url.searchParams.get('at'));
  }
  reply(res, 404, { error: `no route ${method} ${path}; the routes are /kv/<key>, /txn, /status, /admin/members, /admin/shards/<shard>/transfer, /admin/shards/<shard>/replicas, /debug/applied/<shard>` });
}

/** Routes only other nodes call, with the cluster secret: they skip the client gates. */
function isBetweenNodes(path: string): boolean {
  return path === COMMANDS_PATH || path === MAP_PATH || path === REPLICAS_PATH || /^\/internal\/replicas\/[^/]+$/.test(path);
}

/** The membership routes between nodes (membership-admin.ts): 403 without the cluster secret. */
async function routeBetweenNodes(node: ServedNode, req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
  if (!node.fromClusterNode(req.headers.authorization)) {
    req.resume();
    return reply(res, 403, { error: 'routes between nodes must carry the cluster secret (authorization: Bearer <clusterSecret>)' });
  }
  if (path === MAP_PATH) {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    let image;
    try {
      image = parseClusterMapImage(await readJson(req));
    } catch (error) {
      if (error instanceof TypeError) throw new InvalidRequestError(error.message);
      throw error;
    }
    node.mergeMap(image);
    return reply(res, 200, node.map.image());
  }
  if (path === REPLICAS_PATH) {
    if (method !== 'POST') return notAllowed(res, method, path, 'POST');
    const body = (await readJson(req)) as { shard?: unknown; members?: unknown } | null;
    const shard = body?.shard;
    const members = body?.members;
    if (typeof shard !== 'string' || !Array.isArray(members) || members.length === 0 || !members.every((member) => typeof member === 'string')) {
      throw new InvalidRequestError(`POST ${REPLICAS_PATH} takes {"shard": "<shard>", "members": ["<node>", ...]}`);
    }
    if (!node.config.shards.some((s) => s.id === shard)) return reply(res, 404, { error: unknownShard(node, shard) });
    return reply(res, 200, { shard, started: node.hostReplica(shard, members as string[]) === 'started' });
  }
  if (method !== 'DELETE') return notAllowed(res, method, path, 'DELETE');
  const shard = decodePathSegment(path.slice(REPLICAS_PATH.length + 1), 'the shard');
  return reply(res, 200, { shard, dropped: await node.dropReplica(shard) });
}

/** `{id, host, raftPort, httpPort}`: a node's addresses as an operator gives them. */
function parseNodeAddress(body: unknown): NodeAddress {
  const fields = ['id', 'host', 'raftPort', 'httpPort'];
  const usage = 'POST /admin/members takes {"id": "<node id>", "host": "<host>", "raftPort": <port>, "httpPort": <port>}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError(usage);
  const extra = Object.keys(body).filter((field) => !fields.includes(field));
  if (extra.length > 0) throw new InvalidRequestError(`${usage}; unknown field ${JSON.stringify(extra[0])}`);
  const { id, host, raftPort, httpPort } = body as Record<string, unknown>;
  if (!isId(id)) throw new InvalidRequestError(`${usage}; id must be letters, digits, - and _ (up to 64)`);
  if (typeof host !== 'string' || host.length === 0) throw new InvalidRequestError(`${usage}; host must be a non-empty string`);
  for (const [name, port] of [['raftPort', raftPort], ['httpPort', httpPort]] as const) {
    if (!isPort(port)) throw new InvalidRequestError(`${usage}; ${name} must be a port from 1 to 65535`);
  }
  if (raftPort === httpPort) throw new InvalidRequestError(`${usage}; raftPort and httpPort must differ`);
  return { id, host, raftPort: raftPort as number, httpPort: httpPort as number };
}

/** `?hops=N` of a request one node forwarded to another. */
function hopsOf(url: URL): number {
  const hops = wholeNumber(url.searchParams.get('hops') ?? '0');
  if (hops === undefined) throw new InvalidRequestError('hops must be a whole number >= 0');
  return hops;
}

/**
 * A query parameter's whole number, written in decimal digits only: Number() would also take
 * "0x10", "1e2", " 7 " and "" (as 0), and a request that meant something else must not be read
 * as one that means an index.
 */
function wholeNumber(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function answer(res: ServerResponse, { status, body }: AdminAnswer): void {
  reply(res, status, body);
}

/** The key from the raw URL (not the normalised pathname, which would fold "/kv/a/../b"). */
function decodeKey(rawUrl: string, path: string): string {
  const raw = rawUrl.split('?')[0]!;
  const encoded = raw.startsWith('/kv/') ? raw.slice(4) : path.slice(4);
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new InvalidRequestError(`the key ${JSON.stringify(encoded)} is not valid percent-encoding`);
  }
}

/** The most commands one request between nodes carries. */
const MAX_FORWARDED = 4096;

/** `{ commands: [{ shard, hops, command }] }` from another node, or `InvalidRequestError`. */
function parseForwarded(body: unknown): ForwardedCommand[] {
  const commands = (body as { commands?: unknown } | null)?.commands;
  if (typeof body !== 'object' || body === null || !Array.isArray(commands)) throw new InvalidRequestError('commands between nodes come as {"commands": [{"shard", "hops", "command"}]}');
  if (commands.length > MAX_FORWARDED) throw new InvalidRequestError(`at most ${MAX_FORWARDED} commands per request, not ${commands.length}`);
  return commands.map((item: unknown, i) => {
    const { shard, hops, command } = (item ?? {}) as { shard?: unknown; hops?: unknown; command?: unknown };
    if (typeof shard !== 'string') throw new InvalidRequestError(`commands[${i}].shard must be a shard id`);
    if (!Number.isSafeInteger(hops) || (hops as number) < 0) throw new InvalidRequestError(`commands[${i}].hops must be a whole number >= 0`);
    try {
      return { shard, hops: hops as number, command: parseShardCommand(command) };
    } catch (error) {
      throw new InvalidRequestError(`commands[${i}].command: ${(error as Error).message}`);
    }
  });
}

/** One forwarded command run on its shard's leader, answered as the route would answer it alone. */
async function runForwarded(node: ServedNode, { shard, hops, command }: ForwardedCommand): Promise<ForwardedOutcome> {
  if (!node.config.shards.some((s) => s.id === shard)) return { status: 404, body: { error: unknownShard(node, shard) } };
  const outcome = await node.runOn(shard, command, hops);
  return outcome.kind === 'error' ? { status: outcome.status, body: outcome.body } : { status: 200, body: { shard, result: outcome.result } };
}

const unknownShard = (node: ServedNode, shard: string) => `unknown shard ${JSON.stringify(shard)}; the shards are ${node.config.shards.map((s) => s.id).join(', ')}`;

function answerGet(res: ServerResponse, key: string, outcome: CommandOutcome<TxnResult>): void {
  if (outcome.kind === 'error') return reply(res, outcome.status, outcome.body);
  if (!outcome.result.committed) return reply(res, 409, { error: outcome.result.reason, key, shard: outcome.shard });
  const result = outcome.result.results[0];
  if (result?.op !== 'get') return reply(res, 500, { error: 'internal error: a get gave no result' });
  if (!result.found) return reply(res, 404, { error: 'key not found', key, shard: outcome.shard });
  reply(res, 200, { key, value: result.value, revision: result.revision, version: result.version, shard: outcome.shard });
}

function answerOne(res: ServerResponse, outcome: CommandOutcome<TxnResult>, shape: (result: OperationResult, shard: string, revision: number) => object): void {
  if (outcome.kind === 'error') return reply(res, outcome.status, outcome.body);
  if (!outcome.result.committed) return reply(res, 409, { error: outcome.result.reason, shard: outcome.shard });
  if (outcome.result.results[0] === undefined) return reply(res, 500, { error: 'internal error: a single operation gave no result' });
  reply(res, 200, shape(outcome.result.results[0], outcome.shard, outcome.result.revision));
}

function answerTxn(res: ServerResponse, outcome: TxnOutcome): void {
  if (outcome.kind === 'error') return reply(res, outcome.status, outcome.body);
  const where = outcome.kind === 'cross' ? { shards: outcome.shards } : { shard: outcome.shard };
  reply(res, outcome.result.committed ? 200 : 409, { ...outcome.result, ...where });
}

function answerApplied(node: ServedNode, res: ServerResponse, shard: string, at: string | null): void {
  if (!node.config.shards.some((s) => s.id === shard)) return reply(res, 404, { error: unknownShard(node, shard) });
  const replica = node.replica(shard);
  if (!replica) return reply(res, 404, { error: `node ${node.id} holds no replica of shard ${shard}` });
  const status = replica.status();
  const index = at === null ? status.appliedIndex : wholeNumber(at);
  if (index === undefined) throw new InvalidRequestError(`?at= takes a log index >= 0 in decimal digits, not ${JSON.stringify(at)}`);
  if (index > status.appliedIndex) return reply(res, 404, { error: `replica ${node.id}/${shard} has applied ${status.appliedIndex} entries, not ${index}`, appliedIndex: status.appliedIndex });
  reply(res, 200, {
    node: node.id,
    shard,
    appliedIndex: status.appliedIndex,
    at: index,
    logDigest: replica.appliedDigest(index),
    // The data's digest is of the current data, i.e. at appliedIndex.
    stateDigest: replica.state.digest(),
    revision: status.revision,
    keys: status.keys,
  });
}

/** Reads a JSON body of at most MAX_BODY_BYTES. */
function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(new InvalidRequestError(`the body is ${declared} bytes; the limit is ${MAX_BODY_BYTES} (and ${MAX_VALUE_BYTES} for a value)`, 413));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        reject(new InvalidRequestError(`the body is over ${MAX_BODY_BYTES} bytes, the limit`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      // Strict UTF-8, then JSON (http-json.ts): invalid bytes are refused, not stored as U+FFFD.
      try {
        resolve(decodeJsonBody(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
    // A client that went away mid-body is the client's doing: a 400, not an internal error logged as one.
    req.on('error', (error) => reject(bodyCutOff(error)));
  });
}

function notAllowed(res: ServerResponse, method: string, path: string, allowed: string): void {
  res.setHeader('allow', allowed);
  reply(res, 405, { error: `${method} is not allowed on ${path}; use ${allowed}` });
}

function reply(res: ServerResponse, status: number, body: object, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

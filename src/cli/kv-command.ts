import { readFileSync } from 'node:fs';
import { KvClient, readCaFile, TlsFileError } from '../service/index.ts';
import { UsageError } from './usage-error.ts';

export type KvAction = 'get' | 'put' | 'del' | 'txn' | 'status' | 'transfer' | 'member' | 'replica';
export const KV_ACTIONS: readonly KvAction[] = ['get', 'put', 'del', 'txn', 'status', 'transfer', 'member', 'replica'];

/** The membership commands: `kv member add|remove|list`, `kv replica add|remove|move`, with their arguments. */
const MEMBERSHIP_USAGE: Readonly<Record<string, string>> = {
  'member add': 'kv member add <node> <host> <raft-port> <http-port>',
  'member remove': 'kv member remove <node>',
  'member list': 'kv member list',
  'replica add': 'kv replica add <shard> <node>',
  'replica remove': 'kv replica remove <shard> <node>',
  'replica move': 'kv replica move <shard> <from-node> <to-node>',
};
const MEMBERSHIP_ARITY: Readonly<Record<string, number>> = { 'member add': 4, 'member remove': 1, 'member list': 0, 'replica add': 2, 'replica remove': 2, 'replica move': 3 };

export interface KvCommandOptions {
  readonly action: KvAction;
  readonly args: readonly string[];
  /** Any node's HTTP endpoint (http://127.0.0.1:PORT, or https://). */
  readonly endpoint: string;
  /** For an https:// endpoint: the file of the CA certificate that signed the nodes' certificates. */
  readonly ca?: string;
  /** The client token, for a cluster that requires one. */
  readonly token?: string;
}

/**
 * `unanimous kv get|put|del|txn|status|transfer --endpoint URL ...`: one request to the service, its JSON
 * answer printed. Exit status 0 for a 2xx answer, 1 for any other (key not found, transaction
 * aborted, no leader: the answer says which), 2 for bad arguments or an unreachable endpoint.
 */
export async function kvCommand(options: KvCommandOptions, out: (line: string) => void, note: (line: string) => void): Promise<number> {
  const { action, args } = options;
  const arity: Record<KvAction, [number, string]> = {
    get: [1, 'kv get <key>'],
    put: [2, 'kv put <key> <value>'],
    del: [1, 'kv del <key>'],
    txn: [1, `kv txn '<json>' (or @file, or - for stdin)`],
    status: [0, 'kv status'],
    transfer: [2, 'kv transfer <shard> <node>'],
    member: [0, ''],
    replica: [0, ''],
  };
  if (action === 'member' || action === 'replica') {
    const command = `${action} ${args[0] ?? ''}`;
    const usage = MEMBERSHIP_USAGE[command];
    if (usage === undefined) throw new UsageError(`usage: ${Object.keys(MEMBERSHIP_USAGE).filter((c) => c.startsWith(action)).map((c) => `unanimous ${MEMBERSHIP_USAGE[c]}`).join(' | ')}`);
    if (args.length - 1 !== MEMBERSHIP_ARITY[command]) throw new UsageError(`usage: unanimous ${usage} --endpoint URL`);
    if (command === 'member add') for (const port of args.slice(3)) if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`a port is a number from 1 to 65535, not "${port}"`);
  } else {
    const [count, usage] = arity[action];
    if (args.length !== count) throw new UsageError(`usage: unanimous ${usage} --endpoint URL`);
  }
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    throw new UsageError(`--endpoint takes a URL such as http://127.0.0.1:7000, not "${options.endpoint}"`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new UsageError(`--endpoint must be an http:// or https:// URL, not "${options.endpoint}"`);
  if (options.ca !== undefined && endpoint.protocol !== 'https:') throw new UsageError(`--ca is for an https:// endpoint; ${endpoint.origin} is plain HTTP`);
  if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token)) throw new UsageError('--token must be printable characters without spaces');
  let ca: string | undefined;
  try {
    ca = options.ca === undefined ? undefined : readCaFile(options.ca, '--ca');
  } catch (error) {
    if (error instanceof TlsFileError) throw new UsageError(error.message);
    throw error;
  }
  const client = new KvClient(endpoint.origin, { timeoutMs: 20_000, ...(ca !== undefined ? { ca } : {}), ...(options.token !== undefined ? { token: options.token } : {}) });
  let response;
  try {
    switch (action) {
      case 'get':
        response = await client.get(args[0]!);
        break;
      case 'put':
        response = await client.put(args[0]!, args[1]!);
        break;
      case 'del':
        response = await client.delete(args[0]!);
        break;
      case 'txn':
        response = await client.txn(readTxn(args[0]!));
        break;
      case 'status':
        response = await client.status();
        break;
      case 'transfer':
        response = await client.transferLeadership(args[0]!, args[1]!);
        break;
      case 'member':
        response = await member(client, args);
        break;
      case 'replica':
        response = await replica(client, args);
        break;
    }
  } catch (error) {
    // A certificate the client cannot verify is most often a missing or wrong --ca.
    const hint = endpoint.protocol === 'https:' && /certificate|self[- ]signed|verify/i.test((error as Error).message) ? ` (is --ca the CA that signed the nodes' certificates? serve --tls prints its path)` : '';
    throw new UsageError(`${endpoint.origin}: ${(error as Error).message}${hint}`);
  }
  const text = JSON.stringify(response.body, null, 2);
  if (response.status >= 200 && response.status < 300) {
    out(text);
    return 0;
  }
  note(`${response.status}: ${text}`);
  return 1;
}

function member(client: KvClient, [command, ...args]: readonly string[]) {
  if (command === 'list') return client.members();
  if (command === 'remove') return client.removeMember(args[0]!);
  return client.addMember({ id: args[0]!, host: args[1]!, raftPort: Number(args[2]), httpPort: Number(args[3]) });
}

/**
 * A replica added or removed; a move adds on the new node, then removes from the old, so that the
 * group never has fewer replicas than before. A move whose add failed changes nothing; one whose
 * remove failed leaves the group one larger, and says so.
 */
async function replica(client: KvClient, [command, shard, ...nodes]: readonly string[]) {
  if (command === 'add') return client.changeReplicas(shard!, { add: nodes[0]! });
  if (command === 'remove') return client.changeReplicas(shard!, { remove: nodes[0]! });
  const [from, to] = nodes as [string, string];
  const added = await client.changeReplicas(shard!, { add: to });
  if (added.status !== 200) return added;
  const removed = await client.changeReplicas(shard!, { remove: from });
  if (removed.status !== 200) {
    const body = removed.body as { error?: string };
    return { status: removed.status, body: { ...body, error: `${to} was added to ${shard}, but ${from} was not removed: ${body.error ?? 'no reason given'}; retry with kv replica remove ${shard} ${from}` } };
  }
  return { status: 200, body: { shard, moved: { from, to }, ...(removed.body as object) } };
}

/** A transaction given inline, as @file, or as - (standard input). */
function readTxn(arg: string): unknown {
  let text = arg;
  try {
    if (arg === '-') text = readFileSync(0, 'utf8');
    else if (arg.startsWith('@')) text = readFileSync(arg.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${arg}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the transaction is not JSON: ${(error as Error).message}`);
  }
}

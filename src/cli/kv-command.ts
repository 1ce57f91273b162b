import { readFileSync } from 'node:fs';
import { KvClient, readCaFile, TlsFileError } from '../service/index.ts';
import { UsageError } from './usage-error.ts';

export type KvAction = 'get' | 'put' | 'del' | 'txn' | 'status' | 'transfer';
export const KV_ACTIONS: readonly KvAction[] = ['get', 'put', 'del', 'txn', 'status', 'transfer'];

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
  };
  const [count, usage] = arity[action];
  if (args.length !== count) throw new UsageError(`usage: unanimous ${usage} --endpoint URL`);
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

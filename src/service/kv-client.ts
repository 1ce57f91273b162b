import type { Agent } from 'node:http';
import { type JsonResponse, keepAliveAgent, requestJson } from './http-json.ts';

export interface KvClientOptions {
  readonly timeoutMs?: number;
  readonly agent?: Agent;
  /** For an https:// endpoint: the CA certificate(s), PEM, that signed the nodes' certificates (a cluster's own CA). */
  readonly ca?: string | Buffer;
  /** The client token of a cluster that requires one, sent as `authorization: Bearer <token>`. */
  readonly token?: string;
}

/**
 * A client of the service's HTTP API (used by `unanimous kv`, the tests and the benchmark). It talks
 * to one node; any node will do, since nodes forward to the leader of a key's shard. Answers come
 * back as they are, status and JSON body, for the caller to judge. An https:// endpoint is spoken
 * to over TLS, its certificate checked against `ca` (else the system's roots).
 */
export class KvClient {
  readonly endpoint: string;

  constructor(
    endpoint: string,
    private readonly options: KvClientOptions = {},
  ) {
    this.endpoint = endpoint.replace(/\/+$/, '');
  }

  /** A client with its own keep-alive connections (HTTPS ones for an https:// endpoint). */
  static keepAlive(endpoint: string, maxSockets = 256, timeoutMs = 15_000, security: { readonly ca?: string | Buffer; readonly token?: string } = {}): KvClient {
    const agent = keepAliveAgent(maxSockets, endpoint.startsWith('https:') ? { ...(security.ca !== undefined ? { ca: security.ca } : {}) } : undefined);
    return new KvClient(endpoint, { agent, timeoutMs, ...security });
  }

  get(key: string): Promise<JsonResponse> {
    return this.call('GET', `/kv/${encodeURIComponent(key)}`);
  }

  put(key: string, value: string): Promise<JsonResponse> {
    return this.call('PUT', `/kv/${encodeURIComponent(key)}`, { value });
  }

  delete(key: string): Promise<JsonResponse> {
    return this.call('DELETE', `/kv/${encodeURIComponent(key)}`);
  }

  /** A transaction: `{ compare: [...], ops: [...] }` (see src/service/txn.ts). */
  txn(txn: unknown): Promise<JsonResponse> {
    return this.call('POST', '/txn', txn);
  }

  /** Moves `shard`'s leadership to node `to` (Raft's leadership transfer); any node takes the request. */
  transferLeadership(shard: string, to: string): Promise<JsonResponse> {
    return this.call('POST', `/admin/shards/${encodeURIComponent(shard)}/transfer`, { to });
  }

  /** The cluster's nodes, removed nodes and every shard's replicas. */
  members(): Promise<JsonResponse> {
    return this.call('GET', '/admin/members');
  }

  /** A new node joins the cluster (it holds nothing until replicas are added on it). */
  addMember(node: { readonly id: string; readonly host: string; readonly raftPort: number; readonly httpPort: number }): Promise<JsonResponse> {
    return this.call('POST', '/admin/members', node);
  }

  /** A node that holds no replica leaves the cluster. */
  removeMember(id: string): Promise<JsonResponse> {
    return this.call('DELETE', `/admin/members/${encodeURIComponent(id)}`);
  }

  /** Adds (or removes) `shard`'s replica on `node`: a single-server change of the shard's Raft group. */
  changeReplicas(shard: string, change: { readonly add: string } | { readonly remove: string }): Promise<JsonResponse> {
    return this.call('POST', `/admin/shards/${encodeURIComponent(shard)}/replicas`, change);
  }

  status(local = false): Promise<JsonResponse> {
    return this.call('GET', local ? '/status?local=1' : '/status');
  }

  close(): void {
    this.options.agent?.destroy();
  }

  private call(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    return requestJson(`${this.endpoint}${path}`, {
      method,
      ...(body !== undefined ? { body } : {}),
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.agent ? { agent: this.options.agent } : {}),
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
      ...(this.options.token !== undefined ? { headers: { authorization: `Bearer ${this.options.token}` } } : {}),
    });
  }
}

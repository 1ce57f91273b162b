/**
 * `unanimous/service`: a client of the transactional key-value service's HTTP API, and the shapes
 * of what it sends and gets back. The service itself (nodes, shards, the cluster launcher) is run
 * with `unanimous serve` or `unanimous node`, not embedded: only the client is public.
 *
 * Answers come back as `{ status, body }` for the caller to judge: 200 with the result, 409 with
 * `{ error }` when a transaction's compare failed, 404 for a key not found, 4xx with `{ error }`
 * for a request the service refuses.
 */
export { KvClient } from './kv-client.ts';
export type { KvClientOptions } from './kv-client.ts';
export type { JsonResponse } from './http-json.ts';
export { MAX_KEY_BYTES, MAX_TXN_PARTS, MAX_VALUE_BYTES } from './txn.ts';
export type { Compare, CompareOp, Operation, OperationResult, Txn, TxnResult } from './txn.ts';
export type { ClusterStatus, NodeStatus } from './served-node.ts';
export type { ReplicaStatus } from './shard-replica.ts';

/**
 * The service layer's surface for the rest of the repository: the CLI (`unanimous serve`, `node`,
 * `kv`), the nemesis, the models that check the service's own cross-shard code, and the benches
 * import it from here, never a file of this folder directly. The package's `unanimous/service`
 * entry is narrower — the client only (./package-entry.ts).
 */
export * from './package-entry.ts';
export { checkClientToken, ConfigError, type NodeAddress, readClusterConfig } from './cluster-config.ts';
export { readCaFile, TlsFileError } from './tls-files.ts';
export { KvNode } from './kv-node.ts';
export { LocalCluster } from './local-cluster.ts';
export { HashRing } from './hash-ring.ts';
export { keepAliveAgent, requestJson } from './http-json.ts';
export { crossShardCommit, type CommitMessage, type CrossShardCommitConfig } from './cross-shard-commit.ts';
export { splitByShard } from './cross-shard-coordinator.ts';
export { type ShardImage, ShardState } from './shard-state.ts';
export { txnMemoryPruning, type TxnMemoryPruningConfig } from './txn-memory-pruning.ts';
export { KvState } from './kv-state.ts';
export type { CommandResults, ShardCommand } from './shard-command.ts';
export { parseTxn } from './txn.ts';

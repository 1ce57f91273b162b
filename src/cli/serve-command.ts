import { untilStopped } from './until-stopped.ts';
import { checkClientToken, ConfigError, LocalCluster } from '../service/index.ts';
import { UsageError } from './usage-error.ts';

export interface ServeCommandOptions {
  readonly nodes: number;
  readonly shards: number;
  /** The data folder; a fresh temp folder when absent. */
  readonly data?: string;
  /** The first HTTP port (0: free ports). */
  readonly port: number;
  /** TLS on every link, with a throwaway CA made under the data folder. */
  readonly tls?: boolean;
  /** The client token every request must carry. */
  readonly token?: string;
}

/**
 * `unanimous serve`: the embedded default — a local cluster of node processes on 127.0.0.1 with
 * data under a folder. Prints the endpoints and each shard's leader, then serves until SIGINT or
 * SIGTERM, when it stops every node (SIGTERM, then SIGKILL after a grace period) and exits 0.
 * With TLS it prints where the CA certificate is, for clients to trust (`kv --ca`).
 */
export async function serveCommand(options: ServeCommandOptions, out: (line: string) => void, note: (line: string) => void): Promise<number> {
  if (options.token !== undefined) {
    try {
      checkClientToken(options.token, '--token');
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
  }
  let stopping = false;
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const cluster = await LocalCluster.start({
    nodes: options.nodes,
    shards: options.shards,
    ...(options.data !== undefined ? { dataDir: options.data } : {}),
    port: options.port,
    ...(options.tls ? { tls: true } : {}),
    ...(options.token !== undefined ? { clientToken: options.token } : {}),
    onUnexpectedExit: (node, how) => {
      if (!stopping) note(`node ${node} exited (${how}); the others serve on while each shard keeps a majority`);
    },
  });
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
  if (!interrupted) {
    const status = await cluster.status();
    out(`unanimous serve: ${options.nodes} node${options.nodes === 1 ? '' : 's'}, ${options.shards} shard${options.shards === 1 ? '' : 's'}, data in ${cluster.dataDir}`);
    for (const node of status.nodes) out(`  ${node.id}  ${node.http}  (raft ${node.raft}, log ${cluster.dataDir}/${node.id}.log)`);
    for (const shard of status.shards) out(`  shard ${shard.id}: replicas ${shard.replicas.join(', ')}; leader ${shard.leader} (term ${shard.term})`);
    if (cluster.caFile !== undefined) out(`TLS on every link; the CA certificate: ${cluster.caFile} (unanimous kv --ca ${cluster.caFile}, curl --cacert)`);
    if (options.token !== undefined) out('every client request must carry the token: unanimous kv --token TOKEN (or UNANIMOUS_TOKEN)');
    const curl = ['curl', ...(cluster.caFile !== undefined ? [`--cacert ${cluster.caFile}`] : []), ...(options.token !== undefined ? ['-H "authorization: Bearer $UNANIMOUS_TOKEN"'] : [])].join(' ');
    out(`try: ${curl} -X PUT ${cluster.endpoints[0]}/kv/hello -d '{"value":"world"}'; ${curl} ${cluster.endpoints[0]}/kv/hello`);
    out('Ctrl-C stops every node.');
    await untilStopped();
  }
  stopping = true;
  await cluster.stop();
  note('every node stopped');
  return 0;
}

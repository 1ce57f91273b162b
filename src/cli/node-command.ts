import { untilStopped } from './until-stopped.ts';
import { ConfigError, KvNode, readClusterConfig } from '../service/index.ts';
import { UsageError } from './usage-error.ts';

export interface NodeCommandOptions {
  /** The node's configuration file (see src/service/cluster-config.ts). */
  readonly config: string;
  /**
   * Stop when standard input closes: a parent that spawned the node with a pipe on stdin (as
   * `unanimous serve` and the tests do) takes its nodes down with it even if it is killed -9.
   */
  readonly stopOnStdinClose: boolean;
}

/**
 * `unanimous node --config FILE`: runs one node of the key-value service until SIGINT or SIGTERM,
 * then stops cleanly (its replicas commit what they hold). Prints one line when it serves.
 */
export async function nodeCommand(options: NodeCommandOptions, out: (line: string) => void): Promise<number> {
  let config;
  try {
    config = readClusterConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${options.config}: ${error.message}`);
    throw error;
  }
  let node: KvNode;
  try {
    node = await KvNode.start(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new UsageError(`node ${config.self}: cannot listen (${(error as Error).message})`);
    throw error;
  }
  const self = config.nodes.find((n) => n.id === config.self)!;
  out(`node ${config.self} serving ${node.endpoint} (raft ${self.host}:${self.raftPort}, shards ${config.shards.filter((s) => s.replicas.includes(config.self)).map((s) => s.id).join(',')}, data ${config.dataDir})`);
  await untilStopped({ stdinClose: options.stopOnStdinClose === true });
  await node.stop();
  if (options.stopOnStdinClose) process.stdin.destroy();
  return 0;
}

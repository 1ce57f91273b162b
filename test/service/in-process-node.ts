import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/runtime/logger.ts';
import { type ClusterConfig, placeShards } from '../../src/service/cluster-config.ts';
import { DEFAULT_VIRTUAL_NODES } from '../../src/service/hash-ring.ts';
import { KvNode } from '../../src/service/kv-node.ts';
import { waitFor } from '../runtime/helpers.ts';

/** Ports the OS has just handed out (and taken back): free for the node to bind at once. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface InProcessNode {
  readonly node: KvNode;
  readonly config: ClusterConfig;
  readonly endpoint: string;
  readonly httpPort: number;
  /** Stops the node and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * A one-node cluster of the service in this process (KvNode on 127.0.0.1, data in a temp folder):
 * every shard is a Raft group of one replica, which elects itself within a short timeout. Much
 * cheaper than node processes, and the same HTTP API and shard code path. Resolves once every
 * shard's replica leads.
 */
export async function startInProcessNode(options: { readonly shards?: number; readonly logger?: Logger } = {}): Promise<InProcessNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unanimous-in-process-'));
  const [httpPort, raftPort] = (await freePorts(2)) as [number, number];
  const config: ClusterConfig = {
    self: 'n1',
    dataDir,
    clusterSecret: randomBytes(24).toString('hex'),
    nodes: [{ id: 'n1', host: '127.0.0.1', httpPort, raftPort }],
    shards: placeShards(['n1'], options.shards ?? 2),
    virtualNodes: DEFAULT_VIRTUAL_NODES,
    // A lone replica has nobody to hear from: elect it quickly.
    timers: { electionTimeout: { min: 50, max: 100 }, heartbeatTimeout: 25 },
  };
  let node: KvNode;
  try {
    node = await KvNode.start(config, options.logger ? { logger: options.logger } : {});
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor('every shard to elect its replica', () => config.shards.every((shard) => node.replica(shard.id)?.isLeader() === true), 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { node, config, endpoint: node.endpoint, httpPort, stop };
}

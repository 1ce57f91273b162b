import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterConfig, placeShards } from '../../src/service/cluster-config.ts';
import { DEFAULT_VIRTUAL_NODES } from '../../src/service/hash-ring.ts';
import { KvNode } from '../../src/service/kv-node.ts';
import { recordingLogger, waitFor } from '../runtime/helpers.ts';

export interface SecuredNode {
  readonly node: KvNode;
  readonly config: ClusterConfig;
  readonly endpoint: string;
  readonly httpPort: number;
  /** Stops the node and removes its data folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A one-node cluster in this process (KvNode on 127.0.0.1, one shard, data in a temp folder) with
 * the security settings of `extra` (clientToken, limits, tls): the HTTP API's gates and limits are
 * the same code in one node as in many, at a fraction of a cluster's start-up. Resolves once the
 * shard's replica leads.
 */
export async function startSecuredNode(extra: Pick<Partial<ClusterConfig>, 'clientToken' | 'limits' | 'tls'>): Promise<SecuredNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'unanimous-secured-'));
  const [httpPort, raftPort] = [await freePort(), await freePort()];
  const config: ClusterConfig = {
    self: 'n1',
    dataDir,
    clusterSecret: randomBytes(24).toString('hex'),
    nodes: [{ id: 'n1', host: '127.0.0.1', httpPort, raftPort }],
    shards: placeShards(['n1'], 1),
    virtualNodes: DEFAULT_VIRTUAL_NODES,
    // A lone replica has nobody to hear from: elect it quickly.
    timers: { electionTimeout: { min: 50, max: 100 }, heartbeatTimeout: 25 },
    ...extra,
  };
  const node = await KvNode.start(config, { logger: recordingLogger() });
  const stop = async () => {
    await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor('the replica to lead', () => node.replica('s0')?.isLeader() === true, 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { node, config, endpoint: node.endpoint, httpPort, stop };
}

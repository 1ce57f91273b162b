import { describe, expect, it } from 'vitest';
import { ConfigError, parseClusterConfig, placeShards } from '../../src/service/cluster-config.ts';
import { validateRaftMessage } from '../../src/protocols/raft/index.ts';
import { ShardMux } from '../../src/service/shard-mux.ts';

const node = (id: string, port: number) => ({ id, host: '127.0.0.1', raftPort: port, httpPort: port + 1 });
const valid = { self: 'n1', dataDir: '/tmp/x', clusterSecret: 'a-secret-of-16-chars', nodes: [node('n1', 7000), node('n2', 7002)], shards: [{ id: 's0', replicas: ['n1', 'n2'] }] };

describe('cluster configuration', () => {
  it('reads a valid configuration, with 128 virtual nodes by default', () => {
    expect(parseClusterConfig(valid)).toEqual({ ...valid, virtualNodes: 128 });
  });

  it('names the field that is wrong', () => {
    const refusal = (change: object) => {
      try {
        parseClusterConfig({ ...valid, ...change });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ nodes: [] })).toBe('nodes: at least one node');
    expect(refusal({ clusterSecret: 'short' })).toBe('clusterSecret must be a string of at least 16 printable characters, the same on every node (it authenticates commands between nodes)');
    expect(refusal({ nodes: [node('n1', 7000), node('n1', 7002)] })).toBe('nodes: node ids: "n1" appears twice');
    expect(refusal({ nodes: [{ ...node('n1', 7000), raftPort: 70000 }, node('n2', 1)] })).toBe('nodes[0].raftPort must be a port from 1 to 65535, not 70000');
    expect(refusal({ shards: [{ id: 's0', replicas: ['n1', 'n7'] }] })).toBe('shards[0].replicas: "n7" is not a node');
    expect(refusal({ self: 'n3' })).toBe('self: "n3" is not one of the nodes (n1, n2)');
    expect(refusal({ dataDir: '' })).toBe('dataDir must be a non-empty string');
    expect(refusal({ shards: [{ id: 'a b', replicas: ['n1'] }] })).toContain('shards[0].id must be an id');
    expect(refusal({ compactEvery: 0 })).toBe('compactEvery must be a whole number >= 1 (entries applied between snapshots), not 0');
    expect(refusal({ compactEvery: '100' })).toBe('compactEvery must be a whole number >= 1 (entries applied between snapshots), not "100"');
    expect(refusal({ compactevery: 500 })).toBe('the configuration: unknown field "compactevery"; the fields are self, dataDir, clusterSecret, nodes, shards, virtualNodes, join, timers, tls, clientToken, limits, compactEvery, compactBytes, leaderPlacement, dialAddresses, unsafeForTesting, slowDiskForTesting');
    expect(refusal({ nodes: [{ ...node('n1', 7000), zone: 'a' }, node('n2', 7002)] })).toBe('nodes[0]: unknown field "zone"; the fields are id, host, raftPort, httpPort');
    expect(refusal({ shards: [{ id: 's0', replicas: ['n1'], leader: 'n1' }] })).toBe('shards[0]: unknown field "leader"; the fields are id, replicas');
    expect(refusal({ join: 'yes' })).toBe('join must be true or false, not "yes"');
    expect(refusal({ compactBytes: 1.5 })).toBe('compactBytes must be a whole number >= 1 (bytes of entries applied between snapshots), not 1.5');
  });

  it('takes the compaction threshold of the shard replicas', () => {
    expect(parseClusterConfig({ ...valid, compactEvery: 500 }).compactEvery).toBe(500);
    expect(parseClusterConfig({ ...valid, compactBytes: 1 << 20 }).compactBytes).toBe(1 << 20);
  });

  it('places shard i on nodes i, i+1, i+2: with three nodes each holds a replica of every shard', () => {
    expect(placeShards(['n1', 'n2', 'n3'], 3)).toEqual([
      { id: 's0', replicas: ['n1', 'n2', 'n3'] },
      { id: 's1', replicas: ['n2', 'n3', 'n1'] },
      { id: 's2', replicas: ['n3', 'n1', 'n2'] },
    ]);
    expect(placeShards(['n1', 'n2', 'n3', 'n4', 'n5'], 2)).toEqual([
      { id: 's0', replicas: ['n1', 'n2', 'n3'] },
      { id: 's1', replicas: ['n2', 'n3', 'n4'] },
    ]);
    expect(placeShards(['n1'], 1)).toEqual([{ id: 's0', replicas: ['n1'] }]);
  });
});

describe('frames between nodes', () => {
  const validate = ShardMux.validator(['s0', 's1'], validateRaftMessage);
  it('must name one of the node\'s shards and be a well-formed Raft message', () => {
    expect(validate({ type: 'RequestVote', shard: 's0', term: 1, candidateId: 'n1', lastLogIndex: 0, lastLogTerm: 0 })).toBe(true);
    expect(validate({ type: 'RequestVote', shard: 's7', term: 1, candidateId: 'n1', lastLogIndex: 0, lastLogTerm: 0 })).toBe('"shard" must name one of this node\'s shards (s0, s1)');
    expect(validate({ type: 'AppendEntries', shard: 's1', term: 1, leaderId: 'n1', prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, entries: [{ term: 'x' }] })).toBe(
      'needs leaderId, prevLogIndex, prevLogTerm, leaderCommit and well-formed entries',
    );
    expect(validate({ type: 'Gossip', shard: 's1', term: 1 })).toBe('not a Raft message type: "Gossip"');
  });
});

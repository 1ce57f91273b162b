import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterMap, type ClusterMapImage, parseClusterMapImage } from '../../src/service/cluster-map.ts';

const config = {
  nodes: [
    { id: 'n1', host: '127.0.0.1', raftPort: 7101, httpPort: 7001 },
    { id: 'n2', host: '127.0.0.1', raftPort: 7102, httpPort: 7002 },
  ],
  shards: [
    { id: 's0', replicas: ['n1', 'n2'] },
    { id: 's1', replicas: ['n2', 'n1'] },
  ],
};

/** What nodes may say: n3 joined, n1 or n3 removed, shard configurations at some index (the same members per index, as one log has). */
const update = fc.oneof(
  fc.constant<ClusterMapImage>({ nodes: [{ id: 'n3', host: '127.0.0.1', raftPort: 7103, httpPort: 7003 }], shards: [] }),
  fc.constantFrom('n1', 'n3').map<ClusterMapImage>((id) => ({ nodes: [{ id, host: '127.0.0.1', raftPort: 7100 + Number(id[1]), httpPort: 7000 + Number(id[1]), removed: true }], shards: [] })),
  fc.record({ shard: fc.constantFrom('s0', 's1'), index: fc.integer({ min: 1, max: 5 }) }).map<ClusterMapImage>(({ shard, index }) => ({
    nodes: [],
    shards: [{ id: shard, replicas: index % 2 === 0 ? ['n2', 'n3'] : ['n1', 'n2', 'n3'], index }],
  })),
);

const mapAfter = (updates: readonly ClusterMapImage[]): ClusterMapImage => {
  const map = ClusterMap.fromConfig(config);
  for (const image of updates) map.merge(image);
  const image = map.image();
  return { nodes: [...image.nodes].sort((a, b) => a.id.localeCompare(b.id)), shards: [...image.shards].sort((a, b) => a.id.localeCompare(b.id)) };
};

describe('the cluster map', () => {
  it('merges as a join: in any order, any number of times, every node ends with the same map', () => {
    fc.assert(
      fc.property(fc.array(update, { maxLength: 12 }), fc.integer({ min: 0, max: 1000 }), (updates, seed) => {
        const shuffled = [...updates, ...updates.slice(0, seed % (updates.length + 1))].sort((a, b) => (JSON.stringify(a) + seed).localeCompare(JSON.stringify(b) + seed));
        expect(mapAfter(shuffled)).toEqual(mapAfter(updates));
      }),
    );
  });

  it('keeps a removed node removed and a shard at its latest configuration', () => {
    const map = ClusterMap.fromConfig(config);
    const changes = map.merge({ nodes: [{ ...config.nodes[0]!, removed: true }], shards: [{ id: 's0', replicas: ['n2', 'n3'], index: 7 }] });
    expect(changes).toEqual({ changed: true, joined: [], left: ['n1'] });
    expect(map.merge({ nodes: [config.nodes[0]!], shards: [{ id: 's0', replicas: ['n1', 'n2'], index: 3 }] }).changed).toBe(false);
    expect([map.node('n1'), map.wasRemoved('n1'), map.liveNodes().map((node) => node.id)]).toEqual([undefined, true, ['n2']]);
    expect(map.shard('s0')).toEqual({ id: 's0', replicas: ['n2', 'n3'], index: 7 });
    expect(map.shardsOn('n1')).toEqual(['s1']);
    // A shard the cluster does not have is not taken.
    expect(map.merge({ nodes: [], shards: [{ id: 's9', replicas: ['n2'], index: 1 }] }).changed).toBe(false);
  });

  it('refuses a malformed image naming what is wrong', () => {
    expect(() => parseClusterMapImage({ nodes: [] })).toThrow('a cluster map is {nodes: [...], shards: [...]}');
    expect(() => parseClusterMapImage({ nodes: [{ id: 'n1', host: 'h', raftPort: 0, httpPort: 1 }], shards: [] })).toThrow('nodes[0] must be');
    expect(() => parseClusterMapImage({ nodes: [], shards: [{ id: 's0', replicas: ['n 1'], index: 1 }] })).toThrow('shards[0] must be');
    expect(parseClusterMapImage({ nodes: [{ id: 'n1', host: 'h', raftPort: 1, httpPort: 2, removed: true }], shards: [] }).nodes[0]).toEqual({ id: 'n1', host: 'h', raftPort: 1, httpPort: 2, removed: true });
  });
});

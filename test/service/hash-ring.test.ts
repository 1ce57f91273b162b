import { describe, expect, it } from 'vitest';
import { HashRing } from '../../src/service/hash-ring.ts';

const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);

describe('HashRing (consistent hashing with virtual nodes)', () => {
  it('places every key on the same shard whatever the order the shards are listed in', () => {
    const a = new HashRing(['s0', 's1', 's2']);
    const b = new HashRing(['s2', 's0', 's1']);
    expect(keys.map((key) => b.shardOf(key))).toEqual(keys.map((key) => a.shardOf(key)));
  });

  it('spreads keys evenly: with 128 points per shard, each of 3 shards gets within 20% of a third', () => {
    const ring = new HashRing(['s0', 's1', 's2']);
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(ring.shardOf(key), (counts.get(ring.shardOf(key)) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(['s0', 's1', 's2']);
    for (const count of counts.values()) expect(Math.abs(count - keys.length / 3)).toBeLessThan((0.2 * keys.length) / 3);
  });

  it('moves only the keys of the new shard when a shard is added (no key moves between old shards)', () => {
    const before = new HashRing(['s0', 's1', 's2']);
    const after = new HashRing(['s0', 's1', 's2', 's3']);
    let moved = 0;
    for (const key of keys) {
      const from = before.shardOf(key);
      const to = after.shardOf(key);
      if (from !== to) {
        if (to !== 's3') throw new Error(`${key} moved from ${from} to ${to}, an old shard`);
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(keys.length * 0.15);
    expect(moved).toBeLessThan(keys.length * 0.35);
  });

  it('refuses no shards, repeated shards and a bad number of virtual nodes', () => {
    expect(() => new HashRing([])).toThrow('at least one shard');
    expect(() => new HashRing(['s0', 's0'])).toThrow('distinct');
    expect(() => new HashRing(['s0'], 0)).toThrow('virtual nodes');
  });
});

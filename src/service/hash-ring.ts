import { createHash } from 'node:crypto';

/** Points each shard gets on the ring unless told otherwise. */
export const DEFAULT_VIRTUAL_NODES = 128;

/**
 * Consistent hashing (Karger et al., "Consistent Hashing and Random Trees", STOC 1997) with
 * virtual nodes, as Dynamo and Cassandra place keys: every shard owns `virtualNodes` points on a
 * ring of 2^32 positions, and a key belongs to the shard owning the first point at or after the
 * key's own position (wrapping around). Adding or removing a shard moves only the keys of the arcs
 * it gains or loses; many points per shard even out the arcs' lengths.
 *
 * Deterministic: positions come from SHA-1 of the text, so every node and every client computes the
 * same placement from the same list of shards, in any order.
 */
export class HashRing {
  /** Ring positions, ascending, with the shard owning each. */
  private readonly positions: Uint32Array;
  private readonly owners: string[];

  constructor(
    readonly shards: readonly string[],
    readonly virtualNodes: number = DEFAULT_VIRTUAL_NODES,
  ) {
    if (shards.length === 0) throw new Error('a hash ring needs at least one shard');
    if (new Set(shards).size !== shards.length) throw new Error(`a hash ring's shards must be distinct: ${shards.join(', ')}`);
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1) throw new Error(`virtual nodes per shard must be a whole number >= 1, not ${virtualNodes}`);
    const points: { position: number; shard: string }[] = [];
    for (const shard of shards) {
      for (let i = 0; i < virtualNodes; i++) points.push({ position: ringPosition(`${shard}#${i}`), shard });
    }
    // Ties (two points on one position) are broken by shard name, so the order of `shards` never matters.
    points.sort((a, b) => a.position - b.position || (a.shard < b.shard ? -1 : a.shard > b.shard ? 1 : 0));
    this.positions = Uint32Array.from(points.map((point) => point.position));
    this.owners = points.map((point) => point.shard);
  }

  /** The shard a key lives on. */
  shardOf(key: string): string {
    const position = ringPosition(key);
    // The first point at or after the key's position (binary search), wrapping to the first point.
    let low = 0;
    let high = this.positions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.positions[middle]! < position) low = middle + 1;
      else high = middle;
    }
    return this.owners[low === this.positions.length ? 0 : low]!;
  }
}

/** A text's position on the ring: the first 32 bits of its SHA-1. */
export function ringPosition(text: string): number {
  return createHash('sha1').update(text, 'utf8').digest().readUInt32BE(0);
}

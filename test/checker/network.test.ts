import { describe, expect, it } from 'vitest';
import { Envelopes } from '../../src/checker/envelopes.ts';
import { networkCodec } from '../../src/checker/network.ts';
import type { NetworkSemantics } from '../../src/checker/model.ts';

const NODES = ['a', 'b', 'c'] as const;
type Node = (typeof NODES)[number];
const nodeIndex = new Map<string, number>(NODES.map((node, i) => [node, i]));

/** Words in front of the network segment, as the node states are in a global state. */
const PREFIX = [-9, -8, -7];
const START = PREFIX.length;

function fixture(semantics: NetworkSemantics) {
  const envelopes = new Envelopes(nodeIndex);
  const codec = networkCodec(semantics, envelopes, NODES.length);
  const message = (from: Node, to: Node, n: number) => envelopes.intern(nodeIndex.get(from)!, to, { type: 'M', n }, from);

  /** Applies `write` to `state`'s network segment into a garbage-filled buffer; returns the new global state. */
  const write = (state: Int32Array, { sends = [] as number[], remove = -1, duplicate = -1 } = {}): Int32Array => {
    const out = new Int32Array(4096).fill(0x5a5a5a5a);
    out.set(PREFIX);
    const end = codec.write(state, START, state.length, remove, duplicate, Int32Array.from(sends), out, START);
    expect(Array.from(out.subarray(0, START))).toEqual(PREFIX);
    return out.slice(0, end);
  };
  const empty = Int32Array.from(PREFIX);
  const network = (...sends: number[]) => write(empty, { sends });
  const segment = (state: Int32Array) => Array.from(state.subarray(START));
  const contents = (state: Int32Array) => codec.contents(state, START, state.length);
  const pairs = (count: (state: Int32Array, start: number, end: number, out: Int32Array) => number, state: Int32Array) => {
    const out = new Int32Array(4096);
    const n = count.call(codec, state, START, state.length, out);
    return Array.from({ length: n }, (_, i) => [out[i * 2]!, out[i * 2 + 1]!] as [number, number]);
  };
  const deliverable = (state: Int32Array) => pairs(codec.deliverable, state);
  const faultTargets = (state: Int32Array) => pairs(codec.faultTargets, state);
  const absorbs = (state: Int32Array, ...sends: number[]) => codec.absorbs(state, START, state.length, Int32Array.from(sends));
  return { envelopes, codec, message, write, empty, network, segment, contents, deliverable, faultTargets, absorbs };
}

/** Sorted copy, for comparing contents as multisets. */
const sorted = (ids: readonly number[]) => [...ids].sort((x, y) => x - y);

describe('networkCodec', () => {
  describe('every semantics', () => {
    it.each(['set', 'multiset', 'fifo'] as const)('%s: an empty network is empty and delivers nothing', (semantics) => {
      const f = fixture(semantics);
      const state = f.network();
      expect(f.segment(state)).toEqual([]);
      expect(f.contents(state)).toEqual([]);
      expect(f.deliverable(state)).toEqual([]);
      expect(f.faultTargets(state)).toEqual([]);
      expect(f.absorbs(state)).toBe(true);
    });

    it.each(['set', 'multiset', 'fifo'] as const)('%s: reads back the messages sent into an empty network', (semantics) => {
      const f = fixture(semantics);
      const ids = [f.message('a', 'b', 1), f.message('c', 'a', 2), f.message('b', 'c', 3)];
      expect(sorted(f.contents(f.network(...ids)))).toEqual(sorted(ids));
    });

    it.each(['set', 'multiset', 'fifo'] as const)('%s: a write of nothing leaves the network word for word as it was', (semantics) => {
      const f = fixture(semantics);
      const state = f.network(f.message('a', 'b', 1), f.message('b', 'a', 2), f.message('a', 'b', 3));
      expect(f.segment(f.write(state))).toEqual(f.segment(state));
    });

    it.each(['set', 'multiset', 'fifo'] as const)('%s: positions are relative to the start of the network segment', (semantics) => {
      const f = fixture(semantics);
      const state = f.network(f.message('a', 'b', 1), f.message('b', 'c', 2));
      for (const [id, position] of f.deliverable(state)) {
        if (position >= 0) expect(state[START + position]).toBe(id);
      }
    });
  });

  describe("'set': unordered, never consumed", () => {
    const many = () => {
      const f = fixture('set');
      const ids = Array.from({ length: 70 }, (_, n) => f.message('a', 'b', n));
      expect(ids).toEqual(Array.from({ length: 70 }, (_, n) => n));
      return f;
    };

    it('does not consume on delivery and has no fault targets', () => {
      const f = many();
      expect(f.codec.consumes).toBe(false);
      expect(f.faultTargets(f.network(1, 2, 3))).toEqual([]);
    });

    it('holds each message once, however often it was sent', () => {
      const f = many();
      expect(f.contents(f.network(4, 4, 9, 4))).toEqual([4, 9]);
      expect(f.segment(f.network(4, 4, 9, 4))).toEqual(f.segment(f.network(4, 9)));
    });

    it('encodes the same set in the same words whatever the order of sending, across word boundaries', () => {
      const f = many();
      const one = f.network(0, 31, 32, 63, 64, 5);
      const two = f.network(64, 5, 63, 0, 32, 31);
      const three = f.write(f.write(f.network(32, 0), { sends: [64] }), { sends: [31, 5, 63] });
      expect(f.segment(one)).toEqual(f.segment(two));
      expect(f.segment(one)).toEqual(f.segment(three));
      expect(f.contents(one)).toEqual([0, 5, 31, 32, 63, 64]);
      expect(f.segment(one)).toHaveLength(3);
    });

    it('uses no more words than its highest message needs', () => {
      const f = many();
      expect(f.segment(f.network(3))).toHaveLength(1);
      expect(f.segment(f.network(31))).toHaveLength(1);
      expect(f.segment(f.network(32))).toHaveLength(2);
      expect(f.segment(f.network(69, 1))).toHaveLength(3);
    });

    it('makes every message deliverable, with no position, and keeps it after delivery', () => {
      const f = many();
      const state = f.network(40, 2, 31);
      expect(f.deliverable(state)).toEqual([
        [2, -1],
        [31, -1],
        [40, -1],
      ]);
      // A set network ignores remove and duplicate: a delivered message stays for redelivery.
      const after = f.write(state, { remove: 0, duplicate: 0, sends: [] });
      expect(f.segment(after)).toEqual(f.segment(state));
      expect(f.contents(f.write(state, { remove: 0, sends: [7] }))).toEqual([2, 7, 31, 40]);
    });

    it('absorbs sends that are all already in the set, and nothing else', () => {
      const f = many();
      const state = f.network(2, 31, 40);
      expect(f.absorbs(state)).toBe(true);
      expect(f.absorbs(state, 31)).toBe(true);
      expect(f.absorbs(state, 40, 2, 31, 2)).toBe(true);
      expect(f.absorbs(state, 3)).toBe(false);
      expect(f.absorbs(state, 2, 3)).toBe(false);
      // Beyond the last word of the set.
      expect(f.absorbs(state, 69)).toBe(false);
      expect(f.absorbs(f.network(), 0)).toBe(false);
    });
  });

  describe("'multiset': unordered, consumed on delivery", () => {
    const ids = (f: ReturnType<typeof fixture>) => ({
      p: f.message('a', 'b', 0),
      q: f.message('a', 'c', 0),
      r: f.message('b', 'a', 0),
      s: f.message('c', 'a', 0),
    });

    it('consumes on delivery', () => {
      expect(fixture('multiset').codec.consumes).toBe(true);
    });

    it('keeps one entry per copy, in ascending order', () => {
      const f = fixture('multiset');
      const { p, q, r } = ids(f);
      const state = f.network(r, p, r, q, r);
      expect(f.contents(state)).toEqual([p, q, r, r, r]);
      expect(f.segment(state)).toEqual([p, q, r, r, r]);
    });

    it('encodes the same multiset in the same words whatever the order of sending', () => {
      const f = fixture('multiset');
      const { p, q, r, s } = ids(f);
      const one = f.network(s, p, r, p, q);
      const two = f.network(p, q, p, r, s);
      const three = f.write(f.write(f.network(r), { sends: [p, s] }), { sends: [q, p] });
      expect(f.segment(one)).toEqual(f.segment(two));
      expect(f.segment(one)).toEqual(f.segment(three));
    });

    it('does not confuse multiplicities: one copy and two copies differ', () => {
      const f = fixture('multiset');
      const { p } = ids(f);
      expect(f.segment(f.network(p))).not.toEqual(f.segment(f.network(p, p)));
    });

    it('offers each distinct message once for delivery, at the position of its first copy', () => {
      const f = fixture('multiset');
      const { p, q, r } = ids(f);
      const state = f.network(r, p, r, q, p);
      expect(f.deliverable(state)).toEqual([
        [p, 0],
        [q, 2],
        [r, 3],
      ]);
      expect(f.faultTargets(state)).toEqual(f.deliverable(state));
    });

    it('removes exactly one copy on delivery and adds the sends of the step, staying sorted', () => {
      const f = fixture('multiset');
      const { p, q, r, s } = ids(f);
      const state = f.network(p, p, q, s);
      const [, position] = f.deliverable(state).find(([id]) => id === p)!;
      const once = f.write(state, { remove: position });
      expect(f.contents(once)).toEqual([p, q, s]);
      const twice = f.write(once, { remove: f.deliverable(once).find(([id]) => id === p)![1], sends: [r, p] });
      expect(f.segment(twice)).toEqual(f.segment(f.network(q, s, r, p)));
      const last = f.write(f.network(q), { remove: 0 });
      expect(f.segment(last)).toEqual([]);
    });

    it('duplicates the message at a position as one more copy', () => {
      const f = fixture('multiset');
      const { p, q, r } = ids(f);
      const state = f.network(p, q, r);
      expect(f.contents(f.write(state, { duplicate: 1 }))).toEqual([p, q, q, r]);
      expect(f.contents(f.write(state, { duplicate: 0, sends: [r] }))).toEqual([p, p, q, r, r]);
    });

    it('drops with remove, and can remove one message while duplicating another', () => {
      const f = fixture('multiset');
      const { p, q, r } = ids(f);
      const state = f.network(p, q, r);
      expect(f.contents(f.write(state, { remove: 2 }))).toEqual([p, q]);
      expect(f.contents(f.write(state, { remove: 0, duplicate: 2 }))).toEqual([q, r, r]);
    });

    it('absorbs only an empty list of sends, even of messages already in flight', () => {
      const f = fixture('multiset');
      const { p } = ids(f);
      const state = f.network(p);
      expect(f.absorbs(state)).toBe(true);
      expect(f.absorbs(state, p)).toBe(false);
    });
  });

  describe("'fifo': one ordered queue per (sender, receiver) channel", () => {
    const ids = (f: ReturnType<typeof fixture>) => ({
      ab1: f.message('a', 'b', 1),
      ab2: f.message('a', 'b', 2),
      ab3: f.message('a', 'b', 3),
      ac1: f.message('a', 'c', 1),
      ba1: f.message('b', 'a', 1),
      ca1: f.message('c', 'a', 1),
    });
    // Channel numbers: from * nodeCount + to.
    const AB = 0 * 3 + 1;
    const AC = 0 * 3 + 2;
    const BA = 1 * 3 + 0;
    const CA = 2 * 3 + 0;

    it('consumes on delivery', () => {
      expect(fixture('fifo').codec.consumes).toBe(true);
    });

    it('encodes [channel, length, ids...] for each non-empty channel, in ascending channel order', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ac1, ca1 } = ids(f);
      const state = f.network(ca1, ab1, ac1, ab2);
      expect(f.segment(state)).toEqual([AB, 2, ab1, ab2, AC, 1, ac1, CA, 1, ca1]);
      expect(f.contents(state)).toEqual([ab1, ab2, ac1, ca1]);
    });

    it('keeps the order of sending within a channel', () => {
      const f = fixture('fifo');
      const { ab1, ab2 } = ids(f);
      expect(f.segment(f.network(ab1, ab2))).not.toEqual(f.segment(f.network(ab2, ab1)));
      expect(f.contents(f.network(ab2, ab1))).toEqual([ab2, ab1]);
    });

    it('does not depend on how sends to different channels interleave', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ac1, ba1, ca1 } = ids(f);
      const one = f.network(ab1, ca1, ab2, ba1, ac1);
      const two = f.network(ca1, ac1, ba1, ab1, ab2);
      const three = f.write(f.write(f.network(ba1, ab1), { sends: [ca1] }), { sends: [ac1, ab2] });
      expect(f.segment(one)).toEqual(f.segment(two));
      expect(f.segment(one)).toEqual(f.segment(three));
    });

    it('keeps repeated copies of a message in a channel', () => {
      const f = fixture('fifo');
      const { ab1 } = ids(f);
      expect(f.segment(f.network(ab1, ab1))).toEqual([AB, 2, ab1, ab1]);
    });

    it('offers only the head of each channel for delivery', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ab3, ba1, ca1 } = ids(f);
      const state = f.network(ab1, ab2, ab3, ba1, ca1);
      // [AB, 3, ab1, ab2, ab3, BA, 1, ba1, CA, 1, ca1]
      expect(f.deliverable(state)).toEqual([
        [ab1, 2],
        [ba1, 7],
        [ca1, 10],
      ]);
    });

    it('lets any message be lost or duplicated: every copy is a fault target', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ba1 } = ids(f);
      const state = f.network(ab1, ab2, ba1);
      expect(f.faultTargets(state)).toEqual([
        [ab1, 2],
        [ab2, 3],
        [ba1, 6],
      ]);
    });

    it('gives one fault target per distinct outcome, even for adjacent copies in a channel', () => {
      const f = fixture('fifo');
      const { ab1 } = ids(f);
      const state = f.network(ab1, ab1);
      const targets = f.faultTargets(state);
      const outcomes = (key: 'remove' | 'duplicate') => new Set(targets.map(([, position]) => f.segment(f.write(state, { [key]: position })).join()));
      expect(outcomes('remove').size).toBe(targets.length);
      expect(outcomes('duplicate').size).toBe(targets.length);
    });

    it('gives distinct outcomes for equal messages that are not adjacent', () => {
      const f = fixture('fifo');
      const { ab1, ab2 } = ids(f);
      const state = f.network(ab1, ab2, ab1);
      const drops = f.faultTargets(state).map(([, position]) => f.contents(f.write(state, { remove: position })));
      expect(drops).toEqual([
        [ab2, ab1],
        [ab1, ab1],
        [ab1, ab2],
      ]);
    });

    it('delivers the head: the next message becomes the head, and sends go to the tails', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ab3, ba1, ca1 } = ids(f);
      const state = f.network(ab1, ab2, ba1);
      const [head, position] = f.deliverable(state)[0]!;
      expect(head).toBe(ab1);
      const next = f.write(state, { remove: position, sends: [ab3, ca1] });
      expect(f.segment(next)).toEqual(f.segment(f.network(ab2, ab3, ba1, ca1)));
      expect(f.deliverable(next).map(([id]) => id)).toEqual([ab2, ba1, ca1]);
    });

    it('drops a channel that becomes empty, so the encoding equals one where it was never used', () => {
      const f = fixture('fifo');
      const { ab1, ba1 } = ids(f);
      const state = f.network(ab1, ba1);
      const delivered = f.write(state, { remove: 2 });
      expect(f.segment(delivered)).toEqual(f.segment(f.network(ba1)));
      expect(f.segment(f.write(delivered, { remove: 2 }))).toEqual([]);
    });

    it('loses a message from the middle of a channel, keeping the rest in order', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ab3 } = ids(f);
      const state = f.network(ab1, ab2, ab3);
      expect(f.segment(f.write(state, { remove: 3 }))).toEqual([AB, 2, ab1, ab3]);
    });

    it('duplicates a message as a copy right behind the original', () => {
      const f = fixture('fifo');
      const { ab1, ab2, ba1 } = ids(f);
      const state = f.network(ab1, ab2, ba1);
      expect(f.segment(f.write(state, { duplicate: 2 }))).toEqual([AB, 3, ab1, ab1, ab2, BA, 1, ba1]);
      expect(f.segment(f.write(state, { duplicate: 6 }))).toEqual([AB, 2, ab1, ab2, BA, 2, ba1, ba1]);
    });

    it('absorbs only an empty list of sends', () => {
      const f = fixture('fifo');
      const { ab1 } = ids(f);
      const state = f.network(ab1);
      expect(f.absorbs(state)).toBe(true);
      expect(f.absorbs(state, ab1)).toBe(false);
    });
  });
});

describe('count', () => {
  it.each(['set', 'multiset', 'fifo'] as const)('%s: the number of messages contents lists, without listing them', (semantics) => {
    const f = fixture(semantics);
    const ids = [f.message('a', 'b', 1), f.message('b', 'a', 2), f.message('a', 'c', 3), f.message('a', 'b', 1)];
    for (const state of [f.empty, f.network(ids[0]!), f.network(...ids), f.network(...ids, ...ids)]) {
      expect(f.codec.count(state, START, state.length)).toBe(f.contents(state).length);
    }
  });
});

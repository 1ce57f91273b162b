import { describe, expect, it } from 'vitest';
import { applyDurableChange, EMPTY_DURABLE, type DurableState } from '../../src/node/durable.ts';

describe('applyDurableChange', () => {
  describe('set', () => {
    it('adds new keys and overwrites existing ones, leaving the others alone', () => {
      const image: DurableState = { term: 1, vote: 'a', log: [1] };
      expect(applyDurableChange(image, { set: { term: 2, decision: 'commit' } })).toEqual({
        term: 2,
        vote: 'a',
        log: [1],
        decision: 'commit',
      });
    });

    it('can set a key to null', () => {
      expect(applyDurableChange({ vote: 'a' }, { set: { vote: null } })).toEqual({ vote: null });
    });

    it('works from the empty first-boot image', () => {
      expect(applyDurableChange(EMPTY_DURABLE, { set: { begun: true } })).toEqual({ begun: true });
    });
  });

  describe('append', () => {
    it('appends entries to an existing log, in order', () => {
      expect(applyDurableChange({ log: ['a'] }, { append: { log: ['b', 'c'] } })).toEqual({ log: ['a', 'b', 'c'] });
    });

    it('creates a log that did not exist yet', () => {
      expect(applyDurableChange(EMPTY_DURABLE, { append: { log: [{ term: 1 }] } })).toEqual({ log: [{ term: 1 }] });
    });

    it('appends to several logs in one change', () => {
      expect(applyDurableChange({ a: [1] }, { append: { a: [2], b: [3] } })).toEqual({ a: [1, 2], b: [3] });
    });

    it('appends an array entry as one entry, not spread', () => {
      expect(applyDurableChange({ log: [] }, { append: { log: [[1, 2]] } })).toEqual({ log: [[1, 2]] });
    });
  });

  describe('truncate', () => {
    it('removes every entry at an index >= the given one', () => {
      expect(applyDurableChange({ log: [0, 1, 2, 3] }, { truncate: { log: 2 } })).toEqual({ log: [0, 1] });
      expect(applyDurableChange({ log: [0, 1, 2, 3] }, { truncate: { log: 0 } })).toEqual({ log: [] });
    });

    it('leaves a log shorter than the cut point as it is', () => {
      expect(applyDurableChange({ log: [0, 1] }, { truncate: { log: 5 } })).toEqual({ log: [0, 1] });
    });

    it('never keeps an entry at an index >= a negative cut point (throws or empties the log)', () => {
      let next: DurableState;
      try {
        next = applyDurableChange({ log: ['a', 'b', 'c'] }, { truncate: { log: -1 } });
      } catch {
        return;
      }
      expect(next.log).toEqual([]);
    });

    it('truncates before appending, whatever order the fields were written in', () => {
      // A Raft follower replacing a conflicting suffix: cut at 1, then append the leader's entries.
      const change = { append: { log: ['x', 'y'] }, truncate: { log: 1 } };
      expect(applyDurableChange({ log: ['a', 'b', 'c'] }, change)).toEqual({ log: ['a', 'x', 'y'] });
    });

    it('applies set before truncate and append, so a log can be replaced and then extended in one change', () => {
      expect(applyDurableChange({ log: ['old'] }, { set: { log: ['a', 'b'] }, truncate: { log: 1 }, append: { log: ['c'] } })).toEqual({
        log: ['a', 'c'],
      });
    });
  });

  describe('drop', () => {
    it('removes the first n entries, keeping the rest in order', () => {
      expect(applyDurableChange({ log: ['a', 'b', 'c', 'd'] }, { drop: { log: 2 } })).toEqual({ log: ['c', 'd'] });
      expect(applyDurableChange({ log: ['a', 'b'] }, { drop: { log: 0 } })).toEqual({ log: ['a', 'b'] });
    });

    it('empties a log shorter than the count, and makes an empty log of a key never written', () => {
      expect(applyDurableChange({ log: ['a', 'b'] }, { drop: { log: 5 } })).toEqual({ log: [] });
      expect(applyDurableChange(EMPTY_DURABLE, { drop: { log: 1 } })).toEqual({ log: [] });
    });

    it('refuses a negative or fractional count', () => {
      expect(() => applyDurableChange({ log: ['a'] }, { drop: { log: -1 } })).toThrow(RangeError);
      expect(() => applyDurableChange({ log: ['a'] }, { drop: { log: 1.5 } })).toThrow(RangeError);
    });

    it('comes after set and before truncate and append, which then count from the new first entry', () => {
      // A Raft server compacting up to its third entry while its log is cut after the fourth and extended.
      const change = { append: { log: ['x'] }, truncate: { log: 1 }, drop: { log: 3 }, set: { snapshot: 'abc' } };
      expect(applyDurableChange({ log: ['a', 'b', 'c', 'd', 'e'] }, change)).toEqual({ snapshot: 'abc', log: ['d', 'x'] });
      expect(applyDurableChange({ log: ['old'] }, { set: { log: ['a', 'b', 'c'] }, drop: { log: 1 } })).toEqual({ log: ['b', 'c'] });
    });

    it('throws a TypeError on a key that is not a log, and leaves the input image untouched', () => {
      expect(() => applyDurableChange({ term: 3 }, { drop: { term: 1 } })).toThrow(/"term" is not a log/);
      const log = Object.freeze(['a', 'b']);
      const image: DurableState = Object.freeze({ log });
      expect(applyDurableChange(image, { drop: { log: 1 } })).toEqual({ log: ['b'] });
      expect(log).toEqual(['a', 'b']);
    });
  });

  describe('errors', () => {
    it('throws a TypeError when appending to a key that is not a log', () => {
      expect(() => applyDurableChange({ term: 3 }, { append: { term: [1] } })).toThrow(TypeError);
      expect(() => applyDurableChange({ term: 3 }, { append: { term: [1] } })).toThrow(/"term" is not a log/);
    });

    it('throws a TypeError when truncating a key that is not a log', () => {
      expect(() => applyDurableChange({ vote: { id: 'a' } }, { truncate: { vote: 0 } })).toThrow(/"vote" is not a log/);
      expect(() => applyDurableChange({ vote: null }, { truncate: { vote: 0 } })).toThrow(TypeError);
    });
  });

  describe('immutability', () => {
    it('returns a new image and leaves the input image and its logs untouched', () => {
      const log = Object.freeze(['a', 'b', 'c']);
      const image: DurableState = Object.freeze({ term: 1, log });
      const next = applyDurableChange(image, { set: { term: 2 }, truncate: { log: 1 }, append: { log: ['z'] } });
      expect(next).not.toBe(image);
      expect(next).toEqual({ term: 2, log: ['a', 'z'] });
      expect(image).toEqual({ term: 1, log: ['a', 'b', 'c'] });
      expect(log).toEqual(['a', 'b', 'c']);
    });

    it('does not mutate the change it applies', () => {
      const entries = ['x'];
      const change = { append: { log: entries } };
      const first = applyDurableChange({ log: ['a'] }, change);
      const second = applyDurableChange(first, change);
      expect(second).toEqual({ log: ['a', 'x', 'x'] });
      expect(entries).toEqual(['x']);
      expect(first).toEqual({ log: ['a', 'x'] });
    });

    it('with an empty change gives an equal image', () => {
      const image: DurableState = { term: 1, log: [1, 2] };
      expect(applyDurableChange(image, {})).toEqual(image);
    });
  });
});

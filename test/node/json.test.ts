import { describe, expect, it } from 'vitest';
import { canonicalJson, findNotJson, NotJsonError } from '../../src/node/json.ts';

describe('canonicalJson', () => {
  describe('canonical form', () => {
    it('gives the same text for objects whose keys were written in a different order', () => {
      const a = canonicalJson({ b: 1, a: 2, c: 3 });
      const b = canonicalJson({ c: 3, a: 2, b: 1 });
      expect(a).toBe(b);
      expect(a).toBe('{"a":2,"b":1,"c":3}');
    });

    it('sorts keys at every level of nesting, inside arrays too', () => {
      const one = { z: { y: 1, x: [{ q: 1, p: 2 }, { s: null }] }, a: true };
      const two = { a: true, z: { x: [{ p: 2, q: 1 }, { s: null }], y: 1 } };
      expect(canonicalJson(one)).toBe(canonicalJson(two));
      expect(canonicalJson(one)).toBe('{"a":true,"z":{"x":[{"p":2,"q":1},{"s":null}],"y":1}}');
    });

    it('keeps array order: arrays are sequences, not sets', () => {
      expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
      expect(canonicalJson([[1], [2, [3]]])).toBe('[[1],[2,[3]]]');
    });

    it('distinguishes values that differ only in type or depth', () => {
      const texts = [1, '1', [1], { 1: 1 }, true, 'true', null, 'null', [], {}, ''].map(canonicalJson);
      expect(new Set(texts).size).toBe(texts.length);
    });

    it('agrees with JSON.stringify on primitives, including strings that need escaping', () => {
      for (const value of [0, -1.5, 1e21, true, false, null, 'plain', 'quote " and \\ and \n and \u0001', '']) {
        expect(canonicalJson(value)).toBe(JSON.stringify(value));
      }
    });

    it('escapes object keys', () => {
      expect(canonicalJson({ 'a"b': 1 })).toBe('{"a\\"b":1}');
    });

    it('gives text that parses back to an equal value', () => {
      const value = { log: [{ term: 1, command: { key: 'k', value: 'v' } }], vote: null, term: 3, ok: false };
      expect(JSON.parse(canonicalJson(value))).toEqual(value);
    });

    it('accepts an object without a prototype', () => {
      const bare = Object.create(null) as Record<string, number>;
      bare.b = 2;
      bare.a = 1;
      expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
    });
  });

  describe('undefined', () => {
    it('skips object keys whose value is undefined, so an absent and an undefined key are the same', () => {
      expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
      expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
      expect(canonicalJson({ nested: { gone: undefined } })).toBe('{"nested":{}}');
    });

    it('writes undefined as null inside arrays and at the top level, as JSON.stringify does in arrays', () => {
      expect(canonicalJson([1, undefined, 2])).toBe('[1,null,2]');
      expect(canonicalJson(undefined)).toBe('null');
    });
  });

  describe('sparse arrays', () => {
    it('writes holes as null, so the text is JSON and equals that of the dense array', () => {
      const sparse = [, 1];
      expect(canonicalJson(sparse)).toBe('[null,1]');
      expect(() => JSON.parse(canonicalJson(new Array(3)))).not.toThrow();
    });
  });

  describe('rejects values that are not plain JSON', () => {
    it.each([
      ['a Map', new Map([['a', 1]])],
      ['a Set', new Set([1])],
      ['a Date', new Date(0)],
      ['a class instance', new (class Point { x = 1; })()],
    ])('throws a TypeError for %s', (_name, value) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
      expect(() => canonicalJson({ inside: [value] })).toThrow(TypeError);
    });

    it('names the class of a rejected instance', () => {
      expect(() => canonicalJson(new Map())).toThrow(/Map/);
      expect(() => canonicalJson(new (class Ballot {})())).toThrow(/Ballot/);
    });

    it('throws for functions, symbols and bigints, at the top level and nested', () => {
      for (const value of [() => 1, Symbol('s'), 10n]) {
        expect(() => canonicalJson(value)).toThrow(TypeError);
        expect(() => canonicalJson({ a: value })).toThrow(TypeError);
        expect(() => canonicalJson([value])).toThrow(TypeError);
      }
    });

    it('throws for non-finite numbers instead of writing null as JSON.stringify would', () => {
      for (const value of [NaN, Infinity, -Infinity]) {
        expect(() => canonicalJson(value)).toThrow(TypeError);
        expect(() => canonicalJson({ term: value })).toThrow(/not JSON/);
        expect(() => canonicalJson([0, value])).toThrow(TypeError);
      }
    });
  });
});

describe('findNotJson', () => {
  it('finds nothing in plain JSON, undefined object keys and array holes included', () => {
    expect(findNotJson({ a: [1, 'x', null, { b: true }], gone: undefined, holes: [, 1] }, 'context')).toBeUndefined();
  });

  it('gives the path, what is there and what to use instead, where canonicalJson throws', () => {
    const value = { log: [{ value: 1 }, { value: 2 }, { value: new Set([3]) }] };
    expect(() => canonicalJson(value)).toThrow(NotJsonError);
    expect(findNotJson(value, 'context')).toEqual({ path: 'context.log[2].value', found: 'a Set', instead: 'use a sorted array of its members' });
  });

  it('names what it found, and quotes keys that are not identifiers', () => {
    const found = (value: unknown) => findNotJson({ 'a key': value }, 'message')!;
    expect(found(new Map()).found).toBe('a Map');
    expect(found(new (class VoteSet extends Set {})()).found).toBe('an instance of class VoteSet (a Set)');
    expect(found(new (class Ballot {})()).found).toBe('an instance of class Ballot');
    expect(found(new Uint8Array(1)).found).toBe('a Uint8Array');
    expect(found(Infinity).found).toBe('the number Infinity');
    expect(found(() => 1)).toMatchObject({ path: 'message["a key"]', found: 'a function', instead: expect.stringContaining('not in messages') });
  });

  it('finds a cycle, on which canonicalJson would recurse without end', () => {
    const cyclic: unknown[] = [];
    cyclic.push({ back: cyclic });
    expect(findNotJson(cyclic, 'durable')).toMatchObject({ path: 'durable[0].back', found: 'a reference back to durable (a cycle)' });
  });
});

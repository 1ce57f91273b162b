import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { applyDurableChange, EMPTY_DURABLE, type DurableChange, type DurableState, type Json } from '../../../src/node/index.ts';
import type { DurableStore } from '../../../src/runtime/storage/durable-store.ts';
import { MemoryStore } from '../../../src/runtime/storage/memory-store.ts';
import { SqliteFile, SqliteStore } from '../../../src/runtime/storage/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'unanimous-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(dir, `store-${files++}.db`);

/** Few keys, so that sets, truncates and appends keep meeting the same keys (and logs turn into values and back). */
const key = fc.constantFrom('currentTerm', 'votedFor', 'log', 'history');
// As JSON would carry them: fc.jsonValue generates -0, which no JSON text (and so no SQLite row) can hold.
const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as Json);
const change: fc.Arbitrary<DurableChange> = fc.record(
  {
    set: fc.dictionary(key, fc.oneof(json, fc.array(json, { maxLength: 4 })), { maxKeys: 2 }),
    // Mostly valid indexes; now and then one applyDurableChange refuses, which must fail the batch.
    // Dropping a prefix (log compaction), sometimes all of it, before truncates and appends count from the new first entry.
    drop: fc.dictionary(key, fc.oneof({ weight: 9, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.constantFrom(-1, 0.5) }), { maxKeys: 1 }),
    truncate: fc.dictionary(key, fc.oneof({ weight: 9, arbitrary: fc.nat(6) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5) }), { maxKeys: 1 }),
    append: fc.dictionary(key, fc.array(json, { maxLength: 4 }), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);
const batches = fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 });

/** The reference: applyDurableChange over the batch, all or nothing. */
function applyBatch(image: DurableState, batch: readonly DurableChange[]): DurableState | Error {
  try {
    return batch.reduce(applyDurableChange, image);
  } catch (error) {
    return error as Error;
  }
}

function commitOrError(store: DurableStore, batch: readonly DurableChange[]): Error | undefined {
  try {
    store.commit(batch);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('durable stores', () => {
  it('SqliteStore and MemoryStore apply batches exactly as applyDurableChange, all or nothing, and SQLite keeps it across a reopen', () => {
    fc.assert(
      fc.property(batches, (batchList) => {
        const path = freshPath();
        // synchronous=NORMAL: the same SQL, without an fsync per commit (durability has its own tests).
        const sqlite = new SqliteStore(path, { synchronous: 'NORMAL' });
        const memory = new MemoryStore();
        let expected: DurableState = EMPTY_DURABLE;
        try {
          for (const batch of batchList) {
            const next = applyBatch(expected, batch);
            for (const store of [sqlite, memory]) {
              const failure = commitOrError(store, batch);
              if (next instanceof Error) {
                expect(failure?.constructor).toBe(next.constructor);
                expect(failure?.message).toBe(next.message);
              } else {
                expect(failure).toBeUndefined();
              }
              expect(store.load()).toEqual(next instanceof Error ? expected : next);
            }
            if (!(next instanceof Error)) expected = next;
          }
        } finally {
          sqlite.close();
        }
        const reopened = new SqliteStore(path);
        try {
          expect(reopened.load()).toEqual(expected);
        } finally {
          reopened.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('SqliteStore keeps a log as rows: appending and cutting a long log touches only the entries changed', () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    try {
      const entries = Array.from({ length: 500 }, (_, i) => ({ term: 1 + Math.floor(i / 100), value: `v${i}` }));
      store.commit([{ set: { currentTerm: 5 } }, { append: { log: entries } }]);
      store.commit([{ truncate: { log: 498 }, append: { log: [{ term: 5, value: 'x' }] } }]);
      const image = store.load();
      expect(image.currentTerm).toBe(5);
      expect(image.log).toEqual([...entries.slice(0, 498), { term: 5, value: 'x' }]);
    } finally {
      store.close();
    }
    // Rows, not one rewritten JSON text.
    const { db } = new SqliteFile(path);
    try {
      expect(db.prepare("SELECT count(*) AS n FROM durable_log WHERE log = 'log'").get()).toEqual({ n: 499 });
      expect(db.prepare("SELECT value, length FROM durable_key WHERE key = 'log'").get()).toEqual({ value: null, length: 499 });
    } finally {
      db.close();
    }
  });

  it('SqliteStore drops a log\'s prefix by deleting its first rows, and appends and cuts after it by position', () => {
    const path = freshPath();
    const store = new SqliteStore(path);
    const entries = Array.from({ length: 300 }, (_, i) => ({ term: 1, value: `v${i}` }));
    try {
      store.commit([{ append: { log: entries } }]);
      // Raft compacting through entry 250, then cutting after the 30th entry left and appending two.
      store.commit([{ set: { snapshot: { lastIncludedIndex: 250 } }, drop: { log: 250 } }]);
      store.commit([{ truncate: { log: 30 }, append: { log: [{ term: 2, value: 'a' }, { term: 2, value: 'b' }] } }]);
      expect(store.load().log).toEqual([...entries.slice(250, 280), { term: 2, value: 'a' }, { term: 2, value: 'b' }]);
      // Dropping everything, then appending: the log starts again at position 0.
      store.commit([{ drop: { log: 1000 } }, { append: { log: [{ term: 3, value: 'c' }] } }]);
      expect(store.load().log).toEqual([{ term: 3, value: 'c' }]);
    } finally {
      store.close();
    }
    const { db } = new SqliteFile(path);
    try {
      expect(db.prepare("SELECT count(*) AS n, min(position) AS first FROM durable_log WHERE log = 'log'").get()).toEqual({ n: 1, first: 0 });
      expect(db.prepare("SELECT value, length FROM durable_key WHERE key = 'log'").get()).toEqual({ value: null, length: 1 });
    } finally {
      db.close();
    }
  });

  it('SqliteStore runs in WAL mode with synchronous=FULL', () => {
    const file = new SqliteFile(freshPath());
    try {
      expect(file.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(file.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    } finally {
      file.close();
    }
  });

  it('SqliteStore refuses a file written by another schema version', () => {
    const path = freshPath();
    new SqliteStore(path).close();
    const raw = new SqliteFile(path);
    raw.db.pragma('user_version = 99');
    raw.close();
    expect(() => new SqliteStore(path)).toThrow(/schema version 99, this build reads version 1/);
  });

  it('SqliteFile holds several stores apart, and commits them in one transaction in which a failing store loses only its own batch', () => {
    const path = freshPath();
    const file = new SqliteFile(path);
    const [s0, s1, s10] = ['s0', 's1', 's10'].map((namespace) => file.store(namespace)) as [SqliteStore, SqliteStore, SqliteStore];
    s0.commit([{ set: { currentTerm: 1 }, append: { log: [{ term: 1 }] } }]);
    s1.commit([{ set: { currentTerm: 2 } }]);
    s10.commit([{ append: { log: [{ term: 7 }, { term: 8 }] } }]);
    expect(() => file.store('s0')).toThrow(/is open already/);
    expect(() => file.store('a/b')).toThrow(/a store namespace is letters/);
    file.transaction(() => {
      s0.commit([{ append: { log: [{ term: 2 }] } }]);
      expect(() => s1.commit([{ set: { x: 1 } }, { append: { currentTerm: [1] } }])).toThrow(/not a log/);
      s10.commit([{ truncate: { log: 1 } }]);
    });
    file.close();

    const reopened = new SqliteFile(path);
    expect(reopened.store('s0').load()).toEqual({ currentTerm: 1, log: [{ term: 1 }, { term: 2 }] });
    expect(reopened.store('s1').load()).toEqual({ currentTerm: 2 });
    expect(reopened.store('s10').load()).toEqual({ log: [{ term: 7 }] });
    reopened.close();
  });

  it('MemoryStore.reopen sees exactly what was committed, and a closed store refuses use', () => {
    const store = new MemoryStore();
    store.commit([{ set: { currentTerm: 2 }, append: { log: [1] } }]);
    expect(() => store.commit([{ append: { log: [2] } }, { append: { currentTerm: [3] } }])).toThrow(/not a log/);
    store.close();
    expect(() => store.load()).toThrow(/after close/);
    const restarted = store.reopen();
    expect(restarted.load()).toEqual({ currentTerm: 2, log: [1] });
    expect(restarted.commits).toBe(1);
  });
});

import Database from 'better-sqlite3';
import type { DurableChange, DurableState, Json } from '../../node/index.ts';
import type { DurableStore } from './durable-store.ts';

/** Bumped when the tables below change shape; a file of another version is refused, not misread. */
const SCHEMA_VERSION = 1;

/**
 * The tables. A key is either a plain value, kept as one JSON text, or a log (any array-valued
 * key), whose entries are rows of `durable_log`: appending to Raft's log inserts the new entries
 * and cutting it deletes the tail, so a step costs what it changed, not the size of the log.
 * `length` is the number of entries of a log (NULL for a plain value): an append finds its first
 * position without counting rows. Dropping a log's prefix (Raft's compaction) deletes the first rows
 * and renumbers nothing: a log's entries are its rows in position order, the first at the lowest
 * position (0 for a log that was empty), so entry i is at that position + i.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS durable_key (
    key    TEXT PRIMARY KEY,
    value  TEXT,
    length INTEGER,
    CHECK ((value IS NULL) <> (length IS NULL))
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS durable_log (
    log      TEXT    NOT NULL,
    position INTEGER NOT NULL,
    entry    TEXT    NOT NULL,
    PRIMARY KEY (log, position)
  ) WITHOUT ROWID;
`;

interface KeyRow {
  readonly value: string | null;
  readonly length: number | null;
}

export interface SqliteStoreOptions {
  /**
   * SQLite's `synchronous` setting. `FULL` (the default) syncs the write-ahead log at every
   * commit, so a commit that returned survives power loss; `NORMAL` survives a process crash but
   * may lose the last commits on power loss. Anything less breaks the persist-before-send rule.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/**
 * One SQLite file (better-sqlite3): WAL journal, `synchronous=FULL`. It holds the durable images
 * of one or more nodes, each under its own namespace (`store(namespace)`): the replicas a service
 * node hosts share one file, so that one fsync can make all of their batches durable
 * (`transaction`, used by a `CommitGroup`).
 */
export class SqliteFile {
  /** @internal The connection: the stores of this file prepare their statements on it. */
  readonly db: Database.Database;
  private readonly stores = new Set<string>();

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA_VERSION) {
        throw new Error(`${path}: durable store schema version ${version}, this build reads version ${SCHEMA_VERSION}`);
      }
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** The store of one node in this file: its keys and logs are named `<namespace>/<key>`. */
  store(namespace: string): SqliteStore {
    if (!/^[\w.-]+$/.test(namespace)) throw new Error(`a store namespace is letters, digits, "_", "." or "-", not ${JSON.stringify(namespace)}`);
    if (this.stores.has(namespace)) throw new Error(`${this.path}: the store "${namespace}" is open already`);
    this.stores.add(namespace);
    return new SqliteStore(this, `${namespace}/`, false);
  }

  /**
   * Deletes everything the store of `namespace` holds, in one transaction: a replica moved off this
   * node leaves nothing behind. The store must not be open (its owner closed it first); once erased
   * the namespace may be opened again, empty.
   */
  erase(namespace: string): void {
    if (this.stores.has(namespace)) throw new Error(`${this.path}: the store "${namespace}" is open; close it before erasing it`);
    const prefix = { prefix: `${namespace}/` };
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM durable_log WHERE substr(log, 1, length(@prefix)) = @prefix').run(prefix);
      this.db.prepare('DELETE FROM durable_key WHERE substr(key, 1, length(@prefix)) = @prefix').run(prefix);
    }).immediate();
  }

  /** @internal A namespace's store closed: it may be opened (or erased) again. */
  released(namespace: string): void {
    this.stores.delete(namespace);
  }

  /**
   * Runs `work` in one transaction (BEGIN IMMEDIATE … COMMIT: one fsync). The stores' commits
   * inside it become savepoints: one that throws rolls back its own changes only, and the others
   * still commit together.
   */
  transaction(work: () => void): void {
    this.db.transaction(work).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A `DurableStore` in SQLite: a file of its own (`new SqliteStore(path)`), or a namespace of a
 * shared `SqliteFile`. One transaction per batch. better-sqlite3 is synchronous, so `commit`
 * blocks the event loop for an fsync; the host turns that into group commit (everything that
 * arrives during one fsync goes into the next one) rather than paying one fsync per step.
 */
export class SqliteStore implements DurableStore {
  private readonly file: SqliteFile;
  /** Put before every key and log name of this store: `<namespace>/` in a shared file, else nothing. */
  private readonly prefix: string;
  private readonly statements;
  private readonly commitBatch: (changes: readonly DurableChange[]) => void;

  constructor(path: string, options?: SqliteStoreOptions);
  /** @internal A namespace of a shared file: use `SqliteFile.store`. */
  constructor(file: SqliteFile, prefix: string, ownsFile: false);
  constructor(
    where: string | SqliteFile,
    second: SqliteStoreOptions | string = {},
    private readonly ownsFile = true,
  ) {
    this.file = typeof where === 'string' ? new SqliteFile(where, second as SqliteStoreOptions) : where;
    this.prefix = typeof second === 'string' ? second : '';
    const db = this.file.db;
    this.statements = {
      key: db.prepare<[string], KeyRow>('SELECT value, length FROM durable_key WHERE key = ?'),
      putValue: db.prepare<[string, string]>(
        'INSERT INTO durable_key (key, value, length) VALUES (?, ?, NULL) ON CONFLICT (key) DO UPDATE SET value = excluded.value, length = NULL',
      ),
      putLog: db.prepare<[string, number]>(
        'INSERT INTO durable_key (key, value, length) VALUES (?, NULL, ?) ON CONFLICT (key) DO UPDATE SET value = NULL, length = excluded.length',
      ),
      cutLog: db.prepare<[string, number]>('DELETE FROM durable_log WHERE log = ? AND position >= ?'),
      dropLog: db.prepare<[string, number]>('DELETE FROM durable_log WHERE log = ? AND position < ?'),
      firstPosition: db.prepare<[string], { readonly first: number | null }>('SELECT MIN(position) AS first FROM durable_log WHERE log = ?'),
      insertEntry: db.prepare<[string, number, string]>('INSERT INTO durable_log (log, position, entry) VALUES (?, ?, ?)'),
      // Read once, at load: a scan is fine. The prefix "" (a file of its own) matches every key.
      allKeys: db.prepare<[{ prefix: string }], KeyRow & { readonly key: string }>('SELECT key, value, length FROM durable_key WHERE substr(key, 1, length(@prefix)) = @prefix'),
      allEntries: db.prepare<[{ prefix: string }], { readonly log: string; readonly entry: string }>(
        'SELECT log, entry FROM durable_log WHERE substr(log, 1, length(@prefix)) = @prefix ORDER BY log, position',
      ),
    };
    // BEGIN IMMEDIATE: take the write lock up front; a throw inside rolls the whole batch back.
    // Inside a `SqliteFile.transaction` this is a savepoint of the file's transaction.
    this.commitBatch = db.transaction((changes: readonly DurableChange[]) => {
      for (const change of changes) this.apply(change);
    }).immediate;
  }

  load(): DurableState {
    const image: Record<string, Json> = {};
    const name = (key: string) => key.slice(this.prefix.length);
    for (const row of this.statements.allKeys.all({ prefix: this.prefix })) image[name(row.key)] = row.value === null ? [] : (JSON.parse(row.value) as Json);
    for (const row of this.statements.allEntries.all({ prefix: this.prefix })) (image[name(row.log)] as Json[]).push(JSON.parse(row.entry) as Json);
    return image;
  }

  commit(changes: readonly DurableChange[]): void {
    if (changes.length === 0) return;
    this.commitBatch(changes);
  }

  /** Closes the file if the store has it to itself; a namespace of a shared file leaves it to its owner. */
  close(): void {
    if (this.ownsFile) this.file.close();
    else this.file.released(this.prefix.slice(0, -1));
  }

  /** One change, in `applyDurableChange`'s order: set, then drop, then truncate, then append. */
  private apply(change: DurableChange): void {
    const { statements } = this;
    const p = this.prefix;
    for (const [name, value] of Object.entries(change.set ?? {})) {
      const key = p + name;
      statements.cutLog.run(key, 0);
      if (Array.isArray(value)) {
        value.forEach((entry, position) => statements.insertEntry.run(key, position, JSON.stringify(entry)));
        statements.putLog.run(key, value.length);
      } else {
        statements.putValue.run(key, JSON.stringify(value));
      }
    }
    for (const [name, count] of Object.entries(change.drop ?? {})) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`drop ${count} entries of "${name}": a count must be a whole number >= 0`);
      const log = p + name;
      const length = this.logLength(log);
      if (count > 0 && length > 0) statements.dropLog.run(log, this.firstPosition(log) + count);
      statements.putLog.run(log, Math.max(0, length - count));
    }
    for (const [name, from] of Object.entries(change.truncate ?? {})) {
      if (!Number.isInteger(from) || from < 0) throw new RangeError(`truncate "${name}" at ${from}: an index must be a whole number >= 0`);
      const log = p + name;
      const length = this.logLength(log);
      if (from < length) statements.cutLog.run(log, this.firstPosition(log) + from);
      statements.putLog.run(log, Math.min(from, length));
    }
    for (const [name, entries] of Object.entries(change.append ?? {})) {
      const log = p + name;
      const length = this.logLength(log);
      const first = entries.length > 0 ? this.firstPosition(log) : 0;
      entries.forEach((entry, i) => statements.insertEntry.run(log, first + length + i, JSON.stringify(entry)));
      statements.putLog.run(log, length + entries.length);
    }
  }

  /** The position of a log's first entry: its lowest row's (0 for an empty log, whose next entry goes there). */
  private firstPosition(log: string): number {
    return this.statements.firstPosition.get(log)?.first ?? 0;
  }

  /** The number of entries of a log; 0 for a key never written (it becomes an empty log). */
  private logLength(log: string): number {
    const row = this.statements.key.get(log);
    if (row === undefined) return 0;
    if (row.length === null) throw new TypeError(`durable key "${log.slice(this.prefix.length)}" is not a log`);
    return row.length;
  }
}

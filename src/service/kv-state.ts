import { createHash } from 'node:crypto';
import type { Compare, OperationResult, Txn, TxnResult } from './txn.ts';

/** A key's entry: its value, the shard revision that last wrote it, and writes since it was created. */
export type KeyRecord = {
  readonly value: string;
  /** etcd's mod_revision: the shard's revision when the key was last written. */
  readonly revision: number;
  /** etcd's version: puts since the key was created (1 for a new key; a delete resets it). */
  readonly version: number;
};

/** A `KvState` as JSON. */
export type KvImage = { readonly revision: number; readonly keys: readonly (readonly [string, KeyRecord])[] };

/**
 * One shard's key-value data: the state machine of a replicated state machine (Schneider, 1990).
 * It is a pure function of the sequence of transactions applied to it, so replicas that apply the
 * same committed log in the same order hold the same data — no clock, no randomness, no I/O here.
 *
 * `revision` counts the transactions that changed something (etcd's store revision, per shard):
 * a transaction that writes or deletes a key bumps it once, and every key it wrote carries it.
 */
export class KvState {
  private readonly keys = new Map<string, KeyRecord>();
  private currentRevision = 0;

  get revision(): number {
    return this.currentRevision;
  }

  get size(): number {
    return this.keys.size;
  }

  /** The whole data as JSON (keys in the order they were first written), for `KvState.fromImage`. */
  image(): KvImage {
    return { revision: this.currentRevision, keys: [...this.keys] };
  }

  static fromImage(image: KvImage): KvState {
    const state = new KvState();
    state.currentRevision = image.revision;
    for (const [key, record] of image.keys) state.keys.set(key, record);
    return state;
  }

  /** A key's record, as of the transactions applied so far. */
  read(key: string): KeyRecord | undefined {
    return this.keys.get(key);
  }

  /**
   * Applies one transaction: every compare is checked against the current data; if one fails the
   * transaction aborts and nothing changes; otherwise the operations run in order (a get sees
   * the puts and deletes before it in the same transaction).
   */
  apply(txn: Txn): TxnResult {
    const failure = this.failedCompare(txn.compare);
    if (failure !== undefined) return { committed: false, reason: failure };
    const changes = txn.ops.some((op) => op.op === 'put' || (op.op === 'delete' && this.keys.has(op.key)));
    const revision = changes ? this.currentRevision + 1 : this.currentRevision;
    const results: OperationResult[] = [];
    for (const op of txn.ops) {
      const record = this.keys.get(op.key);
      switch (op.op) {
        case 'get':
          results.push(record ? { op: 'get', key: op.key, found: true, ...record } : { op: 'get', key: op.key, found: false });
          break;
        case 'put': {
          const version = (record?.version ?? 0) + 1;
          this.keys.set(op.key, { value: op.value, revision, version });
          results.push({ op: 'put', key: op.key, revision, version });
          break;
        }
        case 'delete':
          results.push({ op: 'delete', key: op.key, deleted: this.keys.delete(op.key) });
          break;
      }
    }
    this.currentRevision = revision;
    return { committed: true, revision, results };
  }

  /** The service's reason why the first failing compare fails (`compare failed: …`), or undefined when all hold. */
  failedCompare(compares: readonly Compare[]): string | undefined {
    for (const compare of compares) {
      const failure = compareFailure(compare, this.keys.get(compare.key));
      if (failure !== undefined) return `compare failed: ${failure}`;
    }
    return undefined;
  }

  /** A digest of the whole data (keys sorted): equal on two replicas iff they hold the same data. */
  digest(): string {
    const hash = createHash('sha256');
    hash.update(`revision ${this.currentRevision}\n`);
    for (const key of [...this.keys.keys()].sort()) {
      const record = this.keys.get(key)!;
      hash.update(`${JSON.stringify(key)} ${JSON.stringify(record.value)} ${record.revision} ${record.version}\n`);
    }
    return hash.digest('hex');
  }
}

/** Why a compare does not hold (undefined when it does). A missing key has revision 0 and version 0. */
function compareFailure(compare: Compare, record: KeyRecord | undefined): string | undefined {
  const key = JSON.stringify(compare.key);
  switch (compare.target) {
    case 'exists':
      return (record !== undefined) === compare.exists ? undefined : `${key} ${record ? 'exists' : 'does not exist'}`;
    case 'value': {
      if (record === undefined) return `${key} does not exist (expected a value ${compare.op} ${JSON.stringify(compare.value)})`;
      const equal = record.value === compare.value;
      return equal === (compare.op === '==') ? undefined : `${key} has value ${JSON.stringify(record.value)}, expected ${compare.op} ${JSON.stringify(compare.value)}`;
    }
    case 'revision':
    case 'version': {
      const actual = record?.[compare.target] ?? 0;
      const holds =
        compare.op === '==' ? actual === compare.number : compare.op === '!=' ? actual !== compare.number : compare.op === '<' ? actual < compare.number : actual > compare.number;
      return holds ? undefined : `${key} has ${compare.target} ${actual}, expected ${compare.op} ${compare.number}`;
    }
  }
}

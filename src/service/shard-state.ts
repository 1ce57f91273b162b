import { createHash } from 'node:crypto';
import { conflictOf, type LockKeys, lockKeysOf } from '../protocols/two-phase-commit/index.ts';
import { type KvImage, KvState } from './kv-state.ts';
import type { CommandResult, CommandResults, Outcome, ShardCommand, Vote } from './shard-command.ts';
import type { Txn } from './txn.ts';

/** How many finished parts keep their results, for a coordinator that repeats its finish (oldest forgotten first). */
const KEPT_RESULTS = 10_000;

/** A part prepared here and not yet finished. */
export type PreparedPart = {
  readonly anchor: string;
  readonly part: Txn;
  readonly keys: LockKeys;
};

/** A `ShardState` as JSON: everything it holds, so that a model can keep it as a node's state and step it. */
export type ShardImage = {
  readonly kv: KvImage;
  readonly prepared: readonly (readonly [string, PreparedPart])[];
  readonly finished: readonly (readonly [string, Outcome])[];
  readonly results: readonly (readonly [string, CommandResults['finish']])[];
  readonly decisions: readonly (readonly [string, Outcome])[];
};

/**
 * Everything a shard's replica holds, as a pure function of the commands applied in log order: the
 * key-value data (`KvState`, with the shard's revision), and the shard's roles in transactions
 * across shards — a 2PC participant's prepare records and lock table, and, as an anchor, the
 * decisions of the transactions anchored here.
 *
 * One copy of the data serves both kinds of transaction. The lock rules are the participant
 * machine's, shared with it (`lockKeysOf`, `conflictOf` in src/protocols/two-phase-commit): a
 * prepared part holds exclusive locks on the keys it writes and shared locks on those it only
 * reads, until it finishes. A transaction of this shard alone, or another prepare, that conflicts
 * with a held lock is refused at once with the key and the holder (no waiting, so no deadlock);
 * reads are refused too, since a prepared write may already be committed at its anchor, and
 * reading around it would not be strictly serializable.
 *
 * Repeated commands (a coordinator retrying after a lost answer) get the first answer again:
 * a prepared part votes prepared again, a finished one gives its outcome (and result, while kept).
 */
export class ShardState {
  readonly kv: KvState;
  private readonly prepared = new Map<string, PreparedPart>();
  protected readonly lockTable = { locks: Object.create(null) as Record<string, string>, shared: Object.create(null) as Record<string, string[]> };
  /** Parts finished here (or refused), by transaction id. */
  private readonly finished = new Map<string, Outcome>();
  private readonly results = new Map<string, CommandResults['finish']>();
  /** Decisions of the transactions anchored here: the first one logged stands. */
  private readonly decisions = new Map<string, Outcome>();

  constructor(image?: ShardImage) {
    this.kv = image === undefined ? new KvState() : KvState.fromImage(image.kv);
    if (image === undefined) return;
    for (const [id, part] of image.prepared) this.lock(id, part);
    for (const [id, outcome] of image.finished) this.finished.set(id, outcome);
    for (const [id, result] of image.results) this.results.set(id, result);
    for (const [id, outcome] of image.decisions) this.decisions.set(id, outcome);
  }

  /** Everything this state holds, as JSON (`new ShardState(image)` gives it back). */
  image(): ShardImage {
    return { kv: this.kv.image(), prepared: [...this.prepared], finished: [...this.finished], results: [...this.results], decisions: [...this.decisions] };
  }

  apply<C extends ShardCommand>(command: C): CommandResults[C['kind']];
  apply(command: ShardCommand): CommandResult {
    switch (command.kind) {
      case 'txn':
        return this.applyTxn(command.txn);
      case 'prepare':
        return this.prepare(command.id, command.anchor, command.part);
      case 'finish':
        return this.finish(command.id, command.outcome);
      case 'decide':
        return this.decide(command.id, command.outcome, command.part);
    }
  }

  /** Parts prepared here and not finished, by transaction id. */
  get preparedParts(): ReadonlyMap<string, PreparedPart> {
    return this.prepared;
  }

  /** The decision logged here for a transaction anchored here, if any. */
  decisionOf(id: string): Outcome | undefined {
    return this.decisions.get(id);
  }

  /** A digest of the whole state: equal on two replicas iff they hold the same data, prepare records and decisions. */
  digest(): string {
    const hash = createHash('sha256').update(this.kv.digest());
    for (const id of [...this.prepared.keys()].sort()) hash.update(`\nprepared ${id} ${JSON.stringify(this.prepared.get(id))}`);
    for (const [name, table] of [['finished', this.finished], ['decided', this.decisions]] as const) {
      for (const id of [...table.keys()].sort()) hash.update(`\n${name} ${id} ${table.get(id)}`);
    }
    return hash.digest('hex');
  }

  private applyTxn(txn: Txn) {
    const conflict = this.conflictWith('', lockKeysOf(txn));
    if (conflict !== undefined) return { committed: false as const, reason: conflictReason(conflict) };
    return this.kv.apply(txn);
  }

  private prepare(id: string, anchor: string, part: Txn): Vote {
    const finished = this.finished.get(id);
    if (finished === 'aborted') return { vote: 'refused', reason: `transaction ${id} was already aborted on this shard` };
    if (finished === 'committed' || this.prepared.has(id)) return { vote: 'prepared' };
    const keys = lockKeysOf(part);
    const conflict = this.conflictWith(id, keys);
    const refusal = conflict !== undefined ? conflictReason(conflict) : this.kv.failedCompare(part.compare);
    if (refusal !== undefined) {
      this.finished.set(id, 'aborted');
      return { vote: 'refused', reason: refusal };
    }
    this.lock(id, { anchor, part, keys });
    return { vote: 'prepared' };
  }

  private lock(id: string, prepared: PreparedPart): void {
    this.prepared.set(id, prepared);
    for (const key of prepared.keys.write) this.lockTable.locks[key] = id;
    for (const key of prepared.keys.read) (this.lockTable.shared[key] ??= []).push(id);
  }

  private finish(id: string, outcome: Outcome): CommandResults['finish'] {
    const finished = this.finished.get(id);
    if (finished !== undefined) return this.results.get(id) ?? { outcome: finished };
    const prepared = this.prepared.get(id);
    if (prepared !== undefined) this.release(id, prepared);
    // Committing what was never prepared here cannot come from a correct coordinator: the part is
    // not applied, and the answer says so. Aborting it is fine: a late prepare will be refused.
    if (prepared === undefined && outcome === 'committed') return { outcome: 'aborted' };
    this.finished.set(id, outcome);
    const result = outcome === 'committed' && prepared !== undefined ? { outcome, result: this.kv.apply({ compare: [], ops: prepared.part.ops }) } : { outcome };
    this.results.set(id, result);
    if (this.results.size > KEPT_RESULTS) this.results.delete(this.results.keys().next().value!);
    return result;
  }

  /** The anchor's decision: the first one logged stands; a commit with the anchor's part prepares and applies it at once. */
  private decide(id: string, outcome: Outcome, part: Txn | undefined): CommandResults['decide'] {
    const decided = this.decisions.get(id);
    if (decided !== undefined) return decided === 'committed' && part !== undefined ? (this.results.get(id) ?? { outcome: decided }) : { outcome: decided };
    if (outcome === 'committed' && part !== undefined) {
      // Prepared and finished in this one step, so the part never waits in doubt: it needs no anchor.
      const vote = this.prepare(id, '', part);
      if (vote.vote === 'refused') {
        this.decisions.set(id, 'aborted');
        return { outcome: 'aborted', reason: vote.reason };
      }
      this.decisions.set(id, 'committed');
      return this.finish(id, 'committed');
    }
    this.decisions.set(id, outcome);
    return { outcome };
  }

  /** The first lock another prepared part holds that the access of `id` to `keys` conflicts with. */
  protected conflictWith(id: string, keys: LockKeys): { key: string; holder: string } | undefined {
    return conflictOf(this.lockTable, id, keys);
  }

  private release(id: string, prepared: PreparedPart): void {
    this.prepared.delete(id);
    for (const key of prepared.keys.write) if (this.lockTable.locks[key] === id) delete this.lockTable.locks[key];
    for (const key of prepared.keys.read) {
      const readers = this.lockTable.shared[key]?.filter((reader) => reader !== id) ?? [];
      if (readers.length > 0) this.lockTable.shared[key] = readers;
      else delete this.lockTable.shared[key];
    }
  }
}

function conflictReason({ key, holder }: { key: string; holder: string }): string {
  return `conflict: ${JSON.stringify(key)} is locked by transaction ${holder}, prepared across shards; retry`;
}

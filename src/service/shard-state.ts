import { createHash } from 'node:crypto';
import { conflictOf, type LockKeys, lockKeysOf } from '../protocols/two-phase-commit/index.ts';
import { type KvImage, KvState } from './kv-state.ts';
import { type CommandResult, type CommandResults, type Outcome, type ShardCommand, txnStampOf, type Vote } from './shard-command.ts';
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
  /** Absent before the first prune (and in snapshots taken before pruning existed): 0. */
  readonly watermark?: number;
  readonly committedWatermark?: number;
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
 *
 * Pruning (issue 11). Without it `finished` and `decisions` grow forever, and every record answers
 * some late command: a duplicate prepare of a finished part must not prepare it again (its locks
 * would be held for good, or its writes applied twice), a late `decide committed` must not commit
 * what was decided aborted, and a participant in doubt must get the decision that was made.
 * Presumed abort (Mohan, Lindsay & Obermarck, "Transaction Management in the R* Distributed Database
 * Management System", 1986) is what lets a shard forget: an abort needs no record, "nothing known"
 * already means abort; a commit record is kept until every participant has applied it.
 *
 * Transaction ids carry their coordinator's clock (`txnStampOf`). `prune { below: W }`, ordered in
 * the shard's log so every replica forgets the same (their digests stay equal), forgets the parts
 * finished here and the aborted decisions stamped before W — never a prepared part, whose locks and
 * anchor stay until it finishes — and from then on the watermark answers for what it forgot:
 * - a prepare stamped before W that finds its part neither prepared nor remembered is refused.
 *   Refusing is always safe: the anchor commits only once every other part voted prepared, and a
 *   refusal is a "no". A late copy of a prepare that was counted reaches a coordinator past voting,
 *   which ignores it; a still prepared part votes prepared again.
 * - a decide stamped before W with no decision remembered is answered aborted and logs nothing:
 *   no commit stamped at or above the committed watermark is forgotten, so this one never committed,
 *   and as the watermark only rises every later decide of it is answered the same: one decision.
 * - a finish stamped before W of a part not prepared here changes nothing: the part was finished
 *   already (coordinators and resolvers ask only for what the anchor decided, and a part finishes once).
 * None of this assumes anything of clocks: a watermark that passes a live transaction aborts it.
 *
 * Committed decisions go only below `committedBelow` G, which the proposer takes as the least
 * `preparedFloor` every shard of the cluster answered to a prune (txn-memory-pruning.ts): no shard
 * holds a part stamped before G prepared, and none will (refused). So every participant of a commit
 * stamped before G has applied it — the acknowledgement presumed abort waits for, gathered as a
 * watermark rather than per transaction — and none can be in doubt and ask. A decide below G with
 * nothing remembered is answered `forgotten`, outcome aborted: the anchor cannot tell which way it
 * went, so a late copy of a coordinator's own decide reports the outcome unknown rather than a false
 * abort, and a resolver racing the finish of its part finds nothing prepared to finish.
 *
 * Checked by models/service/txn-memory-pruning.ts (shards pruning at any moment, any message late
 * or repeated), and its broken variants: a shard that forgets without refusing late prepares
 * (APartFinishesOnce fails), an anchor that forgets without refusing late decides (a resolver's
 * abort, then the coordinator's commit: PartsFollowTheAnchor fails), a pruner that has commits
 * forgotten below its watermark alone (TCConsistent fails), and a coordinator that takes
 * `forgotten` for aborted (its client is told wrong: VerdictsFollowTheAnchor fails).
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
  /** Transactions stamped before this are over here unless prepared (see Pruning above). */
  private watermark = 0;
  /** Committed decisions stamped before this were forgotten too; never above `watermark`. */
  private committedWatermark = 0;

  constructor(image?: ShardImage) {
    this.kv = image === undefined ? new KvState() : KvState.fromImage(image.kv);
    if (image === undefined) return;
    for (const [id, part] of image.prepared) this.lock(id, part);
    for (const [id, outcome] of image.finished) this.finished.set(id, outcome);
    for (const [id, result] of image.results) this.results.set(id, result);
    for (const [id, outcome] of image.decisions) this.decisions.set(id, outcome);
    this.watermark = image.watermark ?? 0;
    this.committedWatermark = image.committedWatermark ?? 0;
  }

  /** Everything this state holds, as JSON (`new ShardState(image)` gives it back). */
  image(): ShardImage {
    const image = { kv: this.kv.image(), prepared: [...this.prepared], finished: [...this.finished], results: [...this.results], decisions: [...this.decisions] };
    return this.watermark === 0 ? image : { ...image, watermark: this.watermark, committedWatermark: this.committedWatermark };
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
      case 'prune':
        return this.prune(command.below, command.committedBelow ?? 0);
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

  /** How many transactions this shard remembers the end of: what pruning keeps bounded. */
  get remembered(): { readonly finished: number; readonly results: number; readonly decisions: number } {
    return { finished: this.finished.size, results: this.results.size, decisions: this.decisions.size };
  }

  /** The watermarks of the last prune (0 before any): see Pruning above. */
  get watermarks(): { readonly below: number; readonly committedBelow: number } {
    return { below: this.watermark, committedBelow: this.committedWatermark };
  }

  /** A digest of the whole state: equal on two replicas iff they hold the same data, prepare records, decisions and watermarks. */
  digest(): string {
    const hash = createHash('sha256').update(this.kv.digest());
    for (const id of [...this.prepared.keys()].sort()) hash.update(`\nprepared ${id} ${JSON.stringify(this.prepared.get(id))}`);
    for (const [name, table] of [['finished', this.finished], ['decided', this.decisions]] as const) {
      for (const id of [...table.keys()].sort()) hash.update(`\n${name} ${id} ${table.get(id)}`);
    }
    if (this.watermark > 0) hash.update(`\nwatermarks ${this.watermark} ${this.committedWatermark}`);
    return hash.digest('hex');
  }

  private applyTxn(txn: Txn) {
    const conflict = this.conflictWith('', lockKeysOf(txn));
    if (conflict !== undefined) return { committed: false as const, reason: conflictReason(conflict) };
    return this.kv.apply(txn);
  }

  /** `by`: the command that prepares, a participant's `prepare` or the anchor's `decide` with its own part. */
  private prepare(id: string, anchor: string, part: Txn, by: 'prepare' | 'decide' = 'prepare'): Vote {
    const finished = this.finished.get(id);
    if (finished === 'aborted') return { vote: 'refused', reason: `transaction ${id} was already aborted on this shard` };
    if (finished === 'committed' || this.prepared.has(id)) return { vote: 'prepared' };
    if (this.olderThan(this.watermark, id, by)) return { vote: 'refused', reason: `transaction ${id} is older than this shard's watermark: it is over here, or too late to begin; retry` };
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
    // Finished before its record was pruned: this is a late copy, and there is nothing left to do.
    if (prepared === undefined && this.olderThan(this.watermark, id, 'finish')) return { outcome };
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
    if (this.olderThan(this.committedWatermark, id, 'decide')) return { outcome: 'aborted', forgotten: true, reason: `transaction ${id} is older than the decisions this anchor remembers: whichever it was, every part has finished` };
    if (this.olderThan(this.watermark, id, 'decide')) return { outcome: 'aborted', reason: `transaction ${id} is older than its anchor's watermark and was never committed; retry` };
    if (outcome === 'committed' && part !== undefined) {
      // Prepared and finished in this one step, so the part never waits in doubt: it needs no anchor.
      const vote = this.prepare(id, '', part, 'decide');
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

  /**
   * Raises the watermarks and forgets what is over below them (see Pruning above): the finished
   * parts and aborted decisions stamped before `below`, the committed decisions stamped before
   * `committedBelow` (at most the watermark). Answers the prepared floor: the watermark, or the
   * stamp of the oldest part still prepared here if older.
   */
  private prune(below: number, committedBelow: number): CommandResults['prune'] {
    this.watermark = Math.max(this.watermark, below);
    this.committedWatermark = Math.max(this.committedWatermark, Math.min(committedBelow, this.watermark));
    for (const id of this.finished.keys()) {
      if (txnStampOf(id) >= this.watermark) continue;
      this.finished.delete(id);
      this.results.delete(id);
    }
    for (const [id, outcome] of this.decisions) {
      if (txnStampOf(id) < (outcome === 'committed' ? this.committedWatermark : this.watermark)) this.decisions.delete(id);
    }
    let preparedFloor = this.watermark;
    for (const id of this.prepared.keys()) preparedFloor = Math.min(preparedFloor, txnStampOf(id));
    return { watermark: this.watermark, committedWatermark: this.committedWatermark, preparedFloor };
  }

  /**
   * Whether transaction `id` is stamped before `watermark`, so that the watermark answers the
   * `command` for it. Protected for the broken variants that forget without refusing
   * (models/service/broken).
   */
  protected olderThan(watermark: number, id: string, _command: 'prepare' | 'finish' | 'decide'): boolean {
    return txnStampOf(id) < watermark;
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

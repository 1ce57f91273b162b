import { InvalidRequestError, listFields, parseTxn, type Txn, txnToJson, type TxnResult } from './txn.ts';

/**
 * The commands a shard's Raft log orders. Every replica applies them in log order to its
 * `ShardState`, so all replicas reach the same results.
 *
 * - `txn`: a transaction whose keys all live on this shard, applied at once.
 * - `prepare`, `finish`: this shard's part of a transaction across shards, as a 2PC participant
 *   (the rules of src/protocols/two-phase-commit/participant.ts): prepare takes the part's locks
 *   and checks its compares, or refuses; finish applies the part (committed) or drops it (aborted).
 * - `decide`: at the transaction's anchor shard, the commit point. The first decision ordered in the
 *   anchor's log is THE decision; a later `decide` of the other outcome gets the first one back.
 *   Coordinators propose commit; a participant that waited too long on a prepared transaction
 *   proposes abort (presumed abort), so a transaction whose coordinator died is resolved, never
 *   both committed and aborted. A commit may carry the anchor's own `part`: the anchor then
 *   prepares, decides and applies it in one step, and a refusal of the part decides abort (the
 *   "last agent" optimization of 2PC: the anchor votes and decides at once, saving a prepare and a
 *   finish in its log; Samaras et al., "Two-Phase Commit Optimizations in a Commercial Distributed
 *   Environment", 1995).
 * - `prune`: forget the transactions older than a watermark that are over here, and from then on
 *   refuse what arrives late for them (the rules and why they are safe: shard-state.ts).
 */
export type ShardCommand =
  | { readonly kind: 'txn'; readonly txn: Txn }
  | { readonly kind: 'prepare'; readonly id: string; readonly anchor: string; readonly part: Txn }
  | { readonly kind: 'finish'; readonly id: string; readonly outcome: Outcome }
  | { readonly kind: 'decide'; readonly id: string; readonly outcome: Outcome; readonly part?: Txn }
  | {
      readonly kind: 'prune';
      /** Transactions stamped before this are over here unless prepared: their records go, late commands for them are refused. */
      readonly below: number;
      /**
       * Committed decisions stamped before this go too (at most `below`): the proposer vouches that
       * no shard of the cluster holds such a part prepared or will ever prepare one — the least
       * `preparedFloor` every shard answered to a `prune` (txn-memory-pruning.ts).
       */
      readonly committedBelow?: number;
    };

export type Outcome = 'committed' | 'aborted';

/** A participant's vote on a prepare. */
export type Vote = { readonly vote: 'prepared' } | { readonly vote: 'refused'; readonly reason: string };

/** What applying each kind of command gives. */
export interface CommandResults {
  readonly txn: TxnResult;
  readonly prepare: Vote;
  /** For a committed part, the part's own transaction result (its operations' results and this shard's revision). */
  readonly finish: { readonly outcome: Outcome; readonly result?: TxnResult };
  /** With the anchor's part: its result when committed, or why it refused (which decided abort). */
  /**
   * `forgotten`: the transaction is older than the committed decisions this anchor forgot, so it
   * cannot tell which way it went; nobody can be in doubt about it any more (shard-state.ts), and
   * the outcome given is presumed abort's, which changes nothing anywhere.
   */
  readonly decide: { readonly outcome: Outcome; readonly result?: TxnResult; readonly reason?: string; readonly forgotten?: true };
  /**
   * The shard's watermarks after the prune, and its prepared floor: no part stamped before it is
   * prepared here, nor ever will be (prepares stamped before `watermark` are refused from now on).
   */
  readonly prune: { readonly watermark: number; readonly committedWatermark: number; readonly preparedFloor: number };
}

export type ResultOf<C extends ShardCommand> = CommandResults[C['kind']];
export type CommandResult = CommandResults[keyof CommandResults];

/** Transaction ids: printable, at most 128 characters (a coordinator makes them; they name locks in refusals). */
const ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
/** The ordered component a coordinator puts first in the ids it makes: `<stamp>.<rest>`, the stamp a whole number (ms since the epoch). */
const STAMP_PATTERN = /^(\d{1,15})\./;
const MAX_STAMP = 999_999_999_999_999;

/**
 * A transaction id as coordinators make it: its stamp (the coordinator's clock when it began, in ms
 * since the epoch), its node, and a random part that makes it unique.
 */
export const stampedTxnId = (stamp: number, node: string, unique: string): string => `${stamp}.${node}.${unique}`;

/**
 * The stamp of a transaction id: what watermarks are compared with. An id without one (not made by
 * `stampedTxnId`: a node from before pruning, or a test's) is younger than every watermark
 * (Infinity): it is remembered and answered as it was before pruning existed, never refused.
 */
export function txnStampOf(id: string): number {
  const stamp = STAMP_PATTERN.exec(id);
  return stamp === null ? Infinity : Number(stamp[1]);
}

/**
 * Shard ids, as cluster-config.ts accepts them. Found by fuzzing: "anchor" took any non-empty
 * string (a megabyte, control characters), which a prepare then kept in its lock table and every
 * refusal and in-doubt log line repeated. Whether the shard exists is the node's to check.
 */
const SHARD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A command from untrusted JSON (another node's request), or `InvalidRequestError` saying what is wrong. */
export function parseShardCommand(body: unknown): ShardCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('a shard command is a JSON object with a "kind"');
  const value = body as Record<string, unknown>;
  const fields = (allowed: readonly string[]) => {
    const unknown = Object.keys(value).filter((field) => !allowed.includes(field));
    if (unknown.length > 0) throw new InvalidRequestError(`${value.kind} command: unknown field${unknown.length > 1 ? 's' : ''} ${listFields(unknown)}`);
  };
  const id = () => {
    if (typeof value.id !== 'string' || !ID_PATTERN.test(value.id)) throw new InvalidRequestError('"id" must be 1 to 128 printable ASCII characters');
    return value.id;
  };
  const outcome = (): Outcome => {
    if (value.outcome !== 'committed' && value.outcome !== 'aborted') throw new InvalidRequestError('"outcome" must be "committed" or "aborted"');
    return value.outcome;
  };
  switch (value.kind) {
    case 'txn':
      fields(['kind', 'txn']);
      return { kind: 'txn', txn: parseTxn(value.txn) };
    case 'prepare': {
      fields(['kind', 'id', 'anchor', 'part']);
      if (typeof value.anchor !== 'string' || !SHARD_ID_PATTERN.test(value.anchor)) throw new InvalidRequestError('"anchor" must name a shard');
      return { kind: 'prepare', id: id(), anchor: value.anchor, part: parseTxn(value.part, { part: true }) };
    }
    case 'finish':
      fields(['kind', 'id', 'outcome']);
      return { kind: 'finish', id: id(), outcome: outcome() };
    case 'decide': {
      fields(['kind', 'id', 'outcome', 'part']);
      const decided = { kind: 'decide', id: id(), outcome: outcome() } as const;
      if (value.part === undefined) return decided;
      if (decided.outcome !== 'committed') throw new InvalidRequestError('only a commit decision carries the anchor\'s "part"');
      return { ...decided, part: parseTxn(value.part, { part: true }) };
    }
    case 'prune': {
      fields(['kind', 'below', 'committedBelow']);
      const below = watermark(value.below, 'below');
      if (value.committedBelow === undefined) return { kind: 'prune', below };
      const committedBelow = watermark(value.committedBelow, 'committedBelow');
      if (committedBelow > below) throw new InvalidRequestError('"committedBelow" must not be above "below": a committed decision is forgotten only with the rest');
      return { kind: 'prune', below, committedBelow };
    }
    default:
      throw new InvalidRequestError('"kind" must be one of "txn", "prepare", "finish", "decide", "prune"');
  }
}

/** A watermark: a stamp, a whole number from 0 to the largest a stamp can be (15 digits). */
function watermark(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_STAMP) throw new InvalidRequestError(`"${field}" must be a whole number from 0 to ${MAX_STAMP}`);
  return value;
}

/** A command in the JSON shape `parseShardCommand` reads. */
export function shardCommandToJson(command: ShardCommand): object {
  switch (command.kind) {
    case 'txn':
      return { kind: 'txn', txn: txnToJson(command.txn) };
    case 'prepare':
      return { kind: 'prepare', id: command.id, anchor: command.anchor, part: txnToJson(command.part) };
    case 'decide':
      return command.part === undefined ? command : { ...command, part: txnToJson(command.part) };
    default:
      return command;
  }
}

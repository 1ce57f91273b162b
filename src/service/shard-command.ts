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
 */
export type ShardCommand =
  | { readonly kind: 'txn'; readonly txn: Txn }
  | { readonly kind: 'prepare'; readonly id: string; readonly anchor: string; readonly part: Txn }
  | { readonly kind: 'finish'; readonly id: string; readonly outcome: Outcome }
  | { readonly kind: 'decide'; readonly id: string; readonly outcome: Outcome; readonly part?: Txn };

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
  readonly decide: { readonly outcome: Outcome; readonly result?: TxnResult; readonly reason?: string };
}

export type ResultOf<C extends ShardCommand> = CommandResults[C['kind']];
export type CommandResult = CommandResults[keyof CommandResults];

/** Transaction ids: printable, at most 128 characters (a coordinator makes them; they name locks in refusals). */
const ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
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
    default:
      throw new InvalidRequestError('"kind" must be one of "txn", "prepare", "finish", "decide"');
  }
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

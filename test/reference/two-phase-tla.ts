/**
 * An independent transcription of Lamport's TwoPhase.tla (tlaplus/Examples,
 * specifications/transaction_commit/TwoPhase.tla) into plain TypeScript, with its
 * own breadth-first search. It uses neither XState nor anything from src/, and
 * exists only to cross-check the state counts of our model checker: it is not
 * part of the product.
 *
 * State encoding (for N resource managers), as two small integers:
 *   hi = rmState (2 bits per RM: working/prepared/committed/aborted)
 *        | tmState << 2N (init/committed/aborted)
 *   lo = tmPrepared (N bits)
 *        | Prepared(rm) msgs << N (N bits)
 *        | Commit ∈ msgs << 2N | Abort ∈ msgs << 2N+1
 * and the key is hi * 2^(2N+2) + lo, 4N+4 bits: exact in a JS number for N ≤ 12.
 */

const WORKING = 0;
const PREPARED = 1;
const COMMITTED = 2;
const ABORTED = 3;

const TM_INIT = 0;
const TM_COMMITTED = 1;
const TM_ABORTED = 2;

export interface ReferenceResult {
  /** Distinct reachable states. */
  readonly distinct: number;
  /** TLC's depth: the states in the longest shortest behaviour, the initial state being depth 1. */
  readonly depth: number;
}

/**
 * With `symmetric`, states equal up to a permutation of the RMs count once (TLC's SYMMETRY on
 * RM): each state is replaced by the one whose RMs, described by (rmState, in tmPrepared, sent
 * Prepared), come in sorted order.
 */
export function exploreTwoPhase(rms: number, symmetric = false): ReferenceResult {
  if (!Number.isInteger(rms) || rms < 1 || rms > 12) {
    throw new RangeError(`rms must be an integer in 1..12, got ${rms}`);
  }
  const n = rms;
  const allRms = (1 << n) - 1;
  const tmShift = 2 * n;
  const commitBit = 1 << (2 * n);
  const abortBit = 1 << (2 * n + 1);
  const loSpan = 2 ** (2 * n + 2);

  const seen = new Set<number>();
  let frontier: number[] = [];
  let next: number[] = [];

  const canonical = (hi: number, lo: number): [number, number] => {
    const rmsOf = Array.from({ length: n }, (_, r) => ((hi >>> (2 * r)) & 3) | (((lo >>> r) & 1) << 2) | (((lo >>> (n + r)) & 1) << 3)).sort(
      (a, b) => a - b,
    );
    let rmBits = 0;
    let prepared = 0;
    let messages = 0;
    rmsOf.forEach((code, r) => {
      rmBits |= (code & 3) << (2 * r);
      prepared |= ((code >>> 2) & 1) << r;
      messages |= ((code >>> 3) & 1) << r;
    });
    return [rmBits | (hi & ~((1 << tmShift) - 1)), prepared | (messages << n) | (lo & (commitBit | abortBit))];
  };

  const visit = (rawHi: number, rawLo: number): void => {
    const [hi, lo] = symmetric ? canonical(rawHi, rawLo) : [rawHi, rawLo];
    const key = hi * loSpan + lo;
    if (!seen.has(key)) {
      seen.add(key);
      next.push(key);
    }
  };

  // Init: rmState = [rm ∈ RM ↦ "working"], tmState = "init", tmPrepared = {}, msgs = {}.
  visit(WORKING /* all RMs working: all-zero bits */ | (TM_INIT << tmShift), 0);

  // TLC's depth: the initial state is depth 1.
  let depth = 1;
  for (;;) {
    frontier = next;
    next = [];
    for (const key of frontier) {
      const lo = key % loSpan;
      const hi = (key - lo) / loSpan;
      const rmState = hi & ((1 << tmShift) - 1);
      const tmState = hi >>> tmShift;
      const tmPrepared = lo & allRms;
      const preparedMsgs = (lo >>> n) & allRms;
      const commitMsg = (lo & commitBit) !== 0;
      const abortMsg = (lo & abortBit) !== 0;
      const tmHi = tmState << tmShift;

      if (tmState === TM_INIT) {
        // TMRcvPrepared(rm): tmState = "init" ∧ [type ↦ "Prepared", rm ↦ rm] ∈ msgs
        //   ⇒ tmPrepared' = tmPrepared ∪ {rm}
        for (let r = 0; r < n; r++) {
          if (preparedMsgs & (1 << r)) visit(hi, lo | (1 << r));
        }
        // TMCommit: tmState = "init" ∧ tmPrepared = RM
        //   ⇒ tmState' = "committed", msgs' = msgs ∪ {[type ↦ "Commit"]}
        if (tmPrepared === allRms) visit(rmState | (TM_COMMITTED << tmShift), lo | commitBit);
        // TMAbort: tmState = "init" ⇒ tmState' = "aborted", msgs' = msgs ∪ {[type ↦ "Abort"]}
        visit(rmState | (TM_ABORTED << tmShift), lo | abortBit);
      }

      for (let r = 0; r < n; r++) {
        const shift = 2 * r;
        const mine = (rmState >>> shift) & 3;
        const others = rmState & ~(3 << shift);
        if (mine === WORKING) {
          // RMPrepare(rm): rmState[rm] = "working"
          //   ⇒ rmState'[rm] = "prepared", msgs' = msgs ∪ {[type ↦ "Prepared", rm ↦ rm]}
          visit(others | (PREPARED << shift) | tmHi, lo | (1 << (n + r)));
          // RMChooseToAbort(rm): rmState[rm] = "working" ⇒ rmState'[rm] = "aborted"
          visit(others | (ABORTED << shift) | tmHi, lo);
        }
        // RMRcvCommitMsg(rm): [type ↦ "Commit"] ∈ msgs ⇒ rmState'[rm] = "committed"
        if (commitMsg) visit(others | (COMMITTED << shift) | tmHi, lo);
        // RMRcvAbortMsg(rm): [type ↦ "Abort"] ∈ msgs ⇒ rmState'[rm] = "aborted"
        if (abortMsg) visit(others | (ABORTED << shift) | tmHi, lo);
      }
    }
    if (next.length === 0) break;
    depth++;
  }

  return { distinct: seen.size, depth };
}

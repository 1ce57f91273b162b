/**
 * A linearizability checker for histories (see history.ts) against a sequential model: the
 * Wing & Gong search ("Testing and verifying concurrent objects", JPDC 1993) with Lowe's
 * memoisation of visited configurations ("Testing for linearizability", CCPE 2017), as Porcupine
 * (github.com/anishathalye/porcupine) implements it, and checked key by key: linearizability is
 * compositional (Herlihy & Wing 1990), so a history of independent keys is linearizable exactly
 * when each key's sub-history is — Lowe's "P-compositionality", Knossos's `independent` checker.
 */
import { formatPair, formatTime, formatValue, MalformedHistoryError, pairOps, type History, type OpPair } from './history.ts';

/** One operation as the model sees it. */
export interface ModelOp {
  /** The operation's name (`read`, `write`, `cas`, …). */
  readonly f: string;
  /**
   * The completion's value when `outcome` is `ok` (a read's value is what it read), else the
   * invocation's (the request). In an independent (keyed) history, the part after the key.
   */
  readonly value: unknown;
  /** `ok`: it happened and returned `value`; `info`: if it happened, its result is unknown. */
  readonly outcome: 'ok' | 'info';
}

/** A model's answer to one step: the state after, or that the operation is impossible here. */
export type StepResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false; readonly reason?: string };

/**
 * A sequential specification, Knossos's `Model` and Porcupine's `Model`: the object's initial
 * state and its transition function. States are values: `step` must not modify its argument, and
 * two states are the same exactly when `hash` says so (by default `JSON.stringify`, so states must
 * be JSON with a canonical key order).
 */
export interface Model<S = unknown> {
  /** The model's name, for reports. */
  readonly name: string;
  /** The initial state. */
  init(): S;
  /**
   * Applies `op` to `state`: `{ ok: true, state }` when the operation, with its result, is
   * possible in `state` (for an `info` operation, possible with some result), else `{ ok: false }`
   * with an optional reason for reports. Throw for an operation the model does not know.
   */
  step(state: S, op: ModelOp): StepResult<S>;
  /** A canonical string for a state; `JSON.stringify` by default. */
  hash?(state: S): string;
  /**
   * Whether the operation never changes the state: such operations that are `info` constrain
   * nothing and are dropped before the search, as Knossos drops crashed reads.
   */
  readOnly?(op: ModelOp): boolean;
  /** A state as text for reports; `formatValue` by default. */
  describeState?(state: S): string;
}

/**
 * A read/write/compare-and-set register, Knossos's `cas-register`, whose state is its value, or
 * `null` for a missing key (the initial state unless `initial` is given). Operations:
 * - `read`, value: the value read (`null`: the key was missing). Possible when equal to the state.
 * - `write`, value: the new value.
 * - `cas`, value `[expected, new]`: possible when the state equals `expected`; the state becomes
 *   `new`. A cas that found another value is recorded as `fail` (it did not happen).
 * - `delete`: the state becomes `null`.
 * Values are compared as JSON, so `undefined` reads as `null`.
 */
export function registerModel(initial: unknown = null): Model<unknown> {
  const json = (value: unknown) => JSON.stringify(value === undefined ? null : value);
  return {
    name: 'register',
    init: () => initial,
    hash: json,
    readOnly: (op) => op.f === 'read',
    describeState: formatValue,
    step(state, op) {
      switch (op.f) {
        case 'read':
          if (op.outcome === 'info' || json(op.value) === json(state)) return { ok: true, state };
          return { ok: false, reason: `read ${formatValue(op.value ?? null)}, but the register holds ${formatValue(state)}` };
        case 'write':
          return { ok: true, state: op.value === undefined ? null : op.value };
        case 'delete':
          return { ok: true, state: null };
        case 'cas': {
          if (!Array.isArray(op.value) || op.value.length !== 2) throw new Error(`cas takes [expected, new], not ${formatValue(op.value)}`);
          const [expected, next] = op.value as [unknown, unknown];
          if (json(expected) === json(state)) return { ok: true, state: next === undefined ? null : next };
          return { ok: false, reason: `cas expects ${formatValue(expected)}, but the register holds ${formatValue(state)}` };
        }
        default:
          throw new Error(`the register model has no operation ${JSON.stringify(op.f)} (read, write, cas, delete)`);
      }
    },
  };
}

/** The register model starting from `null` (every key missing): {@link registerModel}`()`. */
export const register: Model<unknown> = registerModel();

/** Options of {@link checkLinearizability}. */
export interface LinearizabilityOptions {
  /**
   * Whether the history is of independent keys, Jepsen's `independent` tuples: every value is
   * `[key, value]` (invocation and completion alike) and each key is checked on its own against a
   * fresh model. Default `true`; `false` checks the whole history as one object.
   */
  readonly independent?: boolean;
  /**
   * A budget per key: the most search steps (attempts to linearize an operation in a
   * configuration). A key that needs more is `unknown`. Unbounded by default.
   */
  readonly maxSteps?: number;
  /** A budget for the whole check in milliseconds; keys left when it runs out are `unknown`. */
  readonly timeoutMs?: number;
  /** The clock for `timeoutMs` and the reported time: `performance.now()` by default. */
  readonly now?: () => number;
}

/** One operation of the longest linearizable prefix found, with the model state after it. */
export interface LinearizedStep {
  readonly op: OpPair;
  readonly state: unknown;
}

/**
 * Why one key is not linearizable. Linearizability is prefix-closed, so the shortest prefix of
 * the key's sub-history that is not linearizable ends at the completion of an operation, `op`:
 * the operations completed up to and including `op` have no linearization (operations pending at
 * that point may be placed or left out, as `info` ones). The search reports the longest
 * linearization it found of that prefix without `op`, the model states reachable there (in each of
 * which `op` is impossible, with the model's reasons), and the operations concurrent with `op`
 * that it did not place.
 */
export interface KeyFailure {
  /** The key (`undefined` when the history is not independent). */
  readonly key: unknown;
  /** The operation that cannot be linearized: the last of the shortest bad prefix. */
  readonly op: OpPair;
  /** The number of the key's operations the search considered (ok and info). */
  readonly ops: number;
  /** The longest linearization found: every operation completed before `op`, and some pending. */
  readonly linearized: readonly LinearizedStep[];
  /** The model states the object can be in just before `op` completes (at most 8). */
  readonly states: readonly unknown[];
  /** For each of `states`, why `op` is impossible in it (the model's reason, or a default). */
  readonly reasons: readonly string[];
  /** Operations pending when `op` completed that are not in `linearized` (at most 20). */
  readonly concurrent: readonly OpPair[];
  /** Search steps spent on this key. */
  readonly steps: number;
}

/** A key whose search ran out of budget. */
export interface UnknownKey {
  readonly key: unknown;
  readonly reason: string;
  readonly steps: number;
}

/** Totals of a check. */
export interface LinearizabilityStats {
  /** Keys checked (1 when not independent). */
  readonly keys: number;
  /** Operations in the history (invocations). */
  readonly ops: number;
  /** Operations the search considered: ok ones, and info ones that may change the state. */
  readonly searched: number;
  /** Search steps over all keys. */
  readonly steps: number;
  /** Milliseconds spent. */
  readonly ms: number;
}

/**
 * The result of {@link checkLinearizability}: `valid` is `true`, `false` (some key is not
 * linearizable: `key` and `failure` are the first such key in order of first appearance,
 * `failures` all of them) or `'unknown'` (no violation found, but some key's search ran out of
 * budget). Print it with {@link describeLinearizability}.
 */
export type LinearizabilityResult =
  | { readonly valid: true; readonly model: string; readonly stats: LinearizabilityStats }
  | {
      readonly valid: false;
      readonly model: string;
      readonly key: unknown;
      readonly failure: KeyFailure;
      readonly failures: readonly KeyFailure[];
      readonly unknown: readonly UnknownKey[];
      readonly stats: LinearizabilityStats;
    }
  | { readonly valid: 'unknown'; readonly model: string; readonly unknown: readonly UnknownKey[]; readonly stats: LinearizabilityStats };

/**
 * Checks that a history is linearizable (Herlihy & Wing 1990) with respect to `model`: that every
 * `ok` operation can be given a point in time between its invocation and completion, and some of
 * the `info` operations a point at any time after their invocation (the others never happened),
 * such that the model, stepping through the operations in that order, accepts each with its result.
 * `fail` operations are dropped, since they did not happen; `info` operations the model calls
 * read-only are dropped, since they constrain nothing.
 *
 * The search is Wing & Gong's, with Lowe's cache of visited configurations (the set of operations
 * linearized, as a bitset, and the model state), as in Porcupine and Knossos's `wgl` checker; each
 * key of an independent history is checked separately. Two reductions of its own handle `info`
 * operations, which otherwise double the configurations with each one (Knossos's known weakness):
 * info operations are tried after the pending ok ones, and a configuration is pruned when one with
 * the same state, the same ok operations and a subset of its info operations was visited (the
 * extra info operations could as well never have happened); of identical pending info operations
 * (same `f` and value) only the earliest is tried. Each is checked against a brute-force search in
 * the tests.
 *
 * Cost: a history of 10,000 operations over 20 keys, 10 clients, checks in well under a second,
 * valid or not, with up to ~15% info operations. An invalid key must be searched exhaustively up to
 * its shortest bad prefix, which with many concurrent or info operations on one key can grow
 * exponentially: give a nemesis run a budget (`timeoutMs`, `maxSteps`) and treat `unknown` as
 * "not proven", as Jepsen does.
 *
 * The history's order is its real-time order. Throws {@link MalformedHistoryError} for a malformed
 * history (see `pairOps`), or for a keyed value that is not `[key, value]`.
 */
export function checkLinearizability<S>(history: History, model: Model<S>, options: LinearizabilityOptions = {}): LinearizabilityResult {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const deadline = options.timeoutMs === undefined ? Infinity : started + options.timeoutMs;
  const independent = options.independent ?? true;
  const pairs = pairOps(history);

  const keys: Array<{ key: unknown; ops: OpPair[]; modelOps: ModelOp[] }> = [];
  const keyIndex = new Map<string, number>();
  let searched = 0;
  for (const pair of pairs) {
    if (pair.type === 'fail') continue;
    const outcome = pair.type;
    let key: unknown;
    let value: unknown;
    if (independent) {
      const request = keyed(pair.invoke.value, pair.start, pair);
      key = request[0];
      value = request[1];
      if (outcome === 'ok') {
        const result = keyed(pair.completion!.value, pair.end, pair);
        if (keyId(result[0]) !== keyId(key)) {
          throw new MalformedHistoryError(`completion key ${formatValue(result[0])} differs from the invocation's ${formatValue(key)}`, pair.end, pair.completion!);
        }
        value = result[1];
      }
    } else {
      value = pair.value;
    }
    const modelOp: ModelOp = { f: pair.f, value, outcome };
    if (outcome === 'info' && model.readOnly?.(modelOp)) continue;
    const id = independent ? keyId(key) : '';
    let slot = keyIndex.get(id);
    if (slot === undefined) {
      slot = keys.length;
      keyIndex.set(id, slot);
      keys.push({ key, ops: [], modelOps: [] });
    }
    keys[slot]!.ops.push(pair);
    keys[slot]!.modelOps.push(modelOp);
    searched++;
  }

  const failures: KeyFailure[] = [];
  const unknown: UnknownKey[] = [];
  let steps = 0;
  for (const { key, ops, modelOps } of keys) {
    if (now() > deadline) {
      unknown.push({ key, reason: `the time budget of ${options.timeoutMs} ms ran out before this key`, steps: 0 });
      continue;
    }
    const outcome = searchKey(key, ops, modelOps, model, options.maxSteps ?? Infinity, deadline, now, options.timeoutMs);
    steps += outcome.steps;
    if (outcome.kind === 'failure') failures.push(outcome.failure);
    else if (outcome.kind === 'unknown') unknown.push({ key, reason: outcome.reason, steps: outcome.steps });
  }
  const stats: LinearizabilityStats = { keys: independent ? keys.length : 1, ops: pairs.length, searched, steps, ms: now() - started };
  if (failures.length > 0) {
    return { valid: false, model: model.name, key: failures[0]!.key, failure: failures[0]!, failures, unknown, stats };
  }
  if (unknown.length > 0) return { valid: 'unknown', model: model.name, unknown, stats };
  return { valid: true, model: model.name, stats };
}

function keyed(value: unknown, index: number, pair: OpPair): readonly [unknown, unknown] {
  if (!Array.isArray(value) || value.length !== 2) {
    const op = index === pair.start ? pair.invoke : pair.completion!;
    throw new MalformedHistoryError(`an independent history's values are [key, value], not ${formatValue(value)}`, index, op);
  }
  return value as unknown as readonly [unknown, unknown];
}

function keyId(key: unknown): string {
  return typeof key === 'string' ? `s${key}` : typeof key === 'number' ? `n${key}` : `j${JSON.stringify(key)}`;
}

type KeyOutcome =
  | { readonly kind: 'ok'; readonly steps: number }
  | { readonly kind: 'failure'; readonly steps: number; readonly failure: KeyFailure }
  | { readonly kind: 'unknown'; readonly steps: number; readonly reason: string };

/**
 * Wing & Gong's search over one key's operations (in invocation order), in Porcupine's form: a
 * doubly linked list of the ok operations' call and return entries in history order; at each
 * configuration, try to linearize the pending calls before the first return, in order, then the
 * pending info operations invoked before that return (kept in a list of their own: an info
 * operation can always be put off, so trying it last lets the subsumption below prune the
 * configurations that fire it needlessly); a return whose call is not linearized means backtrack.
 * Lowe's cache prunes a configuration (linearized set, state) seen before, or subsumed by one.
 */
function searchKey<S>(
  key: unknown,
  ops: readonly OpPair[],
  modelOps: readonly ModelOp[],
  model: Model<S>,
  maxSteps: number,
  deadline: number,
  now: () => number,
  timeoutMs: number | undefined,
): KeyOutcome {
  const n = ops.length;
  const calls: number[] = [];
  const returns: number[] = [];
  const infos: number[] = [];
  for (let i = 0; i < n; i++) {
    if (ops[i]!.type === 'ok') {
      calls.push(i);
      returns.push(i);
    } else {
      infos.push(i);
    }
  }
  let okLeft = calls.length;
  if (okLeft === 0) return { kind: 'ok', steps: 0 };
  returns.sort((a, b) => ops[a]!.end - ops[b]!.end);

  // The ok operations' entries 1..E in history order; 0 is the head, E + 1 the tail.
  const entries = calls.length + returns.length;
  const HEAD = 0;
  const TAIL = entries + 1;
  const next = new Int32Array(entries + 2);
  const prev = new Int32Array(entries + 2);
  const entryOp = new Int32Array(entries + 2);
  const entryPos = new Float64Array(entries + 2);
  const isCall = new Uint8Array(entries + 2);
  const returnOf = new Int32Array(n).fill(-1);
  for (let e = 1, c = 0, r = 0; e <= entries; e++) {
    if (r >= returns.length || (c < calls.length && ops[calls[c]!]!.start < ops[returns[r]!]!.end)) {
      const op = calls[c++]!;
      entryOp[e] = op;
      entryPos[e] = ops[op]!.start;
      isCall[e] = 1;
    } else {
      const op = returns[r++]!;
      entryOp[e] = op;
      entryPos[e] = ops[op]!.end;
      returnOf[op] = e;
    }
  }
  for (let e = 0; e <= TAIL; e++) {
    next[e] = e + 1;
    prev[e] = e - 1;
  }
  const lift = (call: number) => {
    next[prev[call]!] = next[call]!;
    prev[next[call]!] = prev[call]!;
    const ret = returnOf[entryOp[call]!]!;
    next[prev[ret]!] = next[ret]!;
    prev[next[ret]!] = prev[ret]!;
  };
  const unlift = (call: number) => {
    const ret = returnOf[entryOp[call]!]!;
    next[prev[ret]!] = ret;
    prev[next[ret]!] = ret;
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  };

  // The info operations' list, 1..I in invocation order; 0 is its head, I + 1 its tail.
  const ITAIL = infos.length + 1;
  const inext = new Int32Array(infos.length + 2);
  const iprev = new Int32Array(infos.length + 2);
  for (let e = 0; e <= ITAIL; e++) {
    inext[e] = e + 1;
    iprev[e] = e - 1;
  }
  const infoOp = (entry: number) => infos[entry - 1]!;
  // Identical info operations (same f and value) are interchangeable: of those pending, only the
  // earliest invoked is tried, since firing it instead of a later twin leaves the later (less
  // eligible) one pending. `twin[entry]` is the previous identical entry, or 0.
  const twin = new Int32Array(infos.length + 2);
  {
    const last = new Map<string, number>();
    for (let e = 1; e <= infos.length; e++) {
      const op = modelOps[infoOp(e)]!;
      const id = `${op.f}\u0000${JSON.stringify(op.value) ?? ''}`;
      twin[e] = last.get(id) ?? 0;
      last.set(id, e);
    }
  }
  const isLinearized = (op: number) => (bits[op >>> 5]! & (1 << (op & 31))) !== 0;
  const ilift = (entry: number) => {
    inext[iprev[entry]!] = inext[entry]!;
    iprev[inext[entry]!] = iprev[entry]!;
  };
  const iunlift = (entry: number) => {
    inext[iprev[entry]!] = entry;
    iprev[inext[entry]!] = entry;
  };

  // Model states, interned; steps memoised by (state, op).
  const hash = model.hash ? (s: S) => model.hash!(s) : (s: S) => JSON.stringify(s);
  const stateIds = new Map<string, number>();
  const states: S[] = [];
  const intern = (state: S): number => {
    const h = hash(state);
    let id = stateIds.get(h);
    if (id === undefined) {
      id = states.length;
      stateIds.set(h, id);
      states.push(state);
    }
    return id;
  };
  const memo = new Map<number, number>();
  const step = (stateId: number, op: number): number => {
    const memoKey = stateId * n + op;
    let to = memo.get(memoKey);
    if (to === undefined) {
      const result = model.step(states[stateId]!, modelOps[op]!);
      to = result.ok ? intern(result.state) : -1;
      memo.set(memoKey, to);
    }
    return to;
  };

  // The linearized set as a bitset, hashed (Zobrist) over its ok operations only; the cache of
  // configurations. Beyond Lowe's exact cache, a configuration is subsumed by a visited one with
  // the same state, the same ok operations and a subset of its info operations: whatever the larger
  // one can still do, the smaller can too, by leaving the extra info operations out (they need not
  // happen). Without this, every crashed write doubles the configurations of every later point.
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const okMask = new Uint32Array(words);
  const zobrist = new Int32Array(n);
  let seed = 0x2545f491;
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    if (ops[i]!.type === 'ok') {
      zobrist[i] = seed;
      okMask[i >>> 5]! |= 1 << (i & 31);
    }
  }
  let bitsHash = 0;
  const cache = new Map<number, Uint32Array[]>();
  /** Whether `a` ⊆ `b` with only info operations in `b` ∖ `a` (entries hold the state in word 0). */
  const subsumes = (a: Uint32Array, aOffset: number, b: Uint32Array, bOffset: number): boolean => {
    for (let w = 0; w < words; w++) {
      const x = a[w + aOffset]!;
      const y = b[w + bOffset]!;
      if ((x & ~y) !== 0 || (y & ~x & okMask[w]!) !== 0) return false;
    }
    return true;
  };
  const remember = (stateId: number): boolean => {
    const h = (bitsHash ^ Math.imul(stateId + 1, 0x9e3779b1)) | 0;
    let bucket = cache.get(h);
    if (bucket) {
      for (let k = 0; k < bucket.length; k++) {
        const seen = bucket[k]!;
        if (seen[0] === stateId && subsumes(seen, 1, bits, 0)) return false;
      }
      // Drop the visited configurations the new one subsumes: they are no longer needed to prune.
      for (let k = bucket.length - 1; k >= 0; k--) {
        const seen = bucket[k]!;
        if (seen[0] === stateId && subsumes(bits, 0, seen, 1)) {
          bucket[k] = bucket[bucket.length - 1]!;
          bucket.pop();
        }
      }
    } else {
      bucket = [];
      cache.set(h, bucket);
    }
    const entry = new Uint32Array(words + 1);
    entry[0] = stateId;
    entry.set(bits, 1);
    bucket.push(entry);
    return true;
  };
  const flip = (op: number) => {
    bits[op >>> 5]! ^= 1 << (op & 31);
    bitsHash ^= zobrist[op]!;
  };

  // The stack of linearized operations: the entry (a main-list call, or an info-list entry), the
  // state before it, and for an info operation the frontier (first return) it was fired before.
  const stackEntry = new Int32Array(n);
  const stackInfo = new Uint8Array(n);
  const stackState = new Int32Array(n);
  const stackFrontier = new Int32Array(n);
  let depth = 0;

  // The furthest frontier (first unlinearized return) reached, for the report.
  let bestReturn = -1;
  let bestOps: Int32Array = new Int32Array(0);
  let bestAfter: Int32Array = new Int32Array(0);
  let bestStates: number[] = [];

  let stateId = intern(model.init());
  let steps = 0;
  let entry = next[HEAD]!; // the main-list scan
  let info = 0; // the info-list scan, when in the info phase
  let frontier = -1; // the first return of the configuration, once the main scan reached it
  let stop = 0; // -2: the step budget ran out; -3: the time budget
  const attempt = (op: number): number => {
    if (++steps > maxSteps) return -2;
    if ((steps & 1023) === 0 && now() > deadline) return -3;
    const to = step(stateId, op);
    if (to < 0) return -1;
    flip(op);
    if (remember(to)) return to;
    flip(op);
    return -1;
  };
  for (;;) {
    if (frontier < 0) {
      if (entry === TAIL) throw new Error('linearizability search: ran off the end of the entry list');
      if (!isCall[entry]) {
        // The first return of this configuration, whose call is not linearized: the frontier. The
        // furthest one is the end of the shortest non-linearizable prefix; record it the first time
        // (with the fewest info operations fired), and each state it is reached in.
        if (entry > bestReturn) {
          bestReturn = entry;
          bestOps = new Int32Array(depth);
          bestAfter = new Int32Array(depth);
          for (let k = 0; k < depth; k++) {
            bestOps[k] = stackInfo[k] ? infoOp(stackEntry[k]!) : entryOp[stackEntry[k]!]!;
            bestAfter[k] = k + 1 < depth ? stackState[k + 1]! : stateId;
          }
          bestStates = [stateId];
        } else if (entry === bestReturn && bestStates.length < 8 && !bestStates.includes(stateId)) {
          bestStates.push(stateId);
        }
        frontier = entry;
        info = inext[0]!;
        continue;
      }
      const op = entryOp[entry]!;
      const to = attempt(op);
      if (to < -1) {
        stop = to;
        break;
      }
      if (to >= 0) {
        stackEntry[depth] = entry;
        stackInfo[depth] = 0;
        stackState[depth] = stateId;
        depth++;
        stateId = to;
        lift(entry);
        if (--okLeft === 0) return { kind: 'ok', steps };
        entry = next[HEAD]!;
      } else {
        entry = next[entry]!;
      }
      continue;
    }
    if (info !== ITAIL && ops[infoOp(info)]!.start < entryPos[frontier]!) {
      if (twin[info] !== 0 && !isLinearized(infoOp(twin[info]!))) {
        info = inext[info]!;
        continue;
      }
      const to = attempt(infoOp(info));
      if (to < -1) {
        stop = to;
        break;
      }
      if (to >= 0) {
        stackEntry[depth] = info;
        stackInfo[depth] = 1;
        stackState[depth] = stateId;
        stackFrontier[depth] = frontier;
        depth++;
        stateId = to;
        ilift(info);
        entry = next[HEAD]!;
        frontier = -1;
      } else {
        info = inext[info]!;
      }
      continue;
    }
    // Nothing more to try before the return at `frontier`: this configuration is a dead end.
    if (depth === 0) break;
    depth--;
    const popped = stackEntry[depth]!;
    stateId = stackState[depth]!;
    if (stackInfo[depth]) {
      flip(infoOp(popped));
      iunlift(popped);
      frontier = stackFrontier[depth]!;
      info = inext[popped]!;
    } else {
      flip(entryOp[popped]!);
      okLeft++;
      unlift(popped);
      entry = next[popped]!;
      frontier = -1;
    }
  }
  if (stop === -2) return { kind: 'unknown', steps, reason: `the step budget of ${maxSteps} ran out` };
  if (stop === -3) return { kind: 'unknown', steps, reason: `the time budget of ${timeoutMs} ms ran out` };

  const failed = entryOp[bestReturn]!;
  const failedOp = ops[failed]!;
  const placed = new Set(bestOps);
  const concurrent: OpPair[] = [];
  for (let i = 0; i < n && concurrent.length < 20; i++) {
    if (i !== failed && !placed.has(i) && ops[i]!.start < failedOp.end) concurrent.push(ops[i]!);
  }
  const reasons = bestStates.map((s) => {
    const result = model.step(states[s]!, modelOps[failed]!);
    return result.ok ? 'possible here, but every way on from here fails later' : (result.reason ?? `${failedOp.f} is impossible in this state`);
  });
  return {
    kind: 'failure',
    steps,
    failure: {
      key,
      op: failedOp,
      ops: n,
      linearized: Array.from(bestOps, (op, k) => ({ op: ops[op]!, state: states[bestAfter[k]!] })),
      states: bestStates.map((s) => states[s]),
      reasons,
      concurrent,
      steps,
    },
  };
}

/** Options of {@link describeLinearizability}. */
export interface DescribeLinearizabilityOptions {
  /** How many operations of the longest linearizable prefix to print (its last ones); 12. */
  readonly prefix?: number;
  /** A model state as text (pass the model's `describeState`); `formatValue` by default. */
  readonly describeState?: (state: unknown) => string;
}

/**
 * A result of {@link checkLinearizability} as text for a person: one line when linearizable; for
 * a violation, the key, the operation that cannot be linearized (the end of the shortest
 * non-linearizable prefix), the states the object can be in just before it completes and why it is
 * impossible in each, the end of the longest linearizable prefix found with the state after each
 * operation, and the concurrent operations left out — Knossos's and Porcupine's reports in prose.
 */
export function describeLinearizability(result: LinearizabilityResult, options: DescribeLinearizabilityOptions = {}): string {
  const state = options.describeState ?? formatValue;
  const { stats } = result;
  const totals = `${stats.ops} operations, ${stats.keys} key${stats.keys === 1 ? '' : 's'}, ${stats.steps} search steps, ${stats.ms.toFixed(0)} ms`;
  if (result.valid === true) return `linearizable (${result.model} model): ${totals}`;
  const lines: string[] = [];
  const unknownLines = (unknown: readonly UnknownKey[]) =>
    unknown.slice(0, 10).map((u) => `  key ${formatKey(u.key)}: ${u.reason} after ${u.steps} steps`).concat(unknown.length > 10 ? [`  … and ${unknown.length - 10} more keys`] : []);
  if (result.valid === 'unknown') {
    lines.push(`unknown (${result.model} model): no violation found, but the search gave up on ${result.unknown.length} key(s) — ${totals}`);
    lines.push(...unknownLines(result.unknown));
    return lines.join('\n');
  }
  const f = result.failure;
  const where = f.key === undefined ? 'the history' : `key ${formatKey(f.key)}`;
  lines.push(`NOT linearizable (${result.model} model) on ${where}: ${totals}`);
  lines.push(
    `  No order of ${where}'s operations completed by #${f.op.end} (${formatTime(f.op.completion!.time)}) is consistent with the model: the shortest non-linearizable prefix ends with`,
  );
  lines.push(`    ${formatPair(f.op)}`);
  lines.push(`  Just before it completed, the object could only be in ${f.states.length === 1 ? 'this state' : `these ${f.states.length} states`}:`);
  f.states.forEach((s, i) => lines.push(`    ${state(s)}: ${f.reasons[i]}`));
  const shown = Math.min(options.prefix ?? 12, f.linearized.length);
  lines.push(
    `  Longest linearizable prefix found: ${f.linearized.length} of the key's ${f.ops} operations${shown < f.linearized.length ? `, the last ${shown}` : ''} (state after each):`,
  );
  if (f.linearized.length === 0) lines.push('    (none)');
  for (const { op, state: after } of f.linearized.slice(f.linearized.length - shown)) lines.push(`    ${formatPair(op)}  ⇒ ${state(after)}`);
  if (f.concurrent.length > 0) {
    lines.push('  Pending when it completed, not in that prefix:');
    for (const op of f.concurrent) lines.push(`    ${formatPair(op)}`);
  }
  if (result.failures.length > 1) {
    lines.push(`  Other keys not linearizable: ${result.failures.slice(1, 21).map((other) => formatKey(other.key)).join(', ')}${result.failures.length > 21 ? ', …' : ''}`);
  }
  if (result.unknown.length > 0) {
    lines.push(`  Keys the search gave up on:`);
    lines.push(...unknownLines(result.unknown));
  }
  return lines.join('\n');
}

function formatKey(key: unknown): string {
  return formatValue(key);
}

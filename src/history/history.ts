/**
 * The history model the checkers in this layer read, as Jepsen records it
 * (https://jepsen.io, `jepsen.history`): a flat list of operations, each an **invocation** by a
 * client process or a **completion** of that process's outstanding invocation.
 *
 * - `invoke`: the client sent the request. Its `value` is the request (a read's value is usually
 *   `null`, or `[key, null]` for keyed workloads).
 * - `ok`: the operation certainly happened, exactly once, somewhere between its invocation and this
 *   completion. Its `value` is the result (a read's value is what it read).
 * - `fail`: the operation certainly did **not** happen. The checkers drop it.
 * - `info`: the outcome is unknown (a timeout, a crash, a lost connection): the operation may or may
 *   not have happened, and if it did, at **any** time after its invocation — possibly long after
 *   this completion was recorded. An invocation that never completes is the same as `info`.
 *
 * The order of the operations in the history is the real-time order of the events: if one
 * operation's completion comes before another's invocation in the list, the first finished before
 * the second began. `time` (monotonic milliseconds) is for reports, and must not decrease along the
 * list; `index` is the operation's position (assigned from the position when absent).
 *
 * A process (client) runs one operation at a time: an invocation is followed, later in the list,
 * by at most one completion of the same process and the same `f`, before that process invokes
 * again. After an `info` completion the process may invoke again (Jepsen starts a fresh process
 * instead; both are accepted — the unknown operation simply stays concurrent with everything after
 * it).
 *
 * This layer is pure: no I/O, no imports from the rest of the project.
 */

/** The four event types of a Jepsen history. */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** A client's identity in a history: Jepsen's `:process`. */
export type Process = number | string;

/** One event of a history. */
export interface Op<V = unknown> {
  /** The client process that issued the operation. */
  readonly process: Process;
  /** `invoke`, or the completion's outcome: `ok`, `fail`, `info`. */
  readonly type: OpType;
  /** The operation's name: `read`, `write`, `cas`, `txn`, `transfer`, … */
  readonly f: string;
  /** The request (on `invoke`) or the result (on `ok`); see each checker for its shapes. */
  readonly value: V;
  /** Monotonic milliseconds; must not decrease along the history. */
  readonly time: number;
  /** Position in the history; assigned from the position when absent, strictly increasing. */
  readonly index?: number;
}

/** A history: events in the order they happened. */
export type History = readonly Op[];

/** An event whose `index` is known. */
export type IndexedOp<V = unknown> = Op<V> & { readonly index: number };

/**
 * An operation: an invocation paired with its completion (see {@link pairOps}).
 *
 * `type` is the outcome: `ok`, `fail`, or `info` when the completion is `info` or missing.
 * `value` is what a checker should read: the completion's value when `ok`, else the invocation's
 * (an `info` or `fail` result carries no trustworthy information, as in Knossos).
 * `start` and `end` are positions in the history (the events' `index`); `end` is `Infinity` for an
 * `info` operation, which may take effect at any time after `start`.
 */
export interface OpPair<V = unknown> {
  /** The position of this pair in {@link pairOps}'s result (pairs are in invocation order). */
  readonly id: number;
  readonly process: Process;
  readonly f: string;
  readonly type: 'ok' | 'fail' | 'info';
  readonly value: V;
  readonly invoke: IndexedOp<V>;
  /** The completion event, `null` when the history ends with the operation outstanding. */
  readonly completion: IndexedOp<V> | null;
  /** The invocation's index. */
  readonly start: number;
  /** The completion's index, `Infinity` for an `info` operation. */
  readonly end: number;
}

/** A history that breaks the rules above; `index` is the offending event's position. */
export class MalformedHistoryError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly op?: Op,
  ) {
    super(`malformed history at event ${index}${op ? ` (${formatEvent(op)})` : ''}: ${message}`);
    this.name = 'MalformedHistoryError';
  }
}

const OP_TYPES: ReadonlySet<string> = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);

/**
 * The history with every event's `index` filled in (its position when absent). Throws a
 * {@link MalformedHistoryError} when an event is not an operation (bad `type`, `process`, `f` or
 * `time`), when indices do not strictly increase, or when time decreases.
 */
export function indexHistory(history: History): IndexedOp[] {
  const out: IndexedOp[] = [];
  let lastIndex = -Infinity;
  let lastTime = -Infinity;
  for (let position = 0; position < history.length; position++) {
    const op = history[position]!;
    if (op === null || typeof op !== 'object') throw new MalformedHistoryError('an event must be an object', position);
    if (!OP_TYPES.has(op.type)) throw new MalformedHistoryError(`type must be invoke, ok, fail or info, not ${JSON.stringify(op.type)}`, position, op);
    if (typeof op.process !== 'number' && typeof op.process !== 'string') {
      throw new MalformedHistoryError('process must be a number or a string', position, op);
    }
    if (typeof op.f !== 'string') throw new MalformedHistoryError('f must be a string', position, op);
    if (typeof op.time !== 'number' || !Number.isFinite(op.time)) throw new MalformedHistoryError('time must be a finite number', position, op);
    if (op.time < lastTime) throw new MalformedHistoryError(`time ${op.time} is before the previous event's ${lastTime}`, position, op);
    const index = op.index ?? position;
    if (typeof index !== 'number' || !Number.isInteger(index) || index <= lastIndex) {
      throw new MalformedHistoryError(`index ${String(index)} does not increase (previous ${lastIndex})`, position, op);
    }
    lastIndex = index;
    lastTime = op.time;
    out.push(op.index === index ? (op as IndexedOp) : { ...op, index });
  }
  return out;
}

/**
 * Pairs every invocation with its completion: Jepsen's `history/pair-index` and Knossos's
 * `history/complete`. Returns one {@link OpPair} per invocation, in invocation order; an invocation
 * left outstanding at the end of the history is `info` (it may or may not have happened).
 *
 * Throws a {@link MalformedHistoryError} (with the offending event's position) for: a completion
 * with no outstanding invocation on its process; a second invocation while one is outstanding on
 * the same process; a completion whose `f` differs from its invocation's; and anything
 * {@link indexHistory} rejects.
 */
export function pairOps<V = unknown>(history: History): OpPair<V>[] {
  const events = indexHistory(history) as IndexedOp<V>[];
  const pairs: Array<{ -readonly [K in keyof OpPair<V>]: OpPair<V>[K] }> = [];
  const outstanding = new Map<Process, number>();
  for (let position = 0; position < events.length; position++) {
    const op = events[position]!;
    const open = outstanding.get(op.process);
    if (op.type === 'invoke') {
      if (open !== undefined) {
        const prior = pairs[open]!.invoke;
        throw new MalformedHistoryError(
          `process ${formatProcess(op.process)} invokes while its ${prior.f} invoked at event ${prior.index} is still outstanding`,
          position,
          op,
        );
      }
      outstanding.set(op.process, pairs.length);
      pairs.push({
        id: pairs.length,
        process: op.process,
        f: op.f,
        type: 'info',
        value: op.value,
        invoke: op,
        completion: null,
        start: op.index,
        end: Infinity,
      });
      continue;
    }
    if (open === undefined) {
      throw new MalformedHistoryError(`a completion (${op.type}) with no outstanding invocation on process ${formatProcess(op.process)}`, position, op);
    }
    const pair = pairs[open]!;
    if (pair.f !== op.f) {
      throw new MalformedHistoryError(`completion ${op.f} does not match the outstanding invocation ${pair.f} at event ${pair.start}`, position, op);
    }
    outstanding.delete(op.process);
    pair.completion = op;
    pair.type = op.type;
    if (op.type === 'ok') {
      pair.value = op.value;
      pair.end = op.index;
    } else if (op.type === 'fail') {
      pair.end = op.index;
    }
  }
  return pairs;
}

/**
 * Records a history as it happens, for a workload runner: `invoke` when a client sends a request,
 * then `ok`, `fail` or `info` for that client's outcome. It enforces the rules of
 * {@link pairOps} as events arrive (throwing {@link MalformedHistoryError}) and stamps each event
 * with `clock()` (monotonic milliseconds; `performance.now()` by default) and its index.
 *
 * ```ts
 * const recorder = new HistoryRecorder();
 * recorder.invoke(1, 'write', ['x', 3]);
 * recorder.ok(1, ['x', 3]);
 * checkLinearizability(recorder.history, registerModel());
 * ```
 */
export class HistoryRecorder {
  private readonly events: IndexedOp[] = [];
  private readonly open = new Map<Process, IndexedOp>();
  private lastTime = -Infinity;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** The events so far (the recorder's own array; do not modify). */
  get history(): readonly IndexedOp[] {
    return this.events;
  }

  /** The processes with an operation outstanding. */
  outstanding(): Process[] {
    return [...this.open.keys()];
  }

  /** Records that `process` invoked `f` with `value`. */
  invoke<V>(process: Process, f: string, value: V): IndexedOp<V> {
    const prior = this.open.get(process);
    if (prior) {
      const refused = { process, type: 'invoke' as const, f, value, time: Math.max(this.lastTime, 0), index: this.events.length };
      throw new MalformedHistoryError(`process ${formatProcess(process)} already has ${prior.f} outstanding (event ${prior.index})`, refused.index, refused);
    }
    const op = this.stamp({ process, type: 'invoke', f, value });
    this.events.push(op);
    this.open.set(process, op);
    return op as IndexedOp<V>;
  }

  /** Records that `process`'s outstanding operation happened, with result `value`. */
  ok<V>(process: Process, value: V): IndexedOp<V> {
    return this.complete(process, 'ok', value);
  }

  /** Records that `process`'s outstanding operation certainly did not happen. */
  fail<V>(process: Process, value?: V): IndexedOp<V> {
    return this.complete(process, 'fail', value);
  }

  /** Records that `process`'s outstanding operation may or may not have happened. */
  info<V>(process: Process, value?: V): IndexedOp<V> {
    return this.complete(process, 'info', value);
  }

  /**
   * Records a completion of `process`'s outstanding operation; `value` defaults to the
   * invocation's value.
   */
  complete<V>(process: Process, type: 'ok' | 'fail' | 'info', value?: V): IndexedOp<V> {
    const invoked = this.open.get(process);
    if (!invoked) {
      const refused = { process, type, f: '?', value, time: Math.max(this.lastTime, 0), index: this.events.length };
      throw new MalformedHistoryError(`a completion (${type}) with no outstanding invocation on process ${formatProcess(process)}`, refused.index, refused);
    }
    const op = this.stamp({ process, type, f: invoked.f, value: value === undefined ? invoked.value : value });
    this.events.push(op);
    this.open.delete(process);
    return op as IndexedOp<V>;
  }

  private stamp(op: Omit<Op, 'time' | 'index'>): IndexedOp {
    const time = Math.max(this.clock(), this.lastTime);
    this.lastTime = time;
    return { ...op, time, index: this.events.length };
  }
}

/** A process id as printed: `3`, or a string in quotes. */
export function formatProcess(process: Process): string {
  return typeof process === 'number' ? String(process) : JSON.stringify(process);
}

/**
 * A value in compact text, as Jepsen prints them: arrays as vectors `[x 3]`, objects as
 * `{a 1, b 2}`, identifier-like strings bare (others quoted), `undefined` as `?`.
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return '?';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'string') {
    return /^[A-Za-z_][\w.:-]*$/.test(value) && !['null', 'true', 'false'].includes(value) ? value : JSON.stringify(value);
  }
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${formatValue(k)} ${formatValue(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** One event as text: `#12 p3 ok write [x 3] @ 10.5ms`. */
export function formatEvent(op: Op): string {
  const index = op.index === undefined ? '' : `#${op.index} `;
  return `${index}p${formatProcess(op.process)} ${op.type} ${op.f} ${formatValue(op.value)} @ ${formatTime(op.time)}`;
}

/**
 * One operation as text: `p3 write [x 3] → ok (#12–#15, 10.5–11.0 ms)`; an `info` operation reads
 * `… → info (#12–∞, from 10.5 ms)`. `options.value` replaces the value's text (to abbreviate it).
 */
export function formatPair(pair: OpPair, options: { readonly value?: string } = {}): string {
  const valueText = options.value ?? formatValue(pair.value);
  const span =
    pair.type === 'info'
      ? `#${pair.start}–∞, from ${formatTime(pair.invoke.time)}`
      : `#${pair.start}–#${pair.end}, ${formatMs(pair.invoke.time)}–${formatTime(pair.completion!.time)}`;
  return `p${formatProcess(pair.process)} ${pair.f} ${valueText} → ${pair.type} (${span})`;
}

/** Milliseconds as text: `10.5 ms`. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? `${formatMs(ms)} ms` : '∞';
}

function formatMs(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : String(Number(ms.toFixed(ms < 10 ? 2 : 1)));
}

import type { Op, OpType } from '../../src/history/index.ts';

/** A compact way to write a history by hand: `[process, type, f, value]`, time = position. */
export function events(...rows: ReadonlyArray<readonly [number | string, OpType, string, unknown]>): Op[] {
  return rows.map(([process, type, f, value], time) => ({ process, type, f, value, time }));
}

/** One random decision of {@link simulateRegister}; fast-check generates these and shrinks them. */
export interface Choice {
  /** Which kind of event: invoke, take effect, complete, crash. */
  readonly action: number;
  /** Which operation to invoke (read, write, cas), or how a crash ends. */
  readonly f: number;
  /** Which key, or which process. */
  readonly key: number;
  /** A value, or which pending operation. */
  readonly value: number;
}

export interface SimulateOptions {
  readonly processes: number;
  readonly keys: number;
  /** Values are 0 … values - 1. */
  readonly values: number;
  /** Stop invoking after this many operations. */
  readonly maxOps?: number;
  /** Out of 1000 decisions, how many crash a pending operation (fail or info). */
  readonly crashPerMille?: number;
}

interface Pending {
  readonly process: number;
  readonly f: 'read' | 'write' | 'cas';
  readonly key: string;
  readonly arg: unknown;
  done: boolean;
  result?: unknown;
  failed?: boolean;
}

/**
 * Runs a real sequential key-value register under concurrent clients, driven by `choices`: clients
 * invoke reads, writes and compare-and-sets; each pending operation takes effect at some moment (its
 * linearization point) between its invocation and its completion, on the one real register; some
 * crash before completing — `fail` only if they never took effect, `info` whether or not (and an
 * `info` operation that had not taken effect may still take effect later, as Jepsen allows). The
 * history is linearizable by construction.
 */
export function simulateRegister(choices: readonly Choice[], options: SimulateOptions): Op[] {
  const history: Op[] = [];
  const store = new Map<string, number>();
  const slots: Array<{ pid: number; pending: Pending | null }> = Array.from({ length: options.processes }, (_, i) => ({ pid: i, pending: null }));
  let nextPid = options.processes;
  const zombies: Pending[] = []; // info operations that never took effect (yet)
  let invoked = 0;
  const crash = options.crashPerMille ?? 60;
  const emit = (process: number, type: OpType, f: string, value: unknown) => history.push({ process, type, f, value, time: history.length });
  const apply = (op: Pending) => {
    const current = store.has(op.key) ? store.get(op.key)! : null;
    if (op.f === 'read') op.result = current;
    else if (op.f === 'write') store.set(op.key, op.arg as number);
    else {
      const [expected, next] = op.arg as [number, number];
      if (current === expected) store.set(op.key, next);
      else op.failed = true;
    }
    op.done = true;
  };
  for (const choice of choices) {
    const pending = slots.filter((s) => s.pending && !s.pending.done);
    const effective = slots.filter((s) => s.pending?.done);
    const free = slots.filter((s) => !s.pending);
    const possible = [
      free.length > 0 && (options.maxOps === undefined || invoked < options.maxOps), // invoke
      pending.length + zombies.length > 0, // take effect
      effective.length > 0, // complete
      pending.length + effective.length > 0, // crash
    ];
    const roll = choice.action % 1000;
    let kind = roll < 350 ? 0 : roll < 650 ? 1 : roll < 1000 - crash ? 2 : 3;
    // An impossible choice falls back to the next possible of invoke, take effect, complete.
    if (!possible[kind]) kind = [1, 2, 0, 1, 2].slice(kind === 3 ? 0 : kind).find((k) => possible[k]) ?? -1;
    if (kind < 0) break;
    if (kind === 0) {
      const slot = free[choice.key % free.length]!;
      const f = (['read', 'write', 'cas'] as const)[choice.f % 3]!;
      const key = `k${choice.key % options.keys}`;
      const arg = f === 'read' ? null : f === 'write' ? choice.value % options.values : [choice.value % options.values, (choice.value >> 3) % options.values];
      slot.pending = { process: slot.pid, f, key, arg, done: false };
      invoked++;
      emit(slot.pid, 'invoke', f, [key, arg]);
    } else if (kind === 1) {
      // A pending operation (or a crashed one that had not taken effect) takes effect now.
      const candidates = [...pending.map((s) => s.pending!), ...zombies];
      const op = candidates[choice.value % candidates.length]!;
      apply(op);
      const z = zombies.indexOf(op);
      if (z >= 0) zombies.splice(z, 1);
    } else if (kind === 2) {
      const slot = effective[choice.value % effective.length]!;
      const op = slot.pending!;
      if (op.failed) emit(slot.pid, 'fail', op.f, [op.key, op.arg]);
      else emit(slot.pid, 'ok', op.f, [op.key, op.f === 'read' ? op.result : op.arg]);
      slot.pending = null;
    } else {
      const crashable = [...pending, ...effective];
      const slot = crashable[choice.value % crashable.length]!;
      const op = slot.pending!;
      if (!op.done && choice.f % 2 === 0) {
        emit(slot.pid, 'fail', op.f, [op.key, op.arg]);
      } else {
        emit(slot.pid, 'info', op.f, [op.key, op.arg]);
        if (!op.done) zombies.push(op);
        // Jepsen gives the client a fresh process after an info; reuse the id half the time.
        if (choice.key % 2 === 0) slot.pid = nextPid++;
      }
      slot.pending = null;
    }
  }
  return history;
}

/** A small seeded PRNG (mulberry32) for the performance test's large histories. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random choices from a seed. */
export function randomChoices(seed: number, count: number): Choice[] {
  const random = prng(seed);
  const int = () => Math.floor(random() * 2 ** 30);
  return Array.from({ length: count }, () => ({ action: int(), f: int(), key: int(), value: int() }));
}

/** The kinds of step the checker takes; a step is (kind, node, item). */
export const ActionKind = {
  /** Deliver envelope `item` to `node`. */
  Deliver: 0,
  /** Fire timer `item` (an interned timer event) at `node`. */
  Timer: 1,
  /** `node` takes its spontaneous event number `item`. */
  Spontaneous: 2,
  Crash: 3,
  Restart: 4,
  /** Lose envelope `item` (one copy) from the network; `node` is its receiver. */
  Drop: 5,
  /** Add a second copy of envelope `item`; `node` is its receiver. */
  Duplicate: 6,
} as const;

export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

/** Steps that only the fault budgets allow: a quiescent state may still have these. */
export const isFault = (kind: ActionKind): boolean => kind === ActionKind.Crash || kind === ActionKind.Drop || kind === ActionKind.Duplicate;

/** A step as found by the explorer. */
export interface Action {
  readonly kind: ActionKind;
  readonly node: number;
  readonly item: number;
}

/** Receives the successors of a state; returns false to stop the enumeration. */
export interface SuccessorSink {
  accept(next: Int32Array, length: number, kind: ActionKind, node: number, item: number): boolean;
  /**
   * Asked, if present, before the successor of a delivery, timer or spontaneous step (not a
   * stutter) is built, with the local state the step takes its node to: true leaves the step out,
   * unbuilt. Partial-order reduction skips the steps asleep in the state (explore.ts).
   */
  skip?(kind: ActionKind, node: number, item: number, local: number): boolean;
}

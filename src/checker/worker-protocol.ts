import type { CheckResult, Violation } from './explore.ts';
import type { LevelLimits } from './level-exploration.ts';
import type { ModelSource } from './model-source.ts';

/** What a worker thread of a parallel check is started with (its workerData). */
export interface WorkerSetup {
  /** The model's file and parameters, without the built model, which cannot cross threads. */
  readonly source: Omit<ModelSource, 'model'>;
  readonly index: number;
  readonly workers: number;
  readonly limits: LevelLimits;
  /** The first level at least this wide is shared out; the levels before it every worker explores alike. */
  readonly sharedLevelWidth: number;
  /** Int32 words, indexed by CONTROL. */
  readonly control: SharedArrayBuffer;
  /** Float64 per worker: its stored states, generated successors and expanded states, for progress reports. */
  readonly stats: SharedArrayBuffer;
  /** The shared fingerprint set (shared-fingerprint-set.ts). */
  readonly table: SharedArrayBuffer;
}

/** The words of the control buffer. */
export const CONTROL = {
  /** Set by whichever thread stops the run (a violation, a limit, an error): the others stop too. */
  stop: 0,
  /** Set by a worker that found the table half full: every worker pauses until the coordinator grows it. */
  grow: 1,
  /** States stored by all workers together (the prefix counted once), for maxStates. */
  admitted: 2,
} as const;
export const CONTROL_WORDS = 3;
export const STATS_PER_WORKER = 3;

export type ToWorker =
  /** Expand this level (`depth` steps from the initial state); `first` when it is the level explored alike before. */
  | { readonly type: 'level'; readonly depth: number; readonly first: boolean }
  /** The fingerprint set, grown: use it from now on, and resume if paused. */
  | { readonly type: 'table'; readonly table: SharedArrayBuffer };

interface Outcome {
  readonly distinct: number;
  readonly generated: number;
  readonly goals: readonly { readonly name: string; readonly reached: boolean }[];
  readonly violation?: Violation;
  readonly limitHit?: CheckResult['limitHit'];
}

export type FromWorker =
  /** The levels explored alike are done; `finished` when the run ended within them. */
  | ({ readonly type: 'prefix'; readonly finished: boolean; readonly depth: number; readonly levelStart: number } & Outcome)
  /** The worker's part of the level is done (or stopped), `admitted` states stored for the next. */
  | ({ readonly type: 'levelDone'; readonly admitted: number } & Outcome)
  /** Paused until the table is grown. */
  | { readonly type: 'paused' }
  /** Building the model (`loading`) or exploring failed. */
  | { readonly type: 'error'; readonly loading: boolean; readonly modelError: boolean; readonly message: string; readonly stack?: string | undefined };

import type { Trace } from '../checker/index.ts';

/** A lasso's marks (see Trace.loopsTo), worded once for every rendering of a trace. */
export interface LassoMarks {
  /** The step the behaviour returns to: its cycle repeats steps loopsTo+1 .. the last. */
  readonly loopsTo: number;
  /** Whether the cycle is empty: the behaviour stays in its last state forever. */
  readonly stutters: boolean;
  /** The number of the cycle's first step (undefined when it stutters). */
  readonly cycleStart: number | undefined;
  /** Shown before the cycle's first step. */
  readonly startText: string;
  /** Shown after the last step: where the behaviour goes on. */
  readonly endText: string;
  /** The verdict, in place of "fails in the last state". */
  readonly verdictText: string;
}

/** The marks of a lasso, or undefined for a finite trace. */
export function lassoOf(trace: Trace): LassoMarks | undefined {
  if (trace.loopsTo === undefined) return undefined;
  const { loopsTo } = trace;
  const last = trace.steps.length;
  const stutters = loopsTo >= last;
  const target = loopsTo === 0 ? 'the initial state' : `the state after step ${loopsTo}`;
  return {
    loopsTo,
    stutters,
    cycleStart: stutters ? undefined : loopsTo + 1,
    startText: stutters ? '' : `↻ cycle starts here: steps ${loopsTo + 1}–${last} repeat forever`,
    endText: stutters ? '⟲ stays in this state forever (stutters): no fair action is enabled here' : `↺ back to step ${loopsTo}: the last state is ${target}`,
    verdictText: `${trace.property} fails on this infinite fair behaviour`,
  };
}

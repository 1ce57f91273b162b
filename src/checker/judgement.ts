import type { CheckResult } from './explore.ts';
import type { ExpectedResult } from './model.ts';

/**
 * What a run says about its model, measured against the model's record. One rule for every
 * command that runs a model (check, simulate):
 *
 * - `recorded`: the run *is* the recorded result — the recorded violation was found, or the
 *   exploration was complete, nothing failed, and the state count is exactly the recorded one.
 * - `unrecorded`: complete and passing, and the model records no count to hold it to.
 * - `bounded`: a bound (states, depth, time — or the nature of a simulation) stopped the search
 *   before it found anything. Nothing is proven about the states it never reached, so it is never
 *   "as recorded"; it is `accepted` only when the caller allows bounded runs and the model does not
 *   record a violation (a bounded run that misses the bug it must show has checked nothing).
 * - `differs`: a departure from the record — another verdict, another property, another count.
 */
export type Judgement =
  | { readonly kind: 'recorded' }
  | { readonly kind: 'unrecorded' }
  | { readonly kind: 'bounded'; readonly accepted: boolean; readonly reason: string }
  | { readonly kind: 'differs'; readonly reason: string };

/** The part of a run's result a judgement needs: check's and simulate's results both have it. */
export interface JudgedResult {
  readonly verdict: CheckResult['verdict'];
  readonly distinct: number;
  readonly violation?: { readonly property: string };
  readonly limitHit?: CheckResult['limitHit'];
}

export interface JudgementOptions {
  /** Whether a bounded run that found nothing may pass (`--allow-incomplete`; always for simulate). */
  readonly allowBounded: boolean;
  /** Whether the run explored every reachable state when it did not stop at a bound (false for simulation). */
  readonly exhaustive: boolean;
}

export function judge(result: JudgedResult, expected: ExpectedResult | undefined, options: JudgementOptions): Judgement {
  if (result.verdict === 'violation') {
    const found = result.violation!.property;
    if (expected?.verdict !== 'violation') {
      return { kind: 'differs', reason: `${found} fails, where the model records ${expected ? 'that every property holds' : 'nothing (so every property must hold)'}` };
    }
    if (expected.property !== undefined && expected.property !== found) {
      return { kind: 'differs', reason: `${found} fails, where the model records a violation of ${expected.property}` };
    }
    return { kind: 'recorded' };
  }

  const bound = result.verdict === 'incomplete' || !options.exhaustive;
  if (bound) {
    const stopped = result.verdict === 'incomplete' ? `the run stopped at its bound (${result.limitHit})` : 'the walks of a simulation ended';
    if (expected?.verdict === 'violation') {
      return { kind: 'bounded', accepted: false, reason: `${stopped} without finding the recorded violation${expected.property ? ` of ${expected.property}` : ''}` };
    }
    const unproven = expected?.distinct !== undefined ? `the recorded ${count(expected.distinct)} states were not all checked` : 'the states beyond it were not checked';
    return { kind: 'bounded', accepted: options.allowBounded, reason: `${stopped}: ${unproven}` };
  }

  if (!expected) return { kind: 'unrecorded' };
  if (expected.verdict === 'violation') {
    return { kind: 'differs', reason: `every property holds, where the model records a violation${expected.property ? ` of ${expected.property}` : ''}` };
  }
  if (expected.distinct !== undefined && result.distinct !== expected.distinct) {
    return { kind: 'differs', reason: `${count(result.distinct)} distinct states, where the model records ${count(expected.distinct)}` };
  }
  return { kind: 'recorded' };
}

/** Whether a judgement lets the command exit 0. */
export const passes = (judgement: Judgement): boolean =>
  judgement.kind === 'recorded' || judgement.kind === 'unrecorded' || (judgement.kind === 'bounded' && judgement.accepted);

const count = (n: number): string => n.toLocaleString('en');

/** Why a run is not as recorded (none for `recorded` and `unrecorded`). */
export const reasonOf = (judgement: Judgement): string | undefined => ('reason' in judgement ? judgement.reason : undefined);

import type { ParticipantState } from './messages.ts';

/**
 * What a backup coordinator does with the states it collected (its own included): Bernstein,
 * Hadzilacos & Goodman (1987), §7.5, the termination rules of 3PC.
 *
 * - TR1: some participant aborted → abort. (A participant still `working` never voted Yes, so
 *   the coordinator cannot have decided to commit: it counts as aborted.)
 * - TR2: some participant committed → commit.
 * - TR3: every participant is uncertain → abort. No one can have committed: the coordinator
 *   commits only after every live participant acknowledged PreCommit.
 * - TR4: some participant is committable, none decided → send PreCommit to the uncertain ones,
 *   and commit once they have acknowledged it.
 *
 * Sound only if the states come from every participant that has not crashed, and only crashed
 * ones are left out: that is 3PC's assumption of perfect failure detection.
 */
export type TerminationOutcome = 'abort' | 'commit' | 'precommit';

export function terminationRule(states: readonly ParticipantState[]): TerminationOutcome {
  if (states.some((s) => s === 'aborted' || s === 'working')) return 'abort';
  if (states.includes('committed')) return 'commit';
  if (states.includes('committable')) return 'precommit';
  return 'abort';
}

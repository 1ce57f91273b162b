import { defineModel } from '../../src/checker/index.ts';
import { raftLivenessModel } from './_liveness.ts';

/** Distinct states by (terms, inFlight), as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '3/4': 10976, '3/5': 66732, '3/6': 244820 };

/**
 * Liveness of Raft: with an eventually stable leader (s1; see _liveness.ts for the assumption and
 * its fairness) a value is eventually chosen — once s1 leads with a client's entry of its term,
 * some server commits it, on every fair behaviour, cycles included — though s3 may crash-stop at
 * any moment, before or after voting, and s1 may have to campaign again. ElectionSafety,
 * LogMatching, LeaderCompleteness and StateMachineSafety hold throughout.
 */
export default defineModel({
  description: 'Raft, 3 servers, s3 may crash-stop, a stable leader (fair s1): its entry is eventually committed',
  parameters: {
    terms: { description: 'highest term explored', default: 3, min: 1, max: 5 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 5, min: 1, max: 8 },
  },
  build: ({ terms, inFlight }) => raftLivenessModel({ terms: terms!, inFlight: inFlight! }),
  expected: ({ terms, inFlight }) => {
    const distinct = DISTINCT_STATES[`${terms}/${inFlight}`];
    return distinct !== undefined ? { verdict: 'ok', distinct } : { verdict: 'ok' };
  },
});

import { defineModel } from '../../src/checker/index.ts';
import { paxosCommitLivenessModel } from './_liveness.ts';

/** Distinct states by (rms, acceptors), for 6 messages in flight, as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '1/3': 88696, '2/3': 824588 };

/**
 * Liveness of Paxos Commit: with three acceptors one may crash-stop, and still every prepared RM
 * eventually decides — on every fair behaviour, cycles included — where 2PC blocks when its TM
 * fails (two-phase-over-groups/plain-2pc-never-decides). TCConsistent and the TCommit refinement
 * hold throughout. See _liveness.ts for the configuration and its fairness.
 */
export default defineModel({
  description: 'Paxos Commit, an acceptor may crash-stop, fair deliveries and timers: every prepared RM eventually decides',
  parameters: {
    rms: { description: 'resource managers', default: 2, min: 1, max: 3 },
    acceptors: { description: 'acceptors (2F+1 tolerate F failures)', default: 3, min: 1, max: 5 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 6, min: 1, max: 20 },
  },
  build: ({ rms, acceptors, inFlight }) => paxosCommitLivenessModel(rms!, acceptors!, inFlight!),
  expected: ({ rms, acceptors, inFlight }) =>
    inFlight === 6 && DISTINCT_STATES[`${rms}/${acceptors}`] !== undefined ? { verdict: 'ok', distinct: DISTINCT_STATES[`${rms}/${acceptors}`] } : { verdict: 'ok' },
});

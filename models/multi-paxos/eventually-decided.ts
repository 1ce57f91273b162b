import { defineModel } from '../../src/checker/index.ts';
import { multiPaxosLivenessModel } from './_liveness.ts';

/** Distinct states by (ballots, inFlight), as recorded. */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '3/4': 11948, '3/5': 79300 };

/**
 * Liveness of Multi-Paxos: with an eventually stable leader (r1; see _liveness.ts for the
 * assumption and its fairness) a value is eventually chosen and learned — once r1 leads with a
 * client's command proposed, some live replica decides a command, on every fair behaviour, cycles
 * included — though r2 may depose r1 first (r1 then campaigns again and re-proposes what its
 * quorum reports) and r3 may crash-stop at any moment. The replicated-log safety properties hold
 * throughout.
 */
export default defineModel({
  description: 'Multi-Paxos, 3 replicas, r3 may crash-stop, r2 may depose r1, a stable leader (fair r1): a command is decided',
  parameters: {
    ballots: { description: 'highest ballot explored (3: r2 in 1, then r1 again in 3)', default: 3, min: 0, max: 6 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 5, min: 1, max: 8 },
  },
  build: ({ ballots, inFlight }) => multiPaxosLivenessModel({ ballots: ballots!, inFlight: inFlight! }),
  expected: ({ ballots, inFlight }) => {
    const distinct = DISTINCT_STATES[`${ballots}/${inFlight}`];
    return distinct !== undefined ? { verdict: 'ok', distinct } : { verdict: 'ok' };
  },
});

import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { commandNames, multiPaxosModel } from './_build.ts';

/**
 * Multi-Paxos as deployed, small enough to exhaust in CI: three replicas, r1 leading ballot 0 from
 * the start; a client asks r1 for c1 and r2 for c2. r2 may suspect the leader and campaign in
 * ballot 1, r3 in ballot 2 — two leader changes, concurrent or one after the other — and r3 must
 * finish whatever it adopts. Any replica may crash and restart from its promises, votes and decided
 * log; the network reorders messages (multiset), and with the budgets, loses and duplicates them.
 * At most `inFlight` messages in flight are explored (the boundary), as in two-phase/faulty.
 *
 * The replicas are not a symmetry set: each owns its own ballots, and r1 starts as leader.
 */
export default defineModel({
  description: 'Multi-Paxos: two leader changes, two commands, crashes and restarts, reordering',
  parameters: {
    ballots: { description: 'highest ballot a replica may campaign in (2: r2 in 1, r3 in 2)', default: 2, min: 0, max: 5 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'replica'),
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 4, min: 1, max: 12 },
  },
  build: ({ ballots, crashes, loss, duplication, inFlight }) =>
    multiPaxosModel({
      replicas: 3,
      commands: commandNames(2),
      requests: (id) => ({ r1: ['c1'], r2: ['c2'] })[id] ?? [],
      maxBallot: ballots!,
      maxInFlight: inFlight!,
      network: 'multiset',
      faults: { crash: crashes!, loss: loss!, duplication: duplication! },
      heartbeat: false,
    }),
  expected: (p) =>
    p.ballots === 2 && p.crashes === 1 && p.loss === 0 && p.duplication === 0 && p.inFlight === 4 ? { verdict: 'ok', distinct: 158666 } : { verdict: 'ok' },
});

import { defineModel, sometimes } from '../../src/checker/index.ts';
import { commitProperties } from '../_shared/commit.ts';
import { faultParameters } from '../_shared/faults.ts';
import { paxosCommitModel } from './_build.ts';

/**
 * Paxos Commit as deployed: one leader in deployed mode (it asks the RMs to prepare, learns each
 * instance's outcome from a majority of phase 2b votes, and on `retryTimeout` — or at once after
 * restarting — runs its next ballot in every instance it has not learned), three acceptors, a
 * multiset network, and crashes of the leader or of any acceptor, each restarting from its
 * durable state: acceptors their promises and votes, the leader the last ballot it used (and
 * nothing else: the outcome lives with the acceptors). RMs and acceptors are symmetry sets.
 *
 * TCConsistent holds and the model refines TCommit; a commit is reached while an acceptor is down,
 * which 2PC cannot do while its TM is (two-phase/faulty shows the blocked state).
 *
 * The defaults keep the check to seconds. Messages in flight are bounded by 6: a ballot started
 * in two instances sends six phase 1a messages at once, so a lower bound would cut off every
 * retry and restart of the leader. Message loss is 0 by default: in a multiset network a lost
 * message is, to every node, a message not delivered yet, which the checker already explores,
 * so loss adds states only by freeing room under the bound (--param loss=1 checks it).
 * RMs do not abort on their own by default (--param rmAborts=1); aborts still come from the
 * leader's ballots, which propose `aborted` for every instance phase 1 shows free.
 */
export default defineModel({
  description: 'Paxos Commit as deployed: acceptor and leader crashes, message loss, leader retries in new ballots',
  parameters: {
    rms: { description: 'resource managers', default: 2, min: 1, max: 3 },
    acceptors: { description: 'acceptors (2F+1 tolerate F failures)', default: 3, min: 1, max: 5 },
    ballots: { description: "the leader's ballots 1..N, each taken on a retry or a restart", default: 1, min: 1, max: 4 },
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'acceptor or leader'),
    rmAborts: { description: 'RMs may abort on their own while working (1) or not (0)', default: 0, min: 0, max: 1 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 6, min: 1, max: 20 },
  },
  build: ({ rms, acceptors, ballots, loss, duplication, crashes, rmAborts, inFlight }) =>
    paxosCommitModel({
      rms: rms!,
      acceptors: acceptors!,
      leaders: [Array.from({ length: ballots! }, (_, i) => i + 1)],
      mode: 'deployed',
      rmsMayAbort: rmAborts === 1,
      network: 'multiset',
      faults: {
        loss: loss!,
        duplication: duplication!,
        crash: crashes!,
        crashable: ['l1', ...Array.from({ length: acceptors! }, (_, i) => `a${i + 1}`)],
      },
      boundary: (state) => state.messageCount <= inFlight!,
      symmetric: { rms: true, acceptors: true },
      properties: ({ rms: ids, acceptors: accs }) => [
        ...commitProperties(ids),
        // Non-blocking: an RM learns Commit while one of the 2F+1 acceptors is down.
        sometimes('CommitWhileAnAcceptorIsDown', (state) => accs.some((a) => state.node(a).crashed) && ids.some((rm) => state.node(rm).value === 'committed')),
      ],
    }),
  expected: (p) =>
    p.rms === 2 && p.acceptors === 3 && p.ballots === 1 && p.loss === 0 && p.duplication === 0 && p.crashes === 1 && p.rmAborts === 0 && p.inFlight === 6
      ? { verdict: 'ok', distinct: 247943, distinctWithoutSymmetry: 2809015 }
      : { verdict: 'ok' },
});

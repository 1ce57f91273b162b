import { defineModel } from '../../src/checker/index.ts';
import { commitProperties } from '../_shared/commit.ts';
import { paxosCommitModel } from './_build.ts';

/**
 * Paxos Commit with the semantics of Lamport's PaxosCommit.tla (tlaplus/Examples,
 * specifications/transaction_commit): a message set, no faults, one leader that may start any
 * ballot > 0 of any instance whenever it likes (Phase1a), RMs that prepare when asked (RMPrepare:
 * the leader's Prepare requests sit in the set from the start, so delivering one is the spec's
 * spontaneous step) or abort on their own (RMChooseToAbort), acceptors that promise (Phase1b) and
 * vote (Phase2b). Defaults are PaxosCommit.cfg's acceptors and ballots; its two RMs are
 * `--param rms=2`.
 *
 * Why the counts are not TLC's. PaxosCommit.tla's leader has no variables: Phase2a and Decide read
 * the message set. A machine knows only the messages delivered to it, so the leader keeps the phase
 * 1b reports and 2b votes it has received, and a state in which it holds one report of a majority
 * differs from the state in which it holds none, though both have the same rmState, aState and
 * msgs. Everything else matches: the leader acts on the report or vote that completes what it
 * needs, and since a message in the set may be delivered at any later time, every timing the
 * spec allows is reached. Projected onto the spec's variables (`_projection.ts`), the reachable
 * states are exactly TLC's, in every configuration compared (the tests assert it).
 *
 * | RMs, acceptors, ballots | distinct states | as PaxosCommit.tla's variables | TLC |
 * |---|---|---|---|
 * | 1, 1, {0,1}     | 45        | 45        | 45        |
 * | 1, 1, {0,1,2}   | 245       | 245       | 245       |
 * | 2, 1, {0}       | 54        | 44        | 44        |
 * | 3, 1, {0}       | 392       | 302       | 302       |
 * | 2, 1, {0,1}     | 1,675     | 1,425     | 1,425     |
 * | 1, 3, {0,1}     | 5,145     | 1,461     | 1,461     |
 * | 2, 1, {0,1,2}   | 47,475    | 41,225    | 41,225    |
 * | 1, 3, {0,1,2}   | 491,477   | 66,893    | 66,893    |
 * | 2, 3, {0,1} (PaxosCommit.cfg) | 21,471,625 | 1,321,761 | 1,321,761 |
 *
 * PaxosCommit.cfg's constants take about 3 minutes here (117,000 states/s; TLC, one worker on the
 * same busy machine, took 7 min 53 s for its 1,321,761), so the default is one RM; `--param rms=2`
 * checks them. Depth: 32 steps against TLC's 28 states (27 steps), the leader's receipts being
 * steps of their own.
 *
 * With one acceptor (F = 0) Paxos Commit is Two-Phase Commit with the acceptor as the TM's stable
 * storage: each instance's value is written once, by the RM's ballot-0 vote or the leader's
 * abort in a ballot of its own (a later ballot re-proposes it), and the leader commits exactly
 * when every RM's `prepared` is recorded there — TwoPhase.tla's TMCommit with the acceptor's
 * record as tmPrepared. The RM outcomes reached (TCommit's states) are 2PC's (see the tests).
 */
const DISTINCT_STATES: Readonly<Record<string, number>> = {
  '1,1,1': 8,
  '2,1,1': 54,
  '3,1,1': 392,
  '1,1,2': 45,
  '2,1,2': 1675,
  '1,3,2': 5145,
  '1,1,3': 245,
  '2,1,3': 47475,
  '1,3,3': 491477,
  '2,3,2': 21471625,
};

export default defineModel({
  description: "Paxos Commit with the semantics of Lamport's PaxosCommit.tla (message set, no faults); refines TCommit",
  parameters: {
    rms: { description: 'resource managers, one Paxos instance each', default: 1, min: 1, max: 4 },
    acceptors: { description: 'acceptors (2F+1 tolerate F failures); a quorum is a majority', default: 3, min: 1, max: 5 },
    ballots: { description: "ballots 0..N-1: 0 is each RM's, the others the leader's", default: 2, min: 1, max: 4 },
  },
  build: ({ rms, acceptors, ballots }) =>
    paxosCommitModel({
      rms: rms!,
      acceptors: acceptors!,
      leaders: [Array.from({ length: ballots! - 1 }, (_, i) => i + 1)],
      mode: 'spontaneous',
      network: 'set',
      properties: ({ rms: ids }) => commitProperties(ids),
    }),
  expected: ({ rms, acceptors, ballots }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${rms},${acceptors},${ballots}`] }),
});

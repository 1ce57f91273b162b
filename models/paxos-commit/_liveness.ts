import type { Model, Property } from '../../src/checker/index.ts';
import { leadsTo } from '../../src/checker/index.ts';
import { NoRMPrepared, SomeRMPrepared } from '../../spec/commit-liveness.ts';
import { commitProperties, tcommitState } from '../_shared/commit.ts';
import { acceptorIds, paxosCommitModel } from './_build.ts';

/** Every prepared RM eventually decides: SomeRMPrepared ~> NoRMPrepared (spec/commit-liveness.ts). */
const preparedRMsEventuallyDecide = (rms: readonly string[]): Property =>
  leadsTo('PreparedRMsEventuallyDecide', tcommitState(rms), (abstract) => SomeRMPrepared(abstract.rmState), (abstract) => NoRMPrepared(abstract.rmState));

/**
 * Paxos Commit for liveness (Gray and Lamport 2006, §4: with 2F+1 acceptors it makes progress
 * while at most F fail): the deployed leader with one ballot (it retries on `retryTimeout`), RMs
 * that do not abort on their own, a multiset network bounded to `inFlight` messages, and one
 * acceptor that may crash-stop. The leader and the RMs never fail, and deliveries and timers are
 * weakly fair. No symmetry sets (liveness needs the full graph).
 *
 * The boundary: a step into a state with more messages in flight is an enabled step whose target
 * is not explored, so a behaviour that would go there is never reported as stuck; violations
 * beyond the boundary are not looked for.
 */
export function paxosCommitLivenessModel(rms: number, acceptors: number, inFlight: number): Model {
  const model = paxosCommitModel({
    rms,
    acceptors,
    leaders: [[1]],
    mode: 'deployed',
    rmsMayAbort: false,
    network: 'multiset',
    faults: { crash: 1, crashable: acceptorIds(acceptors), restart: false },
    boundary: (state) => state.messageCount <= inFlight,
    properties: ({ rms: ids }) => [...commitProperties(ids), preparedRMsEventuallyDecide(ids)],
  });
  return { ...model, fairness: { weak: ['deliver', 'timer'] } };
}

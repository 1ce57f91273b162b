import type { Model, Property } from '../../src/checker/index.ts';
import { abstraction, leadsTo } from '../../src/checker/index.ts';
import type { RMStates, TCommitContext } from '../../spec/commit.ts';
import { NoRMPrepared, SomeRMPrepared } from '../../spec/commit-liveness.ts';
import { twoPhaseModel } from '../two-phase/_build.ts';
import { abstractRM, abstractTM, rmState, tmCrashProperties, type Arrangement } from './_abstract.ts';

const rmStates = (rms: readonly string[]) =>
  abstraction<TCommitContext>(
    (node) => (rms.includes(node.id) ? rmState(node) : undefined),
    (parts) => ({ rmState: parts as RMStates }),
  );

/** Every prepared RM eventually decides: SomeRMPrepared ~> NoRMPrepared (spec/commit-liveness.ts). */
export const preparedRMsEventuallyDecide = (rms: readonly string[]): Property =>
  leadsTo('PreparedRMsEventuallyDecide', rmStates(rms), (abstract) => SomeRMPrepared(abstract.rmState), (abstract) => NoRMPrepared(abstract.rmState));

/**
 * The configuration of `tmCrashModel` (src/two-phase-over-groups/_abstract.ts) for liveness: RMs
 * on a reliable multiset network, the TM deciding on the last vote and aborting on its vote
 * timeout, one failure of the TM — with weak fairness for every node's deliveries and timers
 * (WF per node: a node that can receive a message eventually does, an armed timer eventually
 * fires). The RMs' choice to abort is not fair: an RM may work forever. No symmetry sets:
 * liveness is checked on the full graph (see src/checker/explore.ts).
 *
 * Plain 2PC's TM crash-stops, and a crash is never fair to undo. The replicated TM's failure is
 * its group failing over (`faults.failover`): the leader fails and a new one takes over with the
 * actor's state, in one step, which is the group's own liveness assumption — a majority of its
 * replicas up and, eventually, a stable leader; FLP rules out anything unconditional.
 */
export function tmFailureLivenessModel(arrangement: Arrangement, rms: number): Model {
  const replicated = arrangement === 'replicated';
  const model = twoPhaseModel({
    rms,
    network: 'multiset',
    tm: { commitOnLastVote: true, retransmit: false },
    rm: { acknowledge: false },
    ...(replicated ? { tmMachine: abstractTM, rmMachine: abstractRM } : {}),
    faults: replicated ? { crash: 1, crashable: ['tm'], failover: true } : { crash: 1, crashable: ['tm'], restart: false },
    // The safety properties, and the liveness one; the quiescence form of the same claim is left
    // to tmCrashModel's models.
    properties: (ids) => [...tmCrashProperties(ids).filter((p) => p.kind !== 'quiescent'), preparedRMsEventuallyDecide(ids)],
  });
  return { ...model, fairness: { weak: ['deliver', 'timer'] } };
}

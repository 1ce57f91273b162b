import { defineModel } from '../../../src/checker/index.ts';
import { appliesUncommitted, replicated } from '../../../src/protocols/replicated-actor/index.ts';
import { transactionManager } from '../../../src/protocols/two-phase-commit/index.ts';
import { groupsModel, replicaIds, type GroupsSetup } from '../_build.ts';

/**
 * Broken on purpose: the TM's replicas apply log entries as soon as they store them, before they
 * commit, and the leader releases their effects. The leader appends the vote, announces Commit and
 * crash-stops before a majority stores it; its successor never saw the vote, times out and aborts:
 * the RM committed what the TM group decided to abort. One RM, so that the counterexample is short
 * (DecisionConsistent compares the TM replicas' decisions with the RMs' outcomes).
 */
/**
 * The configuration of the counterexample, without the broken replicas: with the correct ones it
 * is safe (a test checks both).
 */
export const FAILOVER_AFTER_UNCOMMITTED_VOTE: GroupsSetup = {
  rms: 1,
  tmReplicas: 3,
  rmReplicas: 1,
  crashes: 1,
  maxTerm: 2,
  maxLog: 2,
  inFlight: 4,
  voteTimeout: true,
  rmsMayAbort: false,
  candidates: replicaIds('tm', 2),
  crashable: replicaIds('tm', 1),
  failoverOnly: true,
  rmLeadersFirst: true,
};

export default defineModel({
  description: 'BROKEN: TM replicas that act on uncommitted log entries',
  build: () =>
    groupsModel({
      ...FAILOVER_AFTER_UNCOMMITTED_VOTE,
      tmMachine: replicated(transactionManager, { consensus: appliesUncommitted, id: 'replicated-tm-applies-uncommitted' }),
    }),
  expected: () => ({ verdict: 'violation', property: 'DecisionConsistent' }),
});

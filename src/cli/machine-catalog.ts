import type { AnyStateMachine } from 'xstate';
import { replica } from '../protocols/multi-paxos/index.ts';
import { acceptor, learner, proposer } from '../protocols/paxos/index.ts';
import { acceptor as paxosCommitAcceptor, leader as paxosCommitLeader, resourceManager as paxosCommitRM } from '../protocols/paxos-commit/index.ts';
import { server } from '../protocols/raft/index.ts';
import { abstractReplica, replicated } from '../protocols/replicated-actor/index.ts';
import { coordinator, participant } from '../protocols/three-phase-commit/index.ts';
import { participant as keyValueParticipant, resourceManager, transactionCoordinator, transactionManager } from '../protocols/two-phase-commit/index.ts';
import { peer } from '../protocols/zab/index.ts';
import { crossShardCommit } from '../service/index.ts';

/**
 * Every machine by `<protocol>/<machine>` name, for the tools that show them (`unanimous chart`):
 * the protocols', and the key-value service's own. The broken variants are left out: they share
 * their machine's chart.
 */
export const MACHINES: Readonly<Record<string, AnyStateMachine>> = {
  'two-phase/transaction-manager': transactionManager,
  'two-phase/resource-manager': resourceManager,
  'two-phase/participant': keyValueParticipant,
  'two-phase/transaction-coordinator': transactionCoordinator,
  'three-phase/coordinator': coordinator,
  'three-phase/participant': participant,
  'paxos/proposer': proposer,
  'paxos/acceptor': acceptor,
  'paxos/learner': learner,
  'multi-paxos/replica': replica,
  'paxos-commit/leader': paxosCommitLeader,
  'paxos-commit/resource-manager': paxosCommitRM,
  'paxos-commit/acceptor': paxosCommitAcceptor,
  'raft/server': server,
  'zab/peer': peer,
  // The hosting machines: the same chart whatever they host (2PC's RM here).
  'replicated-actor/replica': replicated(resourceManager, { id: 'replica' }),
  'replicated-actor/abstract-replica': abstractReplica(resourceManager, { id: 'abstract-replica' }),
  'service/cross-shard-commit': crossShardCommit,
};


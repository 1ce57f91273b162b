import type { GlobalView, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, eventually, refines, sometimes, whenQuiescent } from '../../src/checker/index.ts';
import type { RMState, RMStates, TCommitContext } from '../../spec/commit.ts';
import { TCConsistent, tcommit, tcommitEvents, TCTypeOK } from '../../spec/commit.ts';
import { LiveRMsDecided } from '../../spec/commit-liveness.ts';
import type { ParticipantState } from '../../src/protocols/three-phase-commit/index.ts';
import { COORDINATOR } from './_build.ts';

/**
 * A participant's 3PC state. A running participant is in the state its machine is in; a crashed
 * one, or one recovering after a restart, in the state its durable image records.
 */
export function participantState(node: NodeView): ParticipantState {
  if (node.crashed || node.value === 'recovering') return (node.durable.state as ParticipantState | undefined) ?? 'working';
  return (typeof node.value === 'string' ? node.value : Object.keys(node.value ?? {})[0]) as ParticipantState;
}

/** 3PC's states as TCommit's: uncertain and committable are both prepared (voted Yes, undecided). */
const TCOMMIT_STATE: Readonly<Record<ParticipantState, RMState>> = {
  working: 'working',
  uncertain: 'prepared',
  committable: 'prepared',
  committed: 'committed',
  aborted: 'aborted',
};

/** The refinement mapping from 3PC's participants to TCommit's rmState. */
export const tcommitState = (participants: readonly string[]) =>
  abstraction<TCommitContext>(
    (node) => (participants.includes(node.id) ? TCOMMIT_STATE[participantState(node)] : undefined),
    (parts) => ({ rmState: parts as RMStates }),
  );

const decided = (state: ParticipantState) => state === 'committed' || state === 'aborted';

const coordinatorCrashedUndecided = (state: GlobalView) => {
  const c = state.node(COORDINATOR);
  return c.crashed && c.durable.decision === undefined;
};

const liveParticipants = (state: GlobalView, participants: readonly string[]) =>
  participants.map((id) => state.node(id)).filter((node) => !node.crashed);

/**
 * TCommit's invariants and refinement for 3PC's participants, and goals that keep the model honest:
 * some run commits, some aborts.
 */
export function commitProperties(participants: readonly string[], include: { refinement: boolean } = { refinement: true }): Property[] {
  const over = tcommitState(participants);
  const states = (abstract: TCommitContext) => Object.values(abstract.rmState);
  return [
    always('TCTypeOK', over, (abstract) => TCTypeOK(abstract.rmState)),
    always('TCConsistent', over, (abstract) => TCConsistent(abstract.rmState)),
    ...(include.refinement
      ? [refines<TCommitContext>({ name: 'TCommit', over, spec: tcommit, specInput: { config: { rms: participants } }, events: () => tcommitEvents(participants) })]
      : []),
    sometimes('SomeRMCommits', over, (abstract) => states(abstract).includes('committed')),
    sometimes('SomeRMAborts', over, (abstract) => states(abstract).includes('aborted')),
  ];
}

/**
 * What 3PC adds over 2PC: it does not block. NonBlocking — in every state where nothing can happen
 * but faults, every participant that has not crashed has decided (Skeen 1981: "a protocol is
 * nonblocking if it permits transaction termination to proceed at all operational sites despite
 * site failures"). And the termination protocol does decide both ways without the coordinator:
 * the participants commit after it crashed undecided, and participants that voted Yes (their vote
 * still in flight to it) abort.
 */
export function nonBlockingProperties(participants: readonly string[]): Property[] {
  return [
    whenQuiescent('NonBlocking', (state) => liveParticipants(state, participants).every((node) => decided(participantState(node)))),
    sometimes('CommitWithoutCoordinator', (state) => {
      const live = liveParticipants(state, participants);
      return coordinatorCrashedUndecided(state) && live.length > 0 && live.every((node) => participantState(node) === 'committed');
    }),
    sometimes('VotedYesThenAbortWithoutCoordinator', (state) => {
      const live = liveParticipants(state, participants);
      return (
        coordinatorCrashedUndecided(state) &&
        live.length > 0 &&
        live.every((node) => participantState(node) === 'aborted') &&
        state.messages.some((m) => m.to === COORDINATOR && m.message.type === 'Yes' && live.some((node) => node.id === m.from))
      );
    }),
  ];
}

/**
 * Goals for two crashes: the termination protocol survives the crash of its first backup. The
 * coordinator and the first participant in the backup order crash undecided, and the others still
 * finish — both ways.
 */
export function cascadeGoals(participants: readonly string[]): Property[] {
  const firstBackup = participants[0]!;
  const undecidedCrash = (node: NodeView) => node.crashed && !decided(participantState(node));
  const finishAs = (outcome: ParticipantState) => (state: GlobalView) => {
    const live = liveParticipants(state, participants);
    return coordinatorCrashedUndecided(state) && undecidedCrash(state.node(firstBackup)) && live.length > 0 && live.every((node) => participantState(node) === outcome);
  };
  return [sometimes('CommitAfterFirstBackupCrashed', finishAs('committed')), sometimes('AbortAfterFirstBackupCrashed', finishAs('aborted'))];
}

/**
 * NonBlocking as liveness (Skeen 1981's termination, on every fair behaviour, cycles included):
 * every fair behaviour reaches a state in which every participant still up has decided. The model
 * must declare its fairness (deliveries to every node, weakly: a message sent to a live node is
 * eventually taken — with crash notices, a perfect failure detector's completeness).
 */
export function terminationProperties(participants: readonly string[]): Property[] {
  return [
    eventually('LiveParticipantsDecide', (state) => {
      const live = liveParticipants(state, participants);
      return LiveRMsDecided(Object.fromEntries(live.map((node) => [node.id, TCOMMIT_STATE[participantState(node)]])), live.map((node) => node.id));
    }),
  ];
}

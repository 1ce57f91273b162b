import { assign } from 'xstate';
import { replica, undecided } from './replica.ts';

/**
 * A deliberately broken replica, kept so tests can show the checker catches it: a new leader that
 * does not adopt the votes its quorum reported. It starts phase 2 with an empty log and puts the
 * next client command in slot 0, even when a promiser reported a vote there — a command that may
 * already be chosen. Its own command can then be chosen in the same slot: two different commands
 * chosen for one slot. ("Paxos Made Simple" §2.2, P2c, is exactly the rule it breaks.) Never deploy it.
 */
export const replicaIgnoresPromisedVotes = replica.provide({
  actions: { adoptHighestVotes: assign({ proposals: [], accepted: [], promisers: [], adopted: [] }) },
});

/**
 * A deliberately broken replica: a leader that decides a slot only once every replica has voted
 * for its proposal, not a quorum. It is safe (a proposal all voted for is one a quorum voted for)
 * but not live: with one replica down nothing is ever decided again — the fault tolerance a
 * majority quorum exists for ("Paxos Made Simple" §2.2: a value is chosen when a majority accepts
 * it). Never deploy it.
 */
export const replicaDecidesWithAll = replica.provide({
  guards: {
    hasChosenProposal: ({ context }) =>
      context.accepted.some((voters, slot) => undecided(context, slot) && voters.length === context.config.replicas.length),
  },
});

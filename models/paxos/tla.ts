import { always, defineModel, sometimes } from '../../src/checker/index.ts';
import { Agreement, chosenValues, Validity } from '../../spec/consensus.ts';
import { ids, paxosModel, votesInFlight } from './_build.ts';

/**
 * Single-decree Paxos with the semantics of Lamport's Paxos.tla (tlaplus/Examples,
 * specifications/Paxos): a message set, one proposer per ballot that may start its ballot
 * (Phase1a) and propose any value the voting rule allows (Phase2a) whenever it likes, acceptors
 * that promise (Phase1b) and vote (Phase2b), no faults, no timers. Defaults are MCPaxos.cfg's
 * constants: one acceptor, one value, ballots 0..1.
 *
 * The counts are not TLC's: Paxos.tla's Phase2a reads every 1b message in the set, while a
 * proposer here knows only the promises delivered to it, which is part of its state.
 */
export default defineModel({
  description: "Single-decree Paxos with the semantics of Lamport's Paxos.tla (message set, no faults)",
  parameters: {
    acceptors: { description: 'acceptors; a quorum is a majority', default: 1, min: 1, max: 5 },
    values: { description: 'values that may be proposed', default: 1, min: 1, max: 3 },
    ballots: { description: 'ballots 0..N-1, one proposer each', default: 2, min: 1, max: 4 },
  },
  build: ({ acceptors, values, ballots }) =>
    paxosModel({
      acceptors: acceptors!,
      proposers: Array.from({ length: ballots! }, (_, b) => [b]),
      values: ids('v', values!),
      learners: 0,
      mode: 'spontaneous',
      network: 'set',
      properties: ({ acceptors: accs, values: vals }) => {
        const chosen = (state: Parameters<typeof votesInFlight>[0]) => chosenValues(votesInFlight(state), accs.length);
        return [
          always('Agreement', (state) => Agreement(chosen(state))),
          always('Validity', (state) => Validity(chosen(state), vals)),
          // Paxos.tla's Inv, second conjunct: an acceptor's last vote is one it cast.
          always('LastVoteWasCast', (state) =>
            accs.every((a) => {
              const { maxVBal, maxVal } = state.node(a).context;
              const votes = votesInFlight(state);
              return maxVBal === -1 ? maxVal === null : votes.some((v) => v.acceptor === a && v.ballot === maxVBal && v.value === maxVal);
            }),
          ),
          sometimes('ValueChosen', (state) => chosen(state).length > 0),
        ];
      },
    }),
  expected: (p) => (p.acceptors === 1 && p.values === 1 && p.ballots === 2 ? { verdict: 'ok' } : { verdict: 'ok' }),
});

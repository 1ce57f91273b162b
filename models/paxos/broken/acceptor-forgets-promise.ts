import { defineModel } from '../../../src/checker/index.ts';
import { acceptorForgetsPromise } from '../../../src/protocols/paxos/index.ts';
import { learnedProperties, paxosModel } from '../_build.ts';

/**
 * Broken on purpose: acceptors do not persist their promises. One promises ballot 1, crashes,
 * comes back having forgotten it, and votes for v1 in ballot 0 — completing a quorum for v1 —
 * while ballot 1's proposer, trusting the promise, gets v2 chosen too: Agreement fails.
 */
export default defineModel({
  description: 'BROKEN: Paxos acceptors that forget their promise on restart',
  build: () =>
    paxosModel({
      acceptors: 3,
      proposers: [[0], [1]],
      values: ['v1', 'v2'],
      learners: 1,
      mode: 'deployed',
      network: 'multiset',
      faults: { crash: 1, crashable: ['a1', 'a2', 'a3'] },
      acceptorMachine: acceptorForgetsPromise,
      properties: ({ acceptors, learners, values }) => learnedProperties(acceptors, learners, values),
    }),
  expected: () => ({ verdict: 'violation', property: 'Agreement' }),
});

import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { learnedProperties, paxosModel } from './_build.ts';

/**
 * Single-decree Paxos as deployed: two proposers with competing values (p1 proposes v1 in ballot
 * 0, p2 proposes v2 in ballot 1, each deciding as soon as it holds a quorum of promises); three
 * acceptors that crash and restart from their persisted promise and vote; a learner; a multiset
 * network that may lose and duplicate messages. The acceptors are a symmetry set. The defaults
 * keep the check to seconds; with every fault budget at 1 it has millions of states (README).
 */
export default defineModel({
  description: 'Paxos with competing proposers, acceptor crashes, message loss and duplication',
  parameters: {
    ...faultParameters({ loss: 0, duplication: 0, crashes: 1 }, 'acceptor'),
    retries: { description: "p1's retries on retryTimeout, each in its next ballot (2, 4, ...)", default: 0, min: 0, max: 2 },
  },
  build: ({ loss, duplication, crashes, retries }) =>
    paxosModel({
      acceptors: 3,
      // p1 owns the even ballots, p2 the odd ones; p1 may retry in higher ballots, which bounds them.
      proposers: [Array.from({ length: retries! + 1 }, (_, i) => 2 * i), [1]],
      values: ['v1', 'v2'],
      learners: 1,
      mode: 'deployed',
      symmetricAcceptors: true,
      network: 'multiset',
      faults: { loss: loss!, duplication: duplication!, crash: crashes!, crashable: ['a1', 'a2', 'a3'] },
      properties: ({ acceptors, learners, values }) => learnedProperties(acceptors, learners, values),
    }),
  expected: (p) =>
    p.loss === 0 && p.duplication === 0 && p.crashes === 1 && p.retries === 0
      ? { verdict: 'ok', distinct: 134404, distinctWithoutSymmetry: 789655 }
      : { verdict: 'ok' },
});

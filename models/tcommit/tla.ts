import { abstraction, always, defineModel } from '../../src/checker/index.ts';
import { TCConsistent, tcommit, tcommitEvents, TCTypeOK, type RMStates } from '../../spec/commit.ts';
import { rmIds } from '../_shared/commit.ts';

/** TCommit's variable, read off the one node's context. */
const rmState = abstraction<{ rmState: RMStates }>(
  (node) => node.context.rmState,
  (parts) => ({ rmState: parts.tc as RMStates }),
);

export default defineModel({
  description: "Lamport's TCommit.tla: the abstract commit spec itself, one node taking TCNext's steps",
  parameters: { rms: { description: 'resource managers', default: 3, min: 1, max: 10 } },
  build: ({ rms }) => {
    const ids = rmIds(rms!);
    return {
      nodes: [{ id: 'tc', machine: tcommit, peers: [], config: { rms: ids }, spontaneous: tcommitEvents(ids) }],
      network: 'set',
      properties: [
        always('TCTypeOK', rmState, (abstract) => TCTypeOK(abstract.rmState)),
        always('TCConsistent', rmState, (abstract) => TCConsistent(abstract.rmState)),
      ],
    };
  },
  // tlaplus/Examples' manifest records 34 distinct states for TCommit.cfg (3 RMs).
  expected: ({ rms }) => (rms === 3 ? { verdict: 'ok', distinct: 34 } : { verdict: 'ok' }),
});

import { always, defineModel } from '../../src/checker/index.ts';
import { TCConsistent, tcommit, tcommitEvents, TCTypeOK, type RMStates } from '../../spec/commit.ts';
import { rmIds } from '../_shared/commit.ts';

const rmState = (state: Parameters<Parameters<typeof always>[1]>[0]): RMStates => state.nodes[0]!.context.rmState;

export default defineModel({
  description: "Lamport's TCommit.tla: the abstract commit spec itself, one node taking TCNext's steps",
  parameters: { rms: { description: 'resource managers', default: 3, min: 1, max: 10 } },
  build: ({ rms }) => {
    const ids = rmIds(rms!);
    return {
      nodes: [{ id: 'tc', machine: tcommit, peers: [], config: { rms: ids }, spontaneous: tcommitEvents(ids) }],
      network: 'set',
      properties: [
        always('TCTypeOK', (state) => TCTypeOK(rmState(state))),
        always('TCConsistent', (state) => TCConsistent(rmState(state))),
      ],
    };
  },
  // tlaplus/Examples' manifest records 34 distinct states for TCommit.cfg (3 RMs).
  expected: ({ rms }) => (rms === 3 ? { verdict: 'ok', distinct: 34 } : { verdict: 'ok' }),
});

import { defineModel } from '../../src/checker/index.ts';
import { threePhaseModel } from './_build.ts';
import { commitProperties } from './_properties.ts';

/**
 * Three-Phase Commit where its assumption fails: failures are detected by timeouts, and every
 * armed timer may fire at any moment — an asynchronous network, in which a message that is late
 * cannot be told from a crashed sender, and a partition is a set of messages that are late for
 * long enough. No node crashes. The checker finds the classic split: the coordinator's PreCommit
 * reaches one participant, which is then told to commit (the coordinator, timing out on the other's
 * acknowledgement, commits by the textbook rule), while the other participant, timing out
 * uncertain, runs the termination protocol on its own side and aborts. TCConsistent fails.
 */
export default defineModel({
  description: 'BROKEN by asynchrony: 3PC with timeouts that fire while peers are merely slow (a partition)',
  parameters: {
    participants: { description: 'participants', default: 2, min: 2, max: 3 },
    loss: { description: 'messages the network may lose', default: 0, min: 0, max: 2 },
  },
  build: ({ participants, loss }) =>
    threePhaseModel({
      participants: participants!,
      network: 'multiset',
      detection: 'timeouts',
      faults: { loss: loss! },
      properties: (ids) => commitProperties(ids, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});

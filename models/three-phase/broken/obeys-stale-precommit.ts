import { defineModel } from '../../../src/checker/index.ts';
import { participantObeysStalePreCommit } from '../../../src/protocols/three-phase-commit/index.ts';
import { threePhaseModel } from '../_build.ts';
import { commitProperties } from '../_properties.ts';

/**
 * Broken on purpose: participants act on a PreCommit from a coordinator they have given up on.
 * Under 3PC's own assumptions (crash-stop, perfect failure detection) the coordinator crashes with
 * a PreCommit in flight, the first backup finds everyone uncertain and aborts, and crashes in
 * turn; the late PreCommit makes the last participant committable, and as the next backup it
 * commits: TCConsistent fails.
 */
export default defineModel({
  description: 'BROKEN: 3PC participants that obey a PreCommit from a coordinator the termination protocol replaced',
  parameters: { participants: { description: 'participants', default: 2, min: 2, max: 3 } },
  build: ({ participants }) =>
    threePhaseModel({
      participants: participants!,
      participantMachine: participantObeysStalePreCommit,
      network: 'multiset',
      detection: 'perfect',
      faults: { crash: 2 },
      properties: (ids) => commitProperties(ids, { refinement: false }),
    }),
  expected: () => ({ verdict: 'violation', property: 'TCConsistent' }),
});

import { defineModel } from '../../../src/checker/index.ts';
import { participantWithoutTermination } from '../../../src/protocols/three-phase-commit/index.ts';
import { threePhaseModel } from '../_build.ts';
import { nonBlockingProperties } from '../_properties.ts';

/**
 * Broken on purpose: participants that never run the termination protocol. The coordinator
 * crashes after the votes; the participants are told of the crash but only wait, uncertain, as a
 * prepared 2PC participant would. In the quiescent state that follows no live participant has
 * decided: NonBlocking fails.
 */
export default defineModel({
  description: 'BROKEN: 3PC participants without the termination protocol block when the coordinator crashes',
  parameters: { participants: { description: 'participants', default: 2, min: 2, max: 3 } },
  build: ({ participants }) =>
    threePhaseModel({
      participants: participants!,
      participantMachine: participantWithoutTermination,
      network: 'multiset',
      detection: 'perfect',
      faults: { crash: 1 },
      properties: (ids) => nonBlockingProperties(ids).filter((p) => p.kind === 'quiescent'),
    }),
  expected: () => ({ verdict: 'violation', property: 'NonBlocking' }),
});

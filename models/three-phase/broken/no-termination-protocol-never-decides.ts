import { defineModel } from '../../../src/checker/index.ts';
import { participantWithoutTermination } from '../../../src/protocols/three-phase-commit/index.ts';
import { threePhaseModel } from '../_build.ts';
import { terminationProperties } from '../_properties.ts';

/**
 * Broken on purpose, as `no-termination-protocol`, checked for liveness: participants that never
 * run the termination protocol, under the fairness of `crash-stop-terminates`. The coordinator
 * crashes after the votes; the participants are told of it and stay uncertain. The lasso: no fair
 * step is left to take, and the behaviour stays there forever — LiveParticipantsDecide fails.
 */
export default defineModel({
  description: 'BROKEN: 3PC participants without the termination protocol, fair deliveries: live participants never decide (lasso)',
  parameters: { participants: { description: 'participants', default: 2, min: 2, max: 3 } },
  build: ({ participants }) => ({
    ...threePhaseModel({
      participants: participants!,
      participantMachine: participantWithoutTermination,
      network: 'multiset',
      detection: 'perfect',
      faults: { crash: 1 },
      properties: (ids) => terminationProperties(ids),
    }),
    fairness: { weak: ['deliver'] },
  }),
  expected: () => ({ verdict: 'violation', property: 'LiveParticipantsDecide' }),
});

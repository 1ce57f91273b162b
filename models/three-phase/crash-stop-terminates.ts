import { defineModel } from '../../src/checker/index.ts';
import { threePhaseModel } from './_build.ts';
import { cascadeGoals, commitProperties, nonBlockingProperties, terminationProperties } from './_properties.ts';

/**
 * Distinct states by (participants, crashes): the states of `crash-stop`, which this model
 * explores the same way — fairness and a liveness property add no state.
 */
const DISTINCT_STATES: Readonly<Record<string, number>> = { '2/1': 1478, '2/2': 6321, '3/1': 55602, '3/2': 827395 };

/**
 * `crash-stop` with its liveness stated: under weak fairness of every node's deliveries, every
 * participant that has not crashed eventually decides (`LiveParticipantsDecide`, an `eventually`
 * checked on every cycle of the state graph, not only in quiescent states). 3PC under its own
 * assumptions — reliable network, crash-stop failures, a perfect failure detector (its crash
 * notices are messages, and so fairly delivered) — terminates. Crashes are faults, never fair: a
 * behaviour may crash up to `crashes` nodes at any moment, or none.
 */
export default defineModel({
  description: '3PC, crash-stop with perfect failure detection, fair deliveries: every live participant eventually decides',
  parameters: {
    participants: { description: 'participants', default: 2, min: 2, max: 3 },
    crashes: { description: 'node crashes (crash-stop: no restart)', default: 1, min: 1, max: 3 },
  },
  build: ({ participants, crashes }) => ({
    ...threePhaseModel({
      participants: participants!,
      network: 'multiset',
      detection: 'perfect',
      faults: { crash: crashes! },
      properties: (ids) => [...commitProperties(ids), ...nonBlockingProperties(ids), ...(crashes! >= 2 ? cascadeGoals(ids) : []), ...terminationProperties(ids)],
    }),
    fairness: { weak: ['deliver'] },
  }),
  expected: ({ participants, crashes }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${participants}/${crashes}`] }),
});

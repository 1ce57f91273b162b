import { defineModel } from '../../src/checker/index.ts';
import { threePhaseModel } from './_build.ts';
import { cascadeGoals, commitProperties, nonBlockingProperties } from './_properties.ts';

/** Distinct states by (participants, crashes), as recorded; the tests check those that take seconds. */
const DISTINCT_STATES: Readonly<Record<string, number>> = {
  '2/1': 1478,
  '2/2': 6321,
  '3/1': 55602,
  '3/2': 827395,
  '3/3': 3399877,
};

/**
 * Three-Phase Commit under its own assumptions (Skeen 1981; BHG 1987 §7.5): a reliable network
 * (unordered, nothing lost), crash-stop failures, and perfect failure detection — no timeout
 * fires on a live node; each crash is announced to the crashed node's peers instead. Here 3PC
 * keeps TCConsistent, refines TCommit, and does not block: when nothing more can happen, every
 * participant still up has decided, though the coordinator (and backups after it) crashed.
 */
export default defineModel({
  description: '3PC with crash-stop failures and perfect failure detection: consistent and non-blocking',
  parameters: {
    participants: { description: 'participants', default: 3, min: 2, max: 4 },
    crashes: { description: 'node crashes (crash-stop: no restart)', default: 2, min: 1, max: 3 },
  },
  build: ({ participants, crashes }) =>
    threePhaseModel({
      participants: participants!,
      network: 'multiset',
      detection: 'perfect',
      faults: { crash: crashes! },
      properties: (ids) => [...commitProperties(ids), ...nonBlockingProperties(ids), ...(crashes! >= 2 ? cascadeGoals(ids) : [])],
    }),
  expected: ({ participants, crashes }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[`${participants}/${crashes}`] }),
});

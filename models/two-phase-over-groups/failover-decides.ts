import { defineModel } from '../../src/checker/index.ts';
import { tmFailureLivenessModel } from './_liveness.ts';

/** Distinct states by number of RMs, as recorded (no symmetry sets: liveness needs the full graph). */
const DISTINCT_STATES: Readonly<Record<number, number>> = { 1: 49, 2: 773, 3: 12571 };

/**
 * Liveness of 2PC over replicated groups: the TM and the RMs are abstract replicated actors, the
 * TM's leader fails once at any moment and its group fails over in the same step, deliveries and
 * timers are weakly fair. Every prepared RM eventually decides (`PreparedRMsEventuallyDecide`,
 * checked on every cycle of the state graph): the new leader re-sends what the old one may not
 * have released, and the vote timeout aborts a transaction whose votes never all come. Compare
 * `plain-2pc-never-decides`, the same configuration with a plain, crash-stop TM.
 */
export default defineModel({
  description: '2PC over replicated groups, fair deliveries and timers, the TM fails over once: every prepared RM eventually decides',
  parameters: { rms: { description: 'resource managers', default: 2, min: 1, max: 4 } },
  build: ({ rms }) => tmFailureLivenessModel('replicated', rms!),
  expected: ({ rms }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[rms!] }),
});

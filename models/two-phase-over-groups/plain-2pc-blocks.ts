import { defineModel } from '../../src/checker/index.ts';
import { tmCrashModel, tmCrashProperties } from './_abstract.ts';

/**
 * The comparison for `abstract`: plain 2PC in the same configuration, whose TM crash-stops. The
 * checker finds a state in which nothing more can happen while an RM is prepared: it voted, so it
 * may not abort on its own; it has no decision, so it may not commit; the TM that would tell it
 * never returns. Recorded as the violation it must show.
 */
export default defineModel({
  description: 'plain 2PC with a crash-stop TM: prepared RMs block (PreparedRMsDecide fails)',
  parameters: { rms: { description: 'resource managers', default: 2, min: 1, max: 4 } },
  build: ({ rms }) => tmCrashModel('plain', rms!, tmCrashProperties),
  expected: () => ({ verdict: 'violation', property: 'PreparedRMsDecide' }),
});

import { defineModel } from '../../src/checker/index.ts';
import { tmCrashModel, tmCrashProperties } from './_abstract.ts';

/** Distinct states by number of RMs, as recorded. */
const DISTINCT_STATES: Readonly<Record<number, number>> = { 1: 64, 2: 491, 3: 2818 };
const WITHOUT_SYMMETRY: Readonly<Record<number, number>> = { 2: 918, 3: 14026 };

/**
 * 2PC over abstract replicated nodes (the second level of the model of 2PC over consensus groups):
 * the TM and every RM are `abstractReplica`s — actors whose group keeps their whole state through
 * a failover, and whose new leader re-sends what the old one may not have released. The TM's
 * leader fails once (at any moment) and its group fails over. TCConsistent holds, 2PC still
 * refines TCommit, and — unlike plain 2PC with a crash-stop TM (`plain-2pc-blocks`) — no RM is
 * left prepared when nothing more can happen.
 */
export default defineModel({
  description: '2PC over abstract replicated nodes: the TM fails over once; consistent and non-blocking',
  parameters: { rms: { description: 'resource managers', default: 2, min: 1, max: 4 } },
  build: ({ rms }) => tmCrashModel('replicated', rms!, tmCrashProperties),
  expected: ({ rms }) => ({ verdict: 'ok', distinct: DISTINCT_STATES[rms!], distinctWithoutSymmetry: WITHOUT_SYMMETRY[rms!] }),
});

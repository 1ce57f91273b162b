import type { InstanceValue, ReportedValue } from './messages.ts';

/** What an acceptor reported in its phase 1b message: its last vote, or -1 and `none`. */
export interface PromiseReport {
  readonly bal: number;
  readonly val: ReportedValue;
}

/**
 * The value a leader must propose in phase 2a given a majority's phase 1b reports
 * (PaxosCommit.tla's Phase2a): the value voted in the highest ballot any of them reports, or
 * `aborted` when none of them has voted — an instance is free to abort only while no vote for its
 * RM's `prepared` can have been chosen.
 */
export function phase2aValue(reports: readonly PromiseReport[]): InstanceValue {
  let highest: PromiseReport | undefined;
  for (const report of reports) {
    if (report.bal >= 0 && (highest === undefined || report.bal > highest.bal)) highest = report;
  }
  if (highest === undefined) return 'aborted';
  if (highest.val === 'none') throw new Error(`a phase 1b report of a vote in ballot ${highest.bal} carries no value`);
  return highest.val;
}

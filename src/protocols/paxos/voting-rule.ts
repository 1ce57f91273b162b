import { isQuorum } from './messages.ts';

/** What an acceptor reported in its Promise: its last vote, or -1 and null. */
export interface PromiseReport {
  readonly votedBallot: number;
  readonly votedValue: string | null;
}

/**
 * The values a proposer may propose in its ballot given the promises it holds (Paxos.tla's
 * Phase2a): for some quorum Q of promisers, either no one in Q has voted, and any candidate is
 * allowed, or the value voted in the highest ballot among Q's reports is the only one allowed.
 */
export function safeValues(promises: Readonly<Record<string, PromiseReport>>, acceptors: number, candidates: readonly string[]): string[] {
  const promisers = Object.keys(promises).sort();
  const allowed = new Set<string>();
  for (let subset = 1; subset < 1 << promisers.length; subset++) {
    const quorum = promisers.filter((_, i) => subset & (1 << i));
    if (!isQuorum(quorum.length, acceptors)) continue;
    let highest: PromiseReport | undefined;
    for (const acceptor of quorum) {
      const report = promises[acceptor]!;
      if (report.votedBallot >= 0 && (!highest || report.votedBallot > highest.votedBallot)) highest = report;
    }
    if (highest) allowed.add(highest.votedValue!);
    else for (const value of candidates) allowed.add(value);
  }
  return [...allowed].sort();
}

/**
 * The value a deployed proposer proposes once it holds a quorum of promises: the value voted in
 * the highest ballot among all of them, or its own value when none has voted. One of `safeValues`,
 * since all the promisers together form a quorum.
 */
export function forcedValue(promises: Readonly<Record<string, PromiseReport>>, own: string): string {
  let highest: PromiseReport | undefined;
  for (const report of Object.values(promises)) {
    if (report.votedBallot >= 0 && (!highest || report.votedBallot > highest.votedBallot)) highest = report;
  }
  return highest?.votedValue ?? own;
}

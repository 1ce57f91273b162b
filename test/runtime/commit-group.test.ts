import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CommitGroup, type GroupMember } from '../../src/runtime/commit-group.ts';

/** A member that records what happened to it, in one shared log. */
function member(name: string, log: string[], commit: () => void = () => {}, changes = true): GroupMember {
  return {
    hasChanges: () => changes,
    commitPending: () => {
      log.push(`${name} commit`);
      commit();
    },
    releaseCommitted: () => log.push(`${name} release`),
    failCommit: (error) => log.push(`${name} failed: ${error.message}`),
  };
}

describe('CommitGroup: the batches of several hosts in one transaction, released after it', () => {
  it('commits every member that asked in one turn in one transaction, then releases them; a refused member fails alone', async () => {
    const log: string[] = [];
    const group = new CommitGroup((work) => {
      log.push('begin');
      work();
      log.push('fsync');
    });
    const a = member('a', log);
    group.request(a);
    group.request(member('b', log, () => {
      throw new Error('not a log');
    }));
    group.request(member('c', log));
    group.request(a); // asked twice in one turn: committed once
    expect(log).toEqual([]); // nothing before the end of the turn
    await nextTurn();
    expect(log).toEqual(['begin', 'a commit', 'b commit', 'b failed: not a log', 'c commit', 'fsync', 'a release', 'c release']);
    expect(group.counts).toEqual({ transactions: 1, batches: 2 });
  });

  it('opens no transaction for a turn whose batches change nothing durable, and still releases them in order', async () => {
    const log: string[] = [];
    const group = new CommitGroup((work) => {
      log.push('begin');
      work();
      log.push('fsync');
    });
    group.request(member('a', log, undefined, false));
    group.request(member('b', log, undefined, false));
    await nextTurn();
    expect(log).toEqual(['a commit', 'b commit', 'a release', 'b release']);
    expect(group.counts).toEqual({ transactions: 0, batches: 0 });
    // One member with changes is enough for the whole turn to commit in one transaction.
    log.length = 0;
    group.request(member('a', log, undefined, false));
    group.request(member('c', log));
    await nextTurn();
    expect(log).toEqual(['begin', 'a commit', 'c commit', 'fsync', 'a release', 'c release']);
    expect(group.counts).toEqual({ transactions: 1, batches: 2 });
  });

  it('releases nothing when the transaction itself fails: every member fails', async () => {
    const log: string[] = [];
    const group = new CommitGroup((work) => {
      work();
      throw new Error('disk full');
    });
    group.request(member('a', log));
    group.request(member('b', log));
    await nextTurn();
    expect(log).toEqual(['a commit', 'b commit', 'a failed: disk full', 'b failed: disk full']);
    expect(group.counts).toEqual({ transactions: 0, batches: 0 });
  });
});

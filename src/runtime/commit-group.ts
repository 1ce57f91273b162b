/** What a host hands a `CommitGroup`: its pending batch, committed and then released in two steps. */
export interface GroupMember {
  /** Whether the pending batch changes the durable image (a batch of sends and replies only does not). */
  hasChanges(): boolean;
  /** Makes the member's pending changes durable inside the group's transaction; throws if it could not. */
  commitPending(): void;
  /** After the group's transaction committed: release the messages and replies of the committed batch. */
  releaseCommitted(): void;
  /** The member's commit threw: it must stop (its machine is ahead of its durable image). */
  failCommit(error: Error): void;
}

/**
 * Group commit across several hosts that share one durable file (the replicas a service node
 * holds, in one `SqliteFile`): the batches of every host with something to commit in one turn of
 * the event loop go into ONE transaction — one fsync for all of them — and only then does each
 * host release its messages and replies (persist before send, as for a host on its own).
 *
 * `transaction` runs its argument in one durable transaction (`SqliteFile.transaction`); a
 * member's commit inside it is a savepoint, so a member whose changes are refused fails alone.
 * A turn whose batches change nothing durable (a leader taking acknowledgements, a step that only
 * replies) opens no transaction: there is nothing to wait for, and half of a busy node's turns are such.
 */
export class CommitGroup {
  private readonly pending = new Set<GroupMember>();
  private scheduled: NodeJS.Immediate | undefined;
  /** Transactions committed, and member batches they carried: their ratio is the batching achieved. */
  readonly counts = { transactions: 0, batches: 0 };

  constructor(private readonly transaction: (work: () => void) => void) {}

  /** Adds a member's batch to the next group commit (at the end of this turn of the event loop). */
  request(member: GroupMember): void {
    this.pending.add(member);
    this.scheduled ??= setImmediate(() => this.commit());
  }

  /** Commits now whatever is pending (a host stopping commits its last batch at once). */
  commit(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const members = [...this.pending];
    this.pending.clear();
    if (members.length === 0) return;
    const committed: GroupMember[] = [];
    const durable = members.some((member) => member.hasChanges());
    try {
      (durable ? this.transaction : (work: () => void) => work())(() => {
        for (const member of members) {
          try {
            member.commitPending();
            committed.push(member);
          } catch (error) {
            member.failCommit(error as Error);
          }
        }
      });
    } catch (error) {
      // The transaction itself failed (the fsync, the disk): nothing of it is durable.
      for (const member of committed) member.failCommit(error as Error);
      return;
    }
    if (durable) {
      this.counts.transactions++;
      this.counts.batches += committed.length;
    }
    for (const member of committed) member.releaseCommitted();
  }
}

import type { TxnResult } from './txn.ts';

/** What the reads of one replica need from it. */
export interface ReadIndexSource {
  /**
   * Asks the Raft server for a read index (Ongaro's thesis §6.4 steps 1–3: the leader's
   * commitIndex once it has committed an entry of its term, confirmed by a heartbeat round a
   * majority answered). Rejects when the server is not, or is no longer, a confirmed leader.
   */
  readonly readIndex: () => Promise<number>;
  /** How far this replica has applied its log. */
  readonly appliedIndex: () => number;
}

interface WaitingRead {
  readonly serve: () => TxnResult;
  readonly resolve: (result: TxnResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Linearizable reads that write nothing to the log: ReadIndex (Ongaro's thesis §6.4), the rule the
 * Raft server machine implements and models/raft/read-index.ts checks (its broken variant, a
 * leader that skips the confirmation round, is caught answering a stale read). This class is the
 * host's side of it, step 4: once the server answers `{ readIndex }`, a read is served from the
 * replica's data as soon as the replica has applied through readIndex.
 *
 * Why that is linearizable: the read index is at least the commitIndex of the moment the read was
 * registered, so every write acknowledged before the read began is applied before it is served;
 * the data served is a committed prefix, applied before the answer, so nothing the read sees
 * comes after it. The read takes effect at some point between its invocation and its response.
 *
 * Batching: one `ReadRequest` is out at a time, and the reads that arrive meanwhile wait for the
 * next one, which then confirms them all with one heartbeat round (as etcd's read loop does). A
 * read must not join a round already asked for: that round's index may have been fixed before
 * the read began, and miss a write acknowledged in between.
 */
export class ReadIndexReads {
  private nextRound: WaitingRead[] = [];
  /** The reads of the ReadRequest out now, if one is. */
  private inRound: WaitingRead[] | undefined;
  /** Confirmed reads, by read index, waiting for the replica to apply that far. */
  private readonly confirmed: { readonly readIndex: number; readonly reads: readonly WaitingRead[] }[] = [];

  constructor(private readonly source: ReadIndexSource) {}

  /** Serves `serve()` (a read of the replica's data) once a read index confirms it and is applied. */
  read(serve: () => TxnResult): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      this.nextRound.push({ serve, resolve, reject });
      if (this.inRound === undefined) this.askRound();
    });
  }

  /** Serves the confirmed reads the replica has now applied far enough for; call after applying. */
  applied(): void {
    const applied = this.source.appliedIndex();
    while (this.confirmed.length > 0 && this.confirmed[0]!.readIndex <= applied) {
      for (const read of this.confirmed.shift()!.reads) read.resolve(read.serve());
    }
  }

  /** Fails every read not yet served (the replica stops); an answer to the round out is then ignored. */
  failAll(error: () => Error): void {
    for (const read of [...(this.inRound ?? []), ...this.nextRound, ...this.confirmed.flatMap(({ reads }) => reads)]) read.reject(error());
    this.inRound = undefined;
    this.nextRound = [];
    this.confirmed.length = 0;
  }

  private askRound(): void {
    const reads = this.nextRound;
    this.nextRound = [];
    this.inRound = reads;
    const answered = (settle: () => void) => {
      if (this.inRound !== reads) return;
      this.inRound = undefined;
      settle();
      if (this.nextRound.length > 0) this.askRound();
    };
    this.source.readIndex().then(
      (readIndex) =>
        answered(() => {
          // Read indexes only grow (a running server's commitIndex does), so the list stays in order.
          this.confirmed.push({ readIndex, reads });
          this.applied();
        }),
      (error: Error) => answered(() => reads.forEach((read) => read.reject(error))),
    );
  }
}

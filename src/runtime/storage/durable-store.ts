import type { DurableChange, DurableState } from '../../node/index.ts';

/**
 * Where a node's durable image lives between crashes: the `DurableState` its machine boots from,
 * changed only by the `persist` effects the machine emits.
 *
 * `commit` is the host's one durability point. It applies a whole batch of changes atomically —
 * after a crash the image holds either every change of the batch or none — and when it returns the
 * batch survives a crash (kill -9, power loss within what the medium promises). Only then may the
 * host release the messages and replies of the steps that made those changes (persist before
 * send, etcd/raft's `Ready` contract). The changes of a batch apply in order, each exactly as
 * `applyDurableChange` of src/node/durable.ts applies it; a change that `applyDurableChange` would
 * refuse (appending to a non-log, a negative truncate index) fails the whole batch and leaves
 * the image untouched.
 */
export interface DurableStore {
  /** The image as of the last successful commit (empty on first boot). */
  load(): DurableState;
  /** Makes a batch of changes durable, all or nothing. Throws if it could not. */
  commit(changes: readonly DurableChange[]): void;
  /** Releases the store's resources. A closed store refuses further use. */
  close(): void;
}

import type { LogEntry } from '../raft/index.ts';
import { type ConsensusProtocol, raftConsensus } from './consensus.ts';

/**
 * Deliberately broken consensus use, kept so that tests can show the checker catches it. Never
 * deploy this.
 *
 * A replica that applies log entries as soon as it stores them, before they are committed — and a
 * leader that releases their effects. An entry a leader appended alone is lost when another
 * replica leads without it (Raft §5.3: uncommitted entries may be overwritten), but its effects are
 * out: a TM hosted this way can announce a commit its group then never decided, and a new leader
 * can abort the same transaction.
 */
export const appliesUncommitted: ConsensusProtocol = {
  ...raftConsensus,
  committedSince: (context, from) => (context as unknown as { log: readonly LogEntry[] }).log.slice(from).map((entry) => entry.value),
};

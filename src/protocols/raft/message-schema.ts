const isWhole = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

const ENTRY_FIELDS: ReadonlySet<string> = new Set(['term', 'value', 'client', 'requestId', 'config']);

/**
 * A configuration (thesis §4.1), as a configuration entry or a snapshot carries it: a non-empty
 * array of distinct, non-empty server ids, sorted as the machine keeps them (a group is never
 * left without servers; every server compares configurations as sorted arrays).
 */
const isConfiguration = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((id, i) => typeof id === 'string' && id.length > 0 && (i === 0 || (value[i - 1] as string) < id));

/**
 * A log entry: exactly LogEntry's fields. Found by fuzzing: an entry with any other field passed,
 * and a follower stores entries as they come — the stray field went into its log, into its SQLite
 * file and on to every follower it later led; one nested deeply enough made the store's
 * JSON.stringify overflow the stack, and the host stopped. The messages themselves may carry
 * fields the schema does not name (a transport's tags, such as the service's `shard`): they are
 * never stored.
 */
const isEntry = (value: unknown): boolean => {
  const entry = value as { term?: unknown; value?: unknown; client?: unknown; requestId?: unknown; config?: unknown };
  return (
    typeof entry === 'object' &&
    entry !== null &&
    !Array.isArray(entry) &&
    Object.keys(entry).every((field) => ENTRY_FIELDS.has(field)) &&
    isWhole(entry.term) &&
    typeof entry.value === 'string' &&
    (entry.client === undefined || typeof entry.client === 'string') &&
    (entry.requestId === undefined || typeof entry.requestId === 'string' || typeof entry.requestId === 'number') &&
    (entry.config === undefined || isConfiguration(entry.config))
  );
};

/**
 * The schema of Raft's messages (messages.ts), field by field: the server machine trusts its
 * messages' shapes, so a host checks every message from the network with this first (a runtime
 * `MessageValidator`). True, or what is wrong.
 */
export const validateRaftMessage = (value: unknown): true | string => {
  const m = value as Record<string, unknown>;
  if (!isWhole(m.term)) return '"term" must be a whole number';
  switch (m.type) {
    case 'RequestVote':
      return (typeof m.candidateId === 'string' && isWhole(m.lastLogIndex) && isWhole(m.lastLogTerm)) || 'needs candidateId, lastLogIndex, lastLogTerm';
    case 'RequestVoteResponse':
      return typeof m.voteGranted === 'boolean' || '"voteGranted" must be a boolean';
    case 'AppendEntries':
      return (
        (typeof m.leaderId === 'string' && isWhole(m.prevLogIndex) && isWhole(m.prevLogTerm) && isWhole(m.leaderCommit) && Array.isArray(m.entries) && m.entries.every(isEntry) && (m.round === undefined || isWhole(m.round))) ||
        // (A `round`, if any, must be whole too: thesis §6.4's heartbeat round.)
        'needs leaderId, prevLogIndex, prevLogTerm, leaderCommit and well-formed entries'
      );
    case 'AppendEntriesResponse':
      return (
        (typeof m.success === 'boolean' && isWhole(m.matchIndex) && (m.rejectHint === undefined || isWhole(m.rejectHint)) && (m.round === undefined || isWhole(m.round))) ||
        'needs success and matchIndex (and a whole rejectHint, if any)'
      );
    case 'InstallSnapshot':
      return (
        (typeof m.leaderId === 'string' &&
          isWhole(m.lastIncludedIndex) &&
          isWhole(m.lastIncludedTerm) &&
          isWhole(m.offset) &&
          typeof m.data === 'string' &&
          typeof m.done === 'boolean' &&
          (m.config === undefined || isConfiguration(m.config))) ||
        'needs leaderId, lastIncludedIndex, lastIncludedTerm, offset, data (a string) and done (and a well-formed config, if any)'
      );
    case 'InstallSnapshotResponse':
      return (isWhole(m.lastIncludedIndex) && isWhole(m.received) && typeof m.done === 'boolean') || 'needs lastIncludedIndex, received and done';
    case 'TimeoutNow':
      // Only the term, checked above (thesis §3.10).
      return true;
    default:
      return `not a Raft message type: ${JSON.stringify(m.type)}`;
  }
};

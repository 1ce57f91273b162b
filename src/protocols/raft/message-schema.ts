const isWhole = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;

const isEntry = (value: unknown): boolean => {
  const entry = value as { term?: unknown; value?: unknown; client?: unknown; requestId?: unknown };
  return (
    typeof entry === 'object' &&
    entry !== null &&
    isWhole(entry.term) &&
    typeof entry.value === 'string' &&
    (entry.client === undefined || typeof entry.client === 'string') &&
    (entry.requestId === undefined || typeof entry.requestId === 'string' || typeof entry.requestId === 'number')
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
        (typeof m.leaderId === 'string' && isWhole(m.prevLogIndex) && isWhole(m.prevLogTerm) && isWhole(m.leaderCommit) && Array.isArray(m.entries) && m.entries.every(isEntry)) ||
        'needs leaderId, prevLogIndex, prevLogTerm, leaderCommit and well-formed entries'
      );
    case 'AppendEntriesResponse':
      return (typeof m.success === 'boolean' && isWhole(m.matchIndex) && (m.rejectHint === undefined || isWhole(m.rejectHint))) || 'needs success and matchIndex (and a whole rejectHint, if any)';
    default:
      return `not a Raft message type: ${JSON.stringify(m.type)}`;
  }
};

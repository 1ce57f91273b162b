import { defineModel } from '../../../src/checker/index.ts';
import { participantIgnoresLocks } from '../../../src/protocols/two-phase-commit/index.ts';
import { lockTableModel } from '../_lock-table.ts';

/**
 * Broken on purpose: participants prepare a transaction whatever locks other prepared transactions
 * hold. Two prepared transactions then hold one key: NoConflictingLocks fails (and, further on,
 * conflicting transactions can commit in different orders at the two participants).
 */
export default defineModel({
  description: 'BROKEN: a participant that ignores its lock table',
  build: () => lockTableModel({ transactions: 2, participants: 2, crashes: 0, participantMachine: participantIgnoresLocks }),
  expected: () => ({ verdict: 'violation', property: 'NoConflictingLocks' }),
});

import { describe, expect, it } from 'vitest';

/**
 * What the package promises at run time, entry by entry: a name added to or removed from an entry
 * must be added to or removed from these lists too, so the public API changes only on purpose.
 * (Types are held by the pack-and-install test, which type-checks a project against the .d.ts.)
 * The protocol entries are their folders' whole index.ts and grow with the protocols.
 */
const ENTRIES: Readonly<Record<string, () => Promise<object>>> = {
  unanimous: () => import('unanimous'),
  'unanimous/service': () => import('unanimous/service'),
  'unanimous/runtime': () => import('unanimous/runtime'),
};

const PROMISED: Readonly<Record<string, readonly string[]>> = {
  unanimous: [
    'ModelError', 'abstraction', 'always', 'check', 'defineModel', 'eventually', 'history', 'isLiveness', 'judge', 'leadsTo',
    'passes', 'persist', 'reasonOf', 'refines', 'reply', 'send', 'simulate', 'sometimes', 'whenQuiescent',
  ],
  'unanimous/service': ['KvClient', 'MAX_KEY_BYTES', 'MAX_TXN_PARTS', 'MAX_VALUE_BYTES'],
  'unanimous/runtime': [
    'CommitGroup', 'DEFAULT_BACKOFF', 'DEFAULT_MAX_FRAME_BYTES', 'FRAME_HEADER_BYTES', 'FrameDecoder', 'FrameError', 'MAX_MESSAGE_DEPTH',
    'MAX_REASON_LENGTH', 'ManualClock', 'MemoryNetwork', 'MemoryStore', 'NodeHost', 'PeerLink', 'RequestFailedError', 'SqliteFile',
    'SqliteStore', 'TcpTransport', 'checkTimerPolicy', 'decodeFrameBody', 'encodeFrame', 'isReservedEventType', 'jsonLinesTrace',
    'nestedDeeperThan', 'randomBetween', 'refusalOf', 'seededRandom', 'stderrLogger', 'systemClock', 'timerDuration',
  ],
};

describe('the public entries', () => {
  for (const [entry, load] of Object.entries(ENTRIES)) {
    it(`${entry} exports exactly the names promised`, async () => {
      expect(Object.keys(await load()).sort()).toEqual([...PROMISED[entry]!].sort());
    });
  }

  it("keeps the service's internals (nodes, shards, the launcher) out of unanimous/service", async () => {
    const service = await import('unanimous/service');
    for (const internal of ['KvNode', 'LocalCluster', 'ShardState', 'crossShardCommit']) expect(service).not.toHaveProperty(internal);
  });
});

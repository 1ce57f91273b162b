import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { ALL_PROPERTIES, raftModel } from './_build.ts';

/**
 * Raft at a size meant for `unanimous simulate`, far beyond exhaustive checking: five servers,
 * two commands, heartbeats, and every fault at once — lost, duplicated and reordered messages,
 * crashes and restarts of any server, elections up to term `terms`. The boundary (terms, logs,
 * messages in flight) keeps the state space finite, not small. Every property of three-servers is
 * checked on every state of every walk.
 */
export default defineModel({
  description: 'Raft, 5 servers, all faults, heartbeats: for unanimous simulate',
  simulationOnly: true,
  parameters: {
    servers: { description: 'servers; a quorum is a majority', default: 5, min: 3, max: 7 },
    terms: { description: 'highest term explored', default: 6, min: 1, max: 20 },
    log: { description: 'longest log explored', default: 3, min: 0, max: 8 },
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 40, min: 1, max: 64 },
    ...faultParameters({ loss: 3, duplication: 3, crashes: 2 }, 'server', 10),
  },
  build: (p) =>
    raftModel({
      servers: p.servers!,
      values: ['v1', 'v2'],
      bounds: { maxTerm: p.terms!, maxLog: p.log!, maxInFlight: p.inFlight! },
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      heartbeats: true,
      properties: { ...ALL_PROPERTIES, goals: ['EntryCommitted', 'LaterLeaderHoldsEarlierEntry', 'CommittedIndirectly'] },
    }),
});

import { defineModel } from '../../../src/checker/index.ts';
import { peerAcksUnloggedProposal } from '../../../src/protocols/zab/index.ts';
import { zabModel } from '../_build.ts';

/**
 * Broken on purpose: followers acknowledge a PROPOSAL without logging it durably. p1 leads epoch
 * 1 with p2, broadcasts x, counts p2's acknowledgement and delivers (1,1,x); p2 crashes and comes
 * back without it; p3 stands as candidate and with p2 forms a quorum for epoch 2 whose initial
 * history is empty: the new primary has not delivered a transaction of an earlier epoch that p1
 * delivered (PrimaryIntegrity, 19 steps). Checked without PrimaryIntegrity, the new primary goes
 * on to deliver its own transaction (2,1,x) in the place of (1,1,x): Agreement fails (22 steps).
 */
export default defineModel({
  description: 'BROKEN: Zab followers that acknowledge proposals they did not persist',
  build: () =>
    zabModel({
      peers: 3,
      values: ['x'],
      maxEpoch: 2,
      maxBroadcasts: 2,
      network: 'multiset',
      faults: { crash: 1 },
      timers: ['electionTimeout'],
      symmetric: true,
      machine: peerAcksUnloggedProposal,
    }),
  expected: () => ({ verdict: 'violation', property: 'PrimaryIntegrity' }),
});

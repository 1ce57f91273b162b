import { peer } from './peer.ts';

/**
 * A deliberately broken Zab peer, kept so tests can show the checker catches it: as a follower it
 * acknowledges a PROPOSAL without logging it durably (step 3.2.1 requires the proposal to be
 * persisted before the ACK). The leader counts the acknowledgement, commits and delivers; the
 * follower crashes, comes back without the transaction, and with a peer that never saw it forms a
 * quorum for the next epoch whose initial history lacks a delivered transaction. Never deploy it.
 */
export const peerAcksUnloggedProposal = peer.provide({
  actions: { persistLoggedTxn: () => {} },
});

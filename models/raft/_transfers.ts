import type { GlobalView, Model, NodeView } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes } from '../../src/checker/index.ts';
import type { Json } from '../../src/node/index.ts';
import type { RaftContext } from '../../src/protocols/raft/index.ts';
import type { Servers, TimeoutNowInFlight, TransferHistory, Transfers, TransferState } from '../../spec/raft.ts';
import { NO_TRANSFERS, recordTransfers, TimeoutNowOnlyToUpToDate, transferCompleted } from '../../spec/raft.ts';
import { wholeLog } from './_applied-entries.ts';
import { raftModel, serverState, type RaftSetup } from './_build.ts';

/**
 * Leadership transfer (Ongaro's thesis §3.10) in the Raft models. The host of every server may
 * hand it `TransferLeadership` to each of its peers at any moment (only a leader takes it, the
 * others refuse it and nothing changes); the checker may fire a transferring leader's
 * `electionTimeout` (the transfer's timeout, thesis §3.10) wherever it may fire the server's
 * election timer (`candidates`). The transfers begun in a behaviour are bounded (the boundary expands no
 * state past `transfers` of them), the history variable recording them (spec/raft.ts).
 */

/** The transferring leader's substate, as the machine names it (`{ leader: { transferring: … } }`). */
const transferPhase = (node: NodeView): string | undefined => {
  const leader = (node.value as { leader?: { transferring?: string } } | undefined)?.leader;
  return typeof leader === 'object' ? leader.transferring : undefined;
};

/** What the transfer history sees of a server: its term, and its transfer while it leads and transfers. */
export const transfersView = abstraction<Transfers>(
  (node) => {
    const term = serverState(node).term;
    if (node.crashed) return { term };
    const context = node.context as RaftContext;
    const phase = transferPhase(node);
    if (context.transfer === null || phase === undefined) return { term };
    const transfer: TransferState = { term, to: context.transfer.to, timeoutNowSent: phase === 'timeoutNowSent', log: wholeLog(context.snapshot, context.log) };
    return { term, transfer } as Json;
  },
  (parts) => {
    const transfers: Record<string, TransferState> = {};
    const terms: Record<string, number> = {};
    for (const [id, part] of Object.entries(parts as Record<string, { term: number; transfer?: TransferState }>)) {
      terms[id] = part.term;
      if (part.transfer !== undefined) transfers[id] = part.transfer;
    }
    return { transfers, terms };
  },
);

export const transferHistory = history<TransferHistory, Transfers>({
  name: 'transfers',
  over: transfersView,
  initial: (transfers) => recordTransfers(NO_TRANSFERS, transfers),
  next: recordTransfers,
});

const timeoutNowsInFlight = (state: GlobalView): TimeoutNowInFlight[] =>
  state.messages.filter(({ message }) => message.type === 'TimeoutNow').map(({ from, to, message }) => ({ from, to, term: message.term as number }));

const serversOf = (state: GlobalView): Servers => Object.fromEntries(state.nodes.map((node) => [node.id, serverState(node)]));

export interface TransferSetup extends RaftSetup {
  /** How many transfers leaders may take on in one behaviour. */
  readonly transfers: number;
}

/**
 * A Raft model with leadership transfers: each server's host may ask it to transfer to any peer;
 * TimeoutNowOnlyToUpToDate is checked over the transfer history, with the goal TransferCompleted
 * (a target of TimeoutNow leads a later term); the Raft properties selected in `properties` as well
 * (none over the Raft history: a model has one history variable, and this one is the transfers').
 */
export function raftTransferModel(setup: TransferSetup): Model {
  if (setup.properties.overHistory?.length) throw new Error('raftTransferModel: its history variable is the transfers; select no overHistory properties');
  const model = raftModel(setup);
  const boundary = model.boundary!;
  return {
    ...model,
    nodes: model.nodes.map((node) => ({
      ...node,
      spontaneous: [...(node.spontaneous ?? []), ...node.peers.map((to) => ({ type: 'TransferLeadership', to }))],
    })),
    boundary: (state) => boundary(state) && (state.history as TransferHistory).begun <= setup.transfers,
    history: transferHistory,
    properties: [
      ...model.properties,
      always('TimeoutNowOnlyToUpToDate', (state) => {
        const inFlight = timeoutNowsInFlight(state);
        return inFlight.length === 0 || TimeoutNowOnlyToUpToDate(state.history as TransferHistory, serversOf(state), inFlight);
      }),
      sometimes('TransferCompleted', (state) => Object.keys((state.history as TransferHistory).timeoutNow).length > 0 && transferCompleted(state.history as TransferHistory, serversOf(state))),
    ],
  };
}

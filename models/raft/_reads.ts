import { enqueueActions } from 'xstate';
import type { GlobalView, Model, NodeView, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes } from '../../src/checker/index.ts';
import type { NodeMachine } from '../../src/node/index.ts';
import { reply } from '../../src/node/index.ts';
import type { PendingRead, RaftContext } from '../../src/protocols/raft/index.ts';
import type { ReadHistory, ReadsView } from '../../spec/raft.ts';
import { LinearizableReads, NO_READS, recordReads, someReadAnswered } from '../../spec/raft.ts';
import { raftModel, type RaftSetup } from './_build.ts';

/**
 * ReadIndex reads (Ongaro's thesis §6.4) in the Raft models. The checker keeps no replies, so the
 * host's side is made explicit: each server's host records the answers its server gives to reads
 * (`readReplies` in its context, in the order given) — the machine's one `replyToRead` action,
 * wrapped; nothing else changes. Clients ask any server for read 1..`reads`, each read once in the
 * whole system (the boundary expands no state where a read id was issued twice).
 */

type ReadReply = { readonly requestId: string | number; readonly result: { readIndex: number } | { error: string } };
type HostedContext = RaftContext & { readonly readReplies?: readonly ReadReply[] };

/** The machine with its host's record of the answers to reads. */
export function withReadLog(machine: NodeMachine): NodeMachine {
  return machine.provide({
    actions: {
      replyToRead: enqueueActions(({ context, enqueue }, params: { client: string; requestId: string | number; result: ReadReply['result'] }) => {
        enqueue.emit(reply(params.client, params.requestId, params.result) as never);
        enqueue.assign({ readReplies: [...((context as HostedContext).readReplies ?? []), { requestId: params.requestId, result: params.result }] } as never);
      }) as never,
    },
  });
}

const readsOf = (node: NodeView): { pending: readonly PendingRead[]; replies: readonly ReadReply[] } =>
  node.crashed ? { pending: [], replies: [] } : { pending: (node.context as HostedContext).reads, replies: (node.context as HostedContext).readReplies ?? [] };

/** What the reads properties see: see `ReadsView` in spec/raft.ts. */
export const readsView = abstraction<ReadsView>(
  (node) => {
    if (node.crashed) return { known: 0, issued: [], answered: {} };
    const { pending, replies } = readsOf(node);
    const answered: Record<string, number> = {};
    for (const { requestId, result } of replies) if ('readIndex' in result) answered[String(requestId)] = result.readIndex;
    return { known: (node.context as RaftContext).commitIndex, issued: [...pending, ...replies].map((read) => String(read.requestId)), answered };
  },
  (parts) => {
    const views = Object.values(parts) as ReadsView[];
    return {
      known: Math.max(0, ...views.map((view) => view.known)),
      issued: [...new Set(views.flatMap((view) => view.issued))].sort(),
      answered: Object.assign({}, ...views.map((view) => view.answered)) as Record<string, number>,
    };
  },
);

export const readHistory = history<ReadHistory, ReadsView>({ name: 'reads', over: readsView, initial: (view) => recordReads(NO_READS, view), next: recordReads });

/** The property over the read history, judged once per history value (values are shared per history id). */
function overReads(name: string, holds: (history: ReadHistory) => boolean, kind: 'always' | 'sometimes'): Property {
  const verdicts = new WeakMap<ReadHistory, boolean>();
  const judge = (state: GlobalView) => {
    const value = state.history as ReadHistory;
    let verdict = verdicts.get(value);
    if (verdict === undefined) verdicts.set(value, (verdict = holds(value)));
    return verdict;
  };
  return kind === 'always' ? always(name, judge) : sometimes(name, judge);
}

/** No read id is issued twice: the reads a model explores are 1..N, each once. */
const eachReadOnce = (state: GlobalView): boolean => {
  const seen = new Set<string>();
  for (const node of state.nodes) {
    const { pending, replies } = readsOf(node);
    for (const read of [...pending, ...replies]) {
      const id = String(read.requestId);
      if (seen.has(id)) return false;
      seen.add(id);
    }
  }
  return true;
};

export interface ReadSetup extends RaftSetup {
  /** How many reads clients issue in all (ids 1..reads), each at any server, at any moment. */
  readonly reads: number;
}

/**
 * A Raft model with client reads: the servers' hosts record read answers, clients may send each
 * ReadRequest to any server, and LinearizableReads (spec/raft.ts) is checked over the read
 * history, with the goal ReadAnswered; the Raft properties selected in `properties` as well.
 */
export function raftReadModel(setup: ReadSetup): Model {
  const model = raftModel(setup);
  const requests = Array.from({ length: setup.reads }, (_, i) => ({ type: 'ReadRequest', client: 'c', requestId: i + 1 }));
  const boundary = model.boundary!;
  // One wrapped machine per machine (the servers of a symmetry set must run the same one).
  const wrapped = new Map<NodeMachine, NodeMachine>();
  const hosted = (machine: NodeMachine) => wrapped.get(machine) ?? wrapped.set(machine, withReadLog(machine)).get(machine)!;
  return {
    ...model,
    nodes: model.nodes.map((node) => ({ ...node, machine: hosted(node.machine), spontaneous: [...(node.spontaneous ?? []), ...requests] })),
    boundary: (state) => boundary(state) && eachReadOnce(state),
    history: readHistory,
    properties: [...model.properties, overReads('LinearizableReads', LinearizableReads, 'always'), overReads('ReadAnswered', someReadAnswered, 'sometimes')],
  };
}

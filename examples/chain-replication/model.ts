import { always, defineModel, type GlobalView, type Model, sometimes } from 'unanimous';
import { chainClient } from './client.ts';
import { chainServer } from './server.ts';

const serverIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `s${i + 1}`);

interface Options {
  readonly servers: number;
  readonly clients: number;
  readonly writes: number;
  readonly reads: number;
  readonly resends: number;
  /** The bugs of the broken variants (server.ts's ChainConfig). */
  readonly bug?: 'ackAtHead' | 'applyResent';
}

const historyOf = (state: GlobalView, id: string): readonly string[] =>
  (state.nodes.find((node) => node.id === id)!.context as { history: readonly string[] }).history;

const isPrefix = (shorter: readonly string[], longer: readonly string[]): boolean =>
  shorter.length <= longer.length && shorter.every((value, i) => longer[i] === value);

type ClientView = { readonly lastRead: readonly string[] | null; readonly acknowledgedAtRead: readonly string[] };

/**
 * A chain of servers s1 (head) … sN (tail) and clients c1 … cM, over FIFO links (the paper
 * assumes reliable FIFO channels, as TCP gives). Each client may write (c1.v1, c1.v2, … up to
 * `writes`) or read (up to `reads` times) at any moment, one request at a time, and send a request again (up to
 * `resends` times) whenever its retry timer fires — so duplicates and late answers are in flight
 * too; the clients' updates interleave in the chain.
 */
export function chainModel({ servers, clients, writes, reads, resends, bug }: Options): Model {
  const chain = serverIds(servers);
  const clientIds = Array.from({ length: clients }, (_, i) => `c${i + 1}`);
  const clientsOf = (state: GlobalView) => state.nodes.filter((node) => clientIds.includes(node.id)).map((node) => node.context as ClientView);
  return {
    nodes: [
      ...chain.map((id) => ({ id, machine: chainServer, peers: [...chain.filter((peer) => peer !== id), ...clientIds], config: { chain, ackAtHead: bug === 'ackAtHead', applyResent: bug === 'applyResent' } })),
      ...clientIds.map((id) => ({ id, machine: chainClient, peers: chain, config: { chain, writes, reads, resends }, spontaneous: [{ type: 'Write' }, { type: 'Read' }] })),
    ],
    network: 'fifo',
    properties: [
      // §3's Update Propagation Invariant: for servers i before j in the chain, Hist_j ⪯ Hist_i.
      always('UpdatePropagation', (state) => chain.every((id, i) => i === 0 || isPrefix(historyOf(state, id), historyOf(state, chain[i - 1]!)))),
      // Exactly once: a resent update is never applied twice.
      always('NoUpdateAppliedTwice', (state) => chain.every((id) => new Set(historyOf(state, id)).size === historyOf(state, id).length)),
      // Strong consistency as each client sees it: a read returns every write of its own acknowledged before it was asked.
      always('ReadSeesAcknowledgedWrites', (state) =>
        clientsOf(state).every((client) => client.lastRead === null || client.acknowledgedAtRead.every((value) => client.lastRead!.includes(value)))),
      // Not vacuous: some read returns a write.
      sometimes('SomeReadSeesAWrite', (state) => clientsOf(state).some((client) => (client.lastRead?.length ?? 0) > 0)),
    ],
  };
}

export const PARAMETERS = {
  servers: { description: 'servers in the chain', default: 3, min: 1, max: 4 },
  clients: { description: 'clients', default: 2, min: 1, max: 3 },
  writes: { description: 'writes each client makes', default: 1, min: 1, max: 3 },
  reads: { description: 'reads each client makes', default: 1, min: 1, max: 3 },
  resends: { description: 'times a client may send one request again', default: 1, min: 0, max: 2 },
};

/** Distinct states by servers/clients/writes/reads/resends, as `unanimous check` counts them. */
const DISTINCT: Readonly<Record<string, number>> = {
  '1/2/1/1/1': 13_583, '1/1/2/2/1': 323, '1/1/3/3/1': 804, '1/1/2/2/2': 855, '1/2/2/2/0': 24_075, '1/2/1/2/1': 64_617,
  '2/2/1/1/1': 92_735, '2/1/2/2/1': 1_272, '2/1/3/3/1': 3_819, '2/1/2/2/2': 11_414, '2/2/2/2/0': 32_887, '2/2/1/2/1': 545_211,
  '3/2/1/1/1': 157_769, '3/1/2/2/1': 1_910, '3/1/3/3/1': 5_892, '3/1/2/2/2': 20_080, '3/2/2/2/0': 42_955, '3/2/1/2/1': 881_677,
  '4/2/1/1/1': 246_719, '4/1/2/2/1': 2_739, '4/1/3/3/1': 8_626, '4/1/2/2/2': 33_628, '4/2/2/2/0': 54_279, '4/2/1/2/1': 1_325_189,
};

export default defineModel({
  description: 'chain replication (van Renesse and Schneider 2004): updates at the head, reads at the tail',
  parameters: PARAMETERS,
  build: (p) => chainModel({ servers: p.servers!, clients: p.clients!, writes: p.writes!, reads: p.reads!, resends: p.resends! }),
  expected: ({ servers, clients, writes, reads, resends }) => {
    const distinct = DISTINCT[`${servers}/${clients}/${writes}/${reads}/${resends}`];
    return distinct === undefined ? undefined : { verdict: 'ok', distinct };
  },
});

import { always, defineModel, type Model, sometimes } from 'unanimous';
import { lockClient, lockServer } from './machines.ts';

/** The server `server` and clients c1..cN, on a network that may reorder but not lose messages. */
export function lockModel(clients: number, grantWhileHeld: boolean): Model {
  const ids = Array.from({ length: clients }, (_, i) => `c${i + 1}`);
  return {
    nodes: [
      { id: 'server', machine: lockServer({ grantWhileHeld }), peers: ids, config: {} },
      ...ids.map((id) => ({
        id,
        machine: lockClient,
        peers: ['server'],
        config: {},
        spontaneous: [{ type: 'Want' }, { type: 'Done' }],
      })),
    ],
    network: 'multiset',
    properties: [
      always('MutualExclusion', (state) =>
        state.nodes.filter((node) => node.value === 'holding').length <= 1),
      sometimes('SomeoneHolds', (state) => state.nodes.some((node) => node.value === 'holding')),
    ],
  };
}

const DISTINCT: Readonly<Record<number, number>> = { 1: 8, 2: 39, 3: 162 };

export default defineModel({
  description: 'a lock server and its clients: at most one client holds the lock',
  parameters: { clients: { description: 'clients', default: 2, min: 1, max: 3 } },
  build: ({ clients }) => lockModel(clients!, false),
  expected: ({ clients }) => ({ verdict: 'ok', distinct: DISTINCT[clients!] }),
});

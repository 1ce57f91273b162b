import { setup } from 'xstate';
import type { NodeDefinition } from '../../src/checker/index.ts';
import type { NodeInput, NodeMachine } from '../../src/node/index.ts';

/**
 * A fixture for liveness tests: a node whose machine is a given state graph. `table[state]` maps
 * an event type to the next state — a spontaneous event the node may take whenever its state
 * handles it — or, written `after:NAME`, a timer named NAME armed in that state.
 */
export type GraphTable = Readonly<Record<string, Readonly<Record<string, string>>>>;

export function graphNode(id: string, table: GraphTable, initial: string, machineId = 'graph'): NodeDefinition {
  const delays: Record<string, number> = {};
  const events = new Set<string>();
  const states: Record<string, object> = {};
  for (const [state, moves] of Object.entries(table)) {
    const on: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (const [move, to] of Object.entries(moves)) {
      if (move.startsWith('after:')) {
        const name = move.slice('after:'.length);
        delays[name] = 100;
        after[name] = to;
      } else {
        events.add(move);
        on[move] = to;
      }
    }
    states[state] = { on, after };
  }
  const machine = setup({ types: { input: {} as NodeInput }, delays }).createMachine({ id: machineId, initial, states: states as never }) as unknown as NodeMachine;
  return { id, machine, peers: [], config: {}, spontaneous: [...events].map((type) => ({ type })) };
}

/** The state value of node `id` at each state of a trace, the initial state first. */
export const valuesAlong = (trace: { initial: { nodes: readonly { id: string; value?: unknown }[] }; steps: readonly { changed: readonly { after: { id: string; value?: unknown } }[] }[] }, id: string): unknown[] => {
  let value = trace.initial.nodes.find((node) => node.id === id)?.value;
  const values = [value];
  for (const step of trace.steps) {
    const change = step.changed.find((c) => c.after.id === id);
    if (change) value = change.after.value;
    values.push(value);
  }
  return values;
};

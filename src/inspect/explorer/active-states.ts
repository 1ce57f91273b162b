import type { StateValue } from 'xstate';
import type { ChartState } from '../statechart.ts';

/**
 * The ids of the chart states a node is in, outermost first: a state value `{ committed:
 * 'awaitingAcks' }` is the states `tm.committed` and `tm.committed.awaitingAcks`. The value is
 * followed through the chart by state keys, so states given ids of their own are found too.
 */
export function activeStateIds(root: ChartState, value: StateValue | undefined): string[] {
  if (value === undefined) return [];
  const ids: string[] = [];
  const visit = (parent: ChartState, value: StateValue) => {
    if (typeof value === 'string') {
      const child = parent.states.find((state) => state.key === value);
      if (child) ids.push(child.id);
      return;
    }
    for (const [key, inner] of Object.entries(value)) {
      const child = parent.states.find((state) => state.key === key);
      if (!child) continue;
      ids.push(child.id);
      if (inner !== undefined) visit(child, inner);
    }
  };
  visit(root, value);
  return ids;
}

import { label } from './mermaid.ts';
import type { ChartState, Statechart } from './statechart.ts';

/**
 * A statechart as a Graphviz digraph: compound states as clusters (an edge to one enters at its
 * initial state), transitions labelled `event [guard] / actions`.
 */
export function statechartToDot(chart: Statechart): string {
  const lines = [`digraph "${chart.id}" {`, '  compound=true;', '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const entryOf = (id: string): string => {
    const state = find(chart.root, id);
    return state?.initial ? entryOf(state.initial) : id;
  };
  const render = (parent: ChartState, indent: string) => {
    if (parent.initial) {
      lines.push(`${indent}"${parent.id}.__initial" [shape=point, label=""];`);
      lines.push(`${indent}"${parent.id}.__initial" -> "${entryOf(parent.initial)}";`);
    }
    for (const state of parent.states) {
      if (state.states.length > 0) {
        lines.push(`${indent}subgraph "cluster_${state.id}" {`, `${indent}  label="${state.key}${state.entry.length ? `\\nentry / ${state.entry.join(', ')}` : ''}";`);
        render(state, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const entry = state.entry.length ? `\\nentry / ${state.entry.join(', ')}` : '';
        lines.push(`${indent}"${state.id}" [label="${state.key}${entry}"${state.type === 'final' ? ', peripheries=2' : ''}];`);
      }
    }
  };
  render(chart.root, '  ');
  const edges = (state: ChartState) => {
    for (const transition of state.transitions) {
      const from = state.states.length > 0 ? entryOf(state.id) : state.id;
      for (const target of transition.targets.length > 0 ? transition.targets : [state.id]) {
        const to = entryOf(target);
        const clusters = [state.states.length > 0 ? `ltail="cluster_${state.id}"` : '', target !== to ? `lhead="cluster_${target}"` : ''].filter(Boolean);
        lines.push(`  "${from}" -> "${to}" [label="${label(transition).replace(/"/g, '\\"')}"${clusters.length ? `, ${clusters.join(', ')}` : ''}];`);
      }
    }
    state.states.forEach(edges);
  };
  chart.root.states.forEach(edges);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function find(state: ChartState, id: string): ChartState | undefined {
  if (state.id === id) return state;
  for (const child of state.states) {
    const found = find(child, id);
    if (found) return found;
  }
  return undefined;
}

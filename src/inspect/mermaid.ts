import type { ChartState, ChartTransition, Statechart } from './statechart.ts';

/**
 * A statechart as a Mermaid `stateDiagram-v2`: nested states as composite states, each
 * transition labelled `event [guard] / actions`, timers as `after <delay>`.
 */
export function statechartToMermaid(chart: Statechart): string {
  const lines = ['stateDiagram-v2', `  %% ${chart.id}`];
  renderChildren(chart.root, lines, '  ', true);
  return `${lines.join('\n')}\n`;
}

function renderChildren(parent: ChartState, lines: string[], indent: string, isRoot = false): void {
  for (const state of parent.states) {
    lines.push(`${indent}state "${state.key}" as ${idOf(state.id)}`);
    if (state.entry.length > 0) lines.push(`${indent}${idOf(state.id)} : entry / ${state.entry.join(', ')}`);
  }
  if (parent.initial) lines.push(`${indent}[*] --> ${idOf(parent.initial)}`);
  for (const state of parent.states) {
    if (state.type === 'final') lines.push(`${indent}${idOf(state.id)} --> [*]`);
    if (state.states.length > 0) {
      lines.push(`${indent}state ${idOf(state.id)} {`);
      renderChildren(state, lines, `${indent}  `);
      lines.push(`${indent}}`);
    }
  }
  for (const state of parent.states) {
    for (const transition of state.transitions) {
      const targets = transition.targets.length > 0 ? transition.targets : [state.id];
      for (const target of targets) lines.push(`${indent}${idOf(state.id)} --> ${idOf(target)} : ${label(transition)}`);
    }
  }
  if (isRoot && parent.transitions.length > 0) {
    // Transitions on the machine itself apply in every state: drawn from one "any state" box.
    // (A nested state's own transitions are drawn from it, by its parent.)
    const any = `${idOf(parent.id)}_any`;
    lines.push(`${indent}state "in any state" as ${any}`);
    for (const transition of parent.transitions) {
      const targets = transition.targets.length > 0 ? transition.targets : [parent.id];
      for (const target of targets) lines.push(`${indent}${any} --> ${target === parent.id ? any : idOf(target)} : ${label(transition)}`);
    }
  }
}

/** `Event [guard] / action, action`, with characters Mermaid reads as syntax kept out. */
export function label(transition: ChartTransition): string {
  let text = transition.trigger;
  if (transition.guard) text += ` [${transition.guard}]`;
  if (transition.actions.length > 0) text += ` / ${transition.actions.join(', ')}`;
  return text.replace(/[:;{}]/g, ' ');
}

const idOf = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

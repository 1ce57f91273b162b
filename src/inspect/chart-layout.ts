import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkLabel, ElkNode, ElkPoint } from 'elkjs/lib/elk-api.js';
import type { ChartState, ChartTransition, Statechart } from './statechart.ts';
import { textWidth } from './text-metrics.ts';

/** How a piece of text in a chart is set: each style has its own colour and weight in the SVG. */
export type RunStyle = 'title' | 'name' | 'keyword' | 'event' | 'guard' | 'action';

export interface TextRun {
  readonly text: string;
  readonly style: RunStyle;
}

export interface TextLine {
  readonly runs: readonly TextRun[];
  /** Font size in pixels. */
  readonly size: number;
  /** Left indent in pixels (continuation lines of a long action list). */
  readonly indent: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A state's box, placed: coordinates are absolute, in pixels. */
export interface StateBox {
  /** The state's dotted path from the machine root (`tm.committed.announcing`); the root's is the machine id. */
  readonly path: string;
  readonly kind: 'root' | 'compound' | 'atomic' | 'final' | 'any';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** The name line, then (below a divider) entry actions and internal transitions. */
  readonly lines: readonly TextLine[];
  /** The initial-state marker of a compound state: a dot, and the route from it to the initial child. */
  readonly initial?: { readonly center: Point; readonly route: readonly Point[] };
  readonly children: readonly StateBox[];
}

export interface TransitionArrow {
  readonly from: string;
  readonly to: string;
  readonly route: readonly Point[];
  readonly label: { readonly x: number; readonly y: number; readonly width: number; readonly height: number; readonly lines: readonly TextLine[] };
}

export interface ChartLayout {
  readonly width: number;
  readonly height: number;
  readonly root: StateBox;
  readonly transitions: readonly TransitionArrow[];
  /** Whether some listed transition re-enters its state (and the chart needs the ↻ legend). */
  readonly reenters: boolean;
}

// Sizes, in pixels.
const TITLE_SIZE = 15;
const NAME_SIZE = 13;
const DETAIL_SIZE = 11;
const LINE_HEIGHT = 1.4;
const BOX_PADDING_X = 12;
const BOX_PADDING_Y = 8;
/** The gap around the divider between a state's name and its compartment. */
const DIVIDER_GAP = 6;
const COMPOUND_PADDING = 16;
/** A compartment line or a label wraps its action list past this width. */
const MAX_TEXT_WIDTH = 250;
const LABEL_PADDING = 3;
const INITIAL_DOT = 10;
export const MARGIN = 12;

/**
 * Lays a statechart out with ELK's layered algorithm (Sugiyama-style, top to bottom), across the
 * hierarchy at once so that transitions between nested states are routed too. A state with
 * children is a compound box with its name, entry actions and internal transitions in a header;
 * transitions to other states are edges (orthogonal, labelled); those that stay in their state are
 * listed in its box, as UML lists internal transitions. The machine's own transitions, which apply
 * in every state, leave one "in any state" box.
 */
export async function layoutStatechart(chart: Statechart): Promise<ChartLayout> {
  // ELK ids are short and opaque (n0, n1, …); the SVG names states by their paths.
  const elkIds = new Map<string, string>();
  const paths = new Map<string, string>();
  const pathById = new Map<string, string>();
  const stateByPath = new Map<string, ChartState>();
  const idOf = (path: string) => {
    let id = elkIds.get(path);
    if (!id) {
      id = `n${elkIds.size}`;
      elkIds.set(path, id);
      paths.set(id, path);
    }
    return id;
  };
  /** Every state's path in the order the states are written. */
  const order: string[] = [];
  const register = (state: ChartState, path: string) => {
    order.push(path);
    pathById.set(state.id, path);
    stateByPath.set(path, state);
    state.states.forEach((child) => register(child, `${path}.${child.key}`));
  };
  register(chart.root, chart.id);
  const pathOf = (stateId: string) => pathById.get(stateId) ?? stateId;

  const contents = new Map<string, TextLine[]>();
  const edges: { edge: ElkExtendedEdge; from: string; to: string }[] = [];
  const edgeInfo = new Map<string, { from: string; to: string; lines: TextLine[] }>();
  const anyPath = `${chart.id}.*`;

  const addEdge = (from: string, to: string, transition: ChartTransition) => {
    const lines = transitionLines(transition, DETAIL_SIZE);
    const size = blockSize(lines);
    const id = `e${edges.length}`;
    // A transition back to a state written earlier (a timeout back to election, a retry) runs
    // upwards around the layers: its label goes where it leaves its source, not halfway up the
    // detour, far from both ends. Other labels sit midway along their edge.
    const back = from !== anyPath && order.indexOf(to) <= order.indexOf(from) && !to.startsWith(`${from}.`);
    const label: ElkLabel = {
      id: `${id}_label`,
      // ELK places only labels that have a text.
      text: lines.map((line) => line.runs.map((run) => run.text).join('')).join(' '),
      width: size.width + 2 * LABEL_PADDING,
      height: size.height + 2 * LABEL_PADDING,
      layoutOptions: { 'elk.edgeLabels.placement': back ? 'TAIL' : 'CENTER' },
    };
    edges.push({ edge: { id, sources: [idOf(from)], targets: [idOf(to)], labels: [label] }, from, to });
    edgeInfo.set(id, { from, to, lines });
  };

  // Transitions that stay in their state, listed in its box rather than drawn as loops (a box with
  // several loops is unreadable); one that re-enters is marked ↻.
  const staysIn = (state: ChartState, transition: ChartTransition) =>
    transition.targets.length === 0 || (transition.targets.length === 1 && transition.targets[0] === state.id);
  let reenters = false;
  const listed = (state: ChartState, transition: ChartTransition) => {
    const reentering = transition.reenter && transition.targets.length > 0;
    if (reentering) reenters = true;
    return transitionLines(transition, DETAIL_SIZE, reentering);
  };

  const nodeOf = (state: ChartState, path: string, isRoot: boolean): ElkNode => {
    const id = idOf(path);
    const internal = isRoot ? [] : state.transitions.filter((t) => staysIn(state, t));
    const name: TextLine = { runs: [{ text: isRoot ? chart.id : state.key, style: isRoot ? 'title' : 'name' }], size: isRoot ? TITLE_SIZE : NAME_SIZE, indent: 0 };
    const details = [
      ...(state.entry.length > 0 ? actionLines([{ text: 'entry', style: 'keyword' }], state.entry, DETAIL_SIZE, true) : []),
      ...internal.flatMap((transition) => listed(state, transition)),
    ];
    const lines = [name, ...details];
    contents.set(id, lines);
    const header = headerSize(lines);
    if (!isRoot) {
      for (const transition of state.transitions) {
        if (staysIn(state, transition)) continue;
        for (const target of transition.targets) addEdge(path, target === chart.root.id ? pathOf(chart.root.initial ?? target) : pathOf(target), transition);
      }
    }
    if (state.states.length === 0) {
      return { id, width: Math.max(header.width, 72), height: Math.max(header.height, 36) };
    }
    const children = state.states.map((child) => nodeOf(child, `${path}.${child.key}`, false));
    if (state.initial) {
      children.unshift({ id: idOf(`${path}.[initial]`), width: INITIAL_DOT, height: INITIAL_DOT });
      const dot = `${path}.[initial]`;
      edges.push({ edge: { id: `i${edges.length}`, sources: [idOf(dot)], targets: [idOf(pathOf(state.initial))] }, from: dot, to: pathOf(state.initial) });
    }
    if (isRoot && state.transitions.length > 0) {
      // The machine's own transitions: one box, its internal transitions listed, the rest edges from it.
      const anyId = idOf(anyPath);
      const anyLines: TextLine[] = [
        { runs: [{ text: 'in any state', style: 'name' }], size: NAME_SIZE, indent: 0 },
        ...state.transitions.filter((t) => staysIn(state, t)).flatMap((t) => listed(state, t)),
      ];
      contents.set(anyId, anyLines);
      const size = headerSize(anyLines);
      children.push({ id: anyId, width: size.width, height: size.height });
      for (const transition of state.transitions) {
        if (staysIn(state, transition)) continue;
        for (const target of transition.targets) addEdge(anyPath, target === chart.root.id ? pathOf(chart.root.initial ?? target) : pathOf(target), transition);
      }
    }
    const node: ElkNode = {
      id,
      children,
      layoutOptions: {
        ...NESTED_OPTIONS,
        // The header goes in the top padding; the minimum size keeps it inside the box. elkjs 0.12
        // applies a compound node's minimum transposed when laying out DOWN across the hierarchy,
        // so it is given as (height, width); a test holds every header inside its box.
        'elk.padding': `[top=${header.height + 10},left=${COMPOUND_PADDING},bottom=${COMPOUND_PADDING},right=${COMPOUND_PADDING}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${header.height + 40},${header.width})`,
      },
    };

    compounds.set(path, node);
    return node;
  };

  const compounds = new Map<string, ElkNode>();
  const rootNode = nodeOf(chart.root, chart.id, true);
  // Each edge belongs to the innermost state holding both its ends, where ELK's model order for it
  // is the order the transitions are written in.
  for (const { edge, from, to } of edges) {
    const container = compounds.get(commonParent(from, to)) ?? rootNode;
    (container.edges ??= []).push(edge);
  }
  const graph: ElkNode = { id: 'graph', layoutOptions: LAYOUT_OPTIONS, children: [rootNode] };
  const laidOut = await elk().layout(graph);
  const laidOutEdges: ElkExtendedEdge[] = [];
  const collect = (node: ElkNode) => {
    laidOutEdges.push(...(node.edges ?? []));
    node.children?.forEach(collect);
  };
  collect(laidOut);

  const boxOf = (node: ElkNode, depth: number): StateBox => {
    const path = paths.get(node.id)!;
    const state = stateByPath.get(path);
    const children = (node.children ?? []).filter((child) => !paths.get(child.id)!.endsWith('.[initial]')).map((child) => boxOf(child, depth + 1));
    const dot = (node.children ?? []).find((child) => paths.get(child.id)!.endsWith('.[initial]'));
    const initialEdge = dot && laidOutEdges.find((edge) => edge.sources[0] === dot.id);
    const kind: StateBox['kind'] = depth === 0 ? 'root' : path === anyPath ? 'any' : state?.type === 'final' ? 'final' : (node.children ?? []).length > 0 ? 'compound' : 'atomic';
    return {
      path,
      kind,
      x: node.x!,
      y: node.y!,
      width: node.width!,
      height: node.height!,
      lines: contents.get(node.id)!,
      ...(dot && initialEdge ? { initial: { center: { x: dot.x! + INITIAL_DOT / 2, y: dot.y! + INITIAL_DOT / 2 }, route: routeOf(initialEdge) } } : {}),
      children,
    };
  };
  const root = boxOf(laidOut.children![0]!, 0);
  const transitions = laidOutEdges
    .filter((edge) => edgeInfo.has(edge.id))
    .map((edge): TransitionArrow => {
      const { from, to, lines } = edgeInfo.get(edge.id)!;
      const label = edge.labels![0]!;
      return { from, to, route: routeOf(edge), label: { x: label.x! + LABEL_PADDING, y: label.y! + LABEL_PADDING, width: label.width! - 2 * LABEL_PADDING, height: label.height! - 2 * LABEL_PADDING, lines } };
    });
  return { width: laidOut.width!, height: laidOut.height!, root, transitions, reenters };
}

/**
 * Options ELK reads from each compound node, not only from the top: cycles are broken depth first
 * from the initial dot (placed first), so each state's flow runs down from its initial state.
 * (MODEL_ORDER cycle breaking, and model order for nested nodes, would suit too, but throw inside
 * nested graphs in elkjs 0.12.)
 */
const NESTED_OPTIONS: Record<string, string> = {
  'elk.layered.cycleBreaking.strategy': 'DEPTH_FIRST',
};

const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  // Every coordinate absolute: no offsets to add up through the nesting.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.padding': `[top=${MARGIN},left=${MARGIN},bottom=${MARGIN},right=${MARGIN}]`,
  ...NESTED_OPTIONS,
  // At the top level, the order states and transitions are written in guides the layout.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
};

// elk.bundled.js is CommonJS (`module.exports = ELK`) typed as an ES default export: under NodeNext
// the default import is the constructor itself at run time, whatever the declaration says.
const ElkConstructor = elkBundled as unknown as new () => ELK;
let instance: ELK | undefined;
/** One ELK for the process: the bundled build lays out in this thread, no worker, no network. */
const elk = () => (instance ??= new ElkConstructor());

/** The path of the innermost state that holds both `a` and `b` (a state does not hold itself). */
function commonParent(a: string, b: string): string {
  const left = a.split('.').slice(0, -1);
  const right = b.split('.').slice(0, -1);
  let shared = 0;
  while (shared < left.length && shared < right.length && left[shared] === right[shared]) shared++;
  return left.slice(0, shared).join('.');
}

function routeOf(edge: ElkExtendedEdge): Point[] {
  const section = edge.sections![0]!;
  const points: ElkPoint[] = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
  return points.map(({ x, y }) => ({ x, y }));
}

/** Marks a listed transition that leaves its state and enters it again (its exit and entry actions run, its timers restart). */
export const REENTER_MARK = '↻';

/** `Event [guard] / actions`: the trigger (`after <delay>` and `always` as keywords), then its guard, then its actions. */
export function transitionLines(transition: ChartTransition, size: number, reentering = false): TextLine[] {
  const runs: TextRun[] = reentering ? [{ text: `${REENTER_MARK} `, style: 'keyword' }] : [];
  const trigger = transition.trigger;
  if (trigger === 'always') runs.push({ text: 'always', style: 'keyword' });
  else if (trigger.startsWith('after ')) runs.push({ text: 'after ', style: 'keyword' }, { text: trigger.slice(6), style: 'event' });
  else runs.push({ text: trigger, style: 'event' });
  if (transition.guard) runs.push({ text: ` [${transition.guard}]`, style: 'guard' });
  return transition.actions.length > 0 ? actionLines(runs, transition.actions, size, false) : [{ runs, size, indent: 0 }];
}

/**
 * `head / a, b, c` on one line when it fits. Otherwise a transition keeps its trigger and guard
 * on a line of their own and its actions go below, while `entry / …` starts its list on the
 * keyword's line; either way the actions are packed to the width, continuation lines indented.
 */
function actionLines(head: readonly TextRun[], actions: readonly string[], size: number, startOnHead: boolean): TextLine[] {
  const oneLine: TextRun[] = [...head, { text: ` / ${actions.join(', ')}`, style: 'action' }];
  if (lineWidth({ runs: oneLine, size, indent: 0 }) <= MAX_TEXT_WIDTH) return [{ runs: oneLine, size, indent: 0 }];
  const lines: TextLine[] = startOnHead ? [] : [{ runs: head, size, indent: 0 }];
  let lead: readonly TextRun[] = startOnHead ? head : [];
  let indent = startOnHead ? 0 : size;
  let text = startOnHead ? ' /' : '/';
  let empty = true;
  actions.forEach((action, i) => {
    const piece = `${action}${i < actions.length - 1 ? ',' : ''}`;
    const candidate = text === '' ? piece : `${text} ${piece}`;
    if (!empty && lineWidth({ runs: [...lead, { text: candidate, style: 'action' }], size, indent }) > MAX_TEXT_WIDTH) {
      lines.push({ runs: [...lead, { text, style: 'action' }], size, indent });
      lead = [];
      indent = size * 1.5;
      text = piece;
    } else {
      text = candidate;
    }
    empty = false;
  });
  lines.push({ runs: [...lead, { text, style: 'action' }], size, indent });
  return lines;
}

export function lineWidth(line: TextLine): number {
  return line.indent + line.runs.reduce((sum, run) => sum + textWidth(run.text, line.size, run.style === 'name' || run.style === 'title' ? 'bold' : 'normal'), 0);
}

export const lineHeight = (line: TextLine): number => line.size * LINE_HEIGHT;

/** The size of a block of lines, without padding. */
export function blockSize(lines: readonly TextLine[]): { width: number; height: number } {
  return { width: Math.max(0, ...lines.map(lineWidth)), height: lines.reduce((sum, line) => sum + lineHeight(line), 0) };
}

/** A state box's header: its name, then the compartment below a divider, padded. */
function headerSize(lines: readonly TextLine[]): { width: number; height: number } {
  const block = blockSize(lines);
  return { width: Math.ceil(block.width + 2 * BOX_PADDING_X), height: Math.ceil(block.height + 2 * BOX_PADDING_Y + (lines.length > 1 ? 2 * DIVIDER_GAP : 0)) };
}

/** Where each line of a box's header sits: its baseline, and where the divider goes (when there is a compartment). */
export function headerLayout(box: { x: number; y: number; lines: readonly TextLine[] }): { baselines: number[]; divider?: number } {
  const baselines: number[] = [];
  let y = box.y + BOX_PADDING_Y;
  let divider: number | undefined;
  box.lines.forEach((line, i) => {
    if (i === 1) {
      divider = y + DIVIDER_GAP;
      y += 2 * DIVIDER_GAP;
    }
    const height = lineHeight(line);
    baselines.push(y + height * 0.75);
    y += height;
  });
  return divider === undefined ? { baselines } : { baselines, divider };
}

export const BOX_TEXT_INSET = BOX_PADDING_X;

import type { Parameters, TraceAction, TraceNode } from '../../checker/index.ts';
import { canonicalJson } from '../../node/index.ts';
import { lassoOf } from '../trace-lasso.ts';
import { describeAction, stateName } from '../trace-text.ts';
import type { ExplorerSession, StatePath } from './explorer-session.ts';
import { RecordedTranslation } from './recorded-translation.ts';
import type { RecordedSummary, TraceDocument } from './trace-document.ts';

/** A trace replayed against the explorer's model. */
export interface Replay {
  /** The property the trace breaks ('' when it does not say). */
  readonly property: string;
  /** The model and parameters the trace was found with, when its file says. */
  readonly source?: { readonly model?: string; readonly parameters?: Parameters };
  /**
   * Every step of the trace, described; `position` is its action's position where it matched;
   * `matchedTo`, in a recorded run, the model's spontaneous event a recorded one was matched to
   * (by type and node) when the two differ.
   */
  readonly steps: readonly { readonly label: string; readonly position?: number; readonly matchedTo?: string }[];
  /** The path of the steps that matched, from the initial state: the page steps along it. */
  readonly path: StatePath;
  /** Where the trace leaves this model (step 0: its initial state differs), and why. */
  readonly mismatch?: { readonly step: number; readonly message: string };
  /** Present for a run hosts recorded: its records, nodes, and the records the model does not allow. */
  readonly recorded?: RecordedSummary;
  /**
   * For a lasso (a liveness counterexample): the step its cycle starts at (none when it stutters
   * in its last state), and the marks the page shows there and after the last step.
   */
  readonly lasso?: { readonly cycleStart?: number; readonly startText: string; readonly endText: string };
}

/**
 * Replays a trace on the model: from the initial state, each step's action must be one of the
 * actions enabled in the state reached so far (matched exactly, as the checker describes it), and
 * must leave the nodes it changes as the trace says. The page then shows the model's own states,
 * not the trace's copies of them; where the trace and the model part, the replay stops and says so.
 *
 * A recorded run (a production step trace) is replayed the same way, but for its clients'
 * requests: a recorded spontaneous event is matched to the first enabled spontaneous event of the
 * same type at the same node, and what the request carried is translated into the model's terms
 * from then on (see RecordedTranslation).
 */
export function replayTrace(session: ExplorerSession, document: TraceDocument): Replay {
  const { trace } = document;
  const explored = session.explored;
  const recorded = document.recorded !== undefined || trace.recorded === true;
  const translation = new RecordedTranslation();
  const matchedTo = new Map<number, string>();
  const steps = trace.steps.map((step) => ({ label: describeAction(step.action) }));
  const lasso = lassoOf(trace);
  const sourceDiffers =
    (document.model !== undefined && document.model !== explored.name) ||
    (document.parameters !== undefined && canonicalJson(document.parameters) !== canonicalJson(explored.parameters));
  const hint = sourceDiffers
    ? ` The trace is of ${describeSource(document.model ?? '(a model)', document.parameters)}; this explorer shows ${describeSource(explored.name, explored.parameters)}.`
    : '';
  const result = (path: number[], mismatch?: { step: number; message: string }): Replay => ({
    property: trace.property,
    ...(document.model !== undefined || document.parameters !== undefined
      ? { source: { ...(document.model !== undefined ? { model: document.model } : {}), ...(document.parameters ? { parameters: document.parameters } : {}) } }
      : {}),
    steps: steps.map((step, i) => (i < path.length ? { ...step, position: path[i]!, ...(matchedTo.has(i) ? { matchedTo: matchedTo.get(i)! } : {}) } : step)),
    path,
    ...(mismatch ? { mismatch: { step: mismatch.step, message: mismatch.message + hint } } : {}),
    ...(document.recorded ? { recorded: document.recorded } : {}),
    ...(lasso ? { lasso: { ...(lasso.cycleStart !== undefined ? { cycleStart: lasso.cycleStart } : {}), startText: lasso.startText, endText: lasso.endText } } : {}),
  });

  const initial = session.initialTraceState();
  const initialDifference =
    trace.initial.nodes.length !== initial.nodes.length
      ? `the trace has ${trace.initial.nodes.length} nodes, this model ${initial.nodes.length}`
      : nodesDiffer(trace.initial.nodes, initial.nodes);
  const messageKeys = (messages: readonly unknown[]) => messages.map((m) => canonicalJson(m)).sort().join('\n');
  if (initialDifference ?? messageKeys(trace.initial.messages) !== messageKeys(initial.messages)) {
    return result([], {
      step: 0,
      message: `The trace does not start in this model's initial state: ${initialDifference ?? 'the messages in flight differ'}.`,
    });
  }

  const path: number[] = [];
  for (let i = 0; i < trace.steps.length; i++) {
    const step = trace.steps[i]!;
    const action = translation.translate(step.action);
    let position: number;
    let modelEvent: TraceAction | undefined;
    if (recorded && action.kind === 'spontaneous') {
      const candidate = session.stateReport(path).actions.find(
        ({ action: ours }) => ours.kind === 'spontaneous' && ours.node === action.node && ours.event.type === action.event.type,
      );
      position = candidate?.index ?? -1;
      if (candidate && canonicalJson(candidate.action) !== canonicalJson(action)) {
        modelEvent = candidate.action;
        matchedTo.set(i, candidate.label);
      }
    } else {
      position = session.positionOf(path, action);
    }
    if (position < 0) {
      return result(path, { step: i + 1, message: `Step ${i + 1} (${describeAction(step.action)}) is not enabled in this model at that point.` });
    }
    path.push(position);
    const ours = session.traceNodesAt(path);
    let after = translation.translate(step.changed.map((change) => change.after));
    if (modelEvent?.kind === 'spontaneous' && action.kind === 'spontaneous') {
      const byId = new Map(ours.map((node) => [node.id, node]));
      translation.learn(action.event, modelEvent.event, after, after.map((node) => byId.get(node.id)));
      after = translation.translate(after);
    }
    const difference = nodesDiffer(after, ours);
    if (difference) {
      path.pop();
      matchedTo.delete(i);
      return result(path, { step: i + 1, message: `Step ${i + 1} (${describeAction(step.action)}) leads elsewhere in this model: ${difference}.` });
    }
  }
  return result(path);
}

/** How the nodes a trace lists differ from the model's nodes, in words; undefined when they agree. */
function nodesDiffer(traced: readonly TraceNode[], actual: readonly TraceNode[]): string | undefined {
  const byId = new Map(actual.map((node) => [node.id, node]));
  for (const node of traced) {
    const ours = byId.get(node.id);
    if (!ours) return `the trace has a node "${node.id}", which this model does not`;
    if (canonicalJson(node) !== canonicalJson(ours)) {
      const describe = (n: TraceNode) => (n.crashed ? 'crashed' : stateName(n.value));
      const [theirs, here] = [describe(node), describe(ours)];
      return theirs === here
        ? `${node.id} is in ${here} in both, but its context, durable state or timers differ`
        : `${node.id} is ${theirs} in the trace but ${here} here`;
    }
  }
  return undefined;
}

const describeSource = (model: string, parameters: Parameters | undefined): string => {
  const shown = Object.entries(parameters ?? {}).map(([key, value]) => `${key}=${value}`).join(' ');
  return shown ? `${model} (${shown})` : model;
};

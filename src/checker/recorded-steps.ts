import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import {
  applyDurableChange,
  canonicalJson,
  isTimerEvent,
  Stepper,
  timerDelayName,
  type DurableState,
  type Effect,
  type Message,
  type StepRecord,
} from '../node/index.ts';
import type { Envelope } from './global-view.ts';
import type { Model, NodeDefinition } from './model.ts';
import type { Trace, TraceAction, TraceNode, TraceStep } from './trace.ts';

/** A recorded step the model does not allow, or a record that does not fit its node's history. */
export interface RecordedStepProblem {
  readonly node: string;
  readonly seq: number;
  readonly message: string;
}

/** What replaying a production step trace against a model found. */
export interface RecordedRun {
  /** Records replayed (starts and steps). */
  readonly records: number;
  readonly nodes: readonly string[];
  /** Empty when every recorded step is a step the model allows. */
  readonly problems: readonly RecordedStepProblem[];
  /** The run as a trace (nodes' steps merged in an order that sends every message before it is delivered), for rendering. */
  readonly trace: Trace;
}

/**
 * Replays what hosts recorded (src/runtime/step-trace.ts) through the model's machines, node by
 * node: each node must be a node of the model; a start must come from a durable image the node had
 * persisted (after some prefix of its steps since its previous start: a crash may lose the last
 * uncommitted batch, never more); every event must be one the model lets that node take — a
 * message from one of its peers, a timer that is armed and that the model lets fire, or one of its
 * spontaneous events (compared by type: a client's request carries ids the model leaves out) —
 * and must take the machine, started with the model's input, to the recorded state value with the
 * recorded effects. Across nodes, every delivered message must have been sent, when its sender's
 * records are given. This is how a run in production is shown to be a behaviour of the checked
 * design; a node's replay stops at its first problem, since what follows would only repeat it.
 */
export function replayRecordedSteps(model: Model, records: readonly StepRecord[]): RecordedRun {
  const definitions = new Map(model.nodes.map((node) => [node.id, node]));
  const byNode = new Map<string, StepRecord[]>();
  for (const record of records) {
    const list = byNode.get(record.node) ?? [];
    list.push(record);
    byNode.set(record.node, list);
  }
  const problems: RecordedStepProblem[] = [];
  const replays: NodeReplay[] = [];
  for (const [id, list] of byNode) {
    const definition = definitions.get(id);
    list.sort((a, b) => a.seq - b.seq);
    if (!definition) {
      problems.push({ node: id, seq: list[0]!.seq, message: `"${id}" is not a node of the model (its nodes: ${model.nodes.map((n) => n.id).join(', ')})` });
      continue;
    }
    replays.push(new NodeReplay(definition, list, problems));
  }
  for (const replay of replays) replay.run();
  checkDeliveries(replays, problems);
  return { records: records.length, nodes: replays.map((r) => r.id), problems, trace: mergedTrace(replays, problems) };
}

/** One node's records, replayed: the steps it took, each with the node's state before and after. */
class NodeReplay {
  readonly id: string;
  readonly steps: { record: StepRecord; action?: TraceAction; before?: TraceNode; after: TraceNode; sent: Envelope[] }[] = [];
  readonly sent = new Set<string>();
  /** Whether every record was replayed: a replay that stopped at a problem does not know what was sent after it. */
  complete = false;
  private readonly stepper: Stepper;

  constructor(
    private readonly definition: NodeDefinition,
    private readonly records: readonly StepRecord[],
    private readonly problems: RecordedStepProblem[],
  ) {
    this.id = definition.id;
    this.stepper = new Stepper(definition.machine);
  }

  run(): void {
    let snapshot: AnyMachineSnapshot | undefined;
    let durable: DurableState = {};
    /** Every durable image since the last start: a restart must come from one of them. */
    let images: string[] = [];
    const armed = new Set<string>();
    let expectedSeq = this.records[0]!.seq;
    for (const record of this.records) {
      const fail = (message: string) => this.problems.push({ node: this.id, seq: record.seq, message });
      if (record.seq !== expectedSeq) return void fail(`record ${expectedSeq} is missing (the next is ${record.seq})`);
      expectedSeq++;
      const before = snapshot ? this.view(snapshot, durable, armed) : undefined;
      let result;
      let action: TraceAction | undefined;
      try {
        if (record.kind === 'start') {
          if (snapshot && !images.includes(canonicalJson(record.durable))) {
            return void fail(`restarted from a durable image it never persisted: ${canonicalJson(record.durable)}`);
          }
          durable = record.durable;
          armed.clear();
          result = this.stepper.start({ id: this.id, peers: this.definition.peers, durable, config: this.definition.config });
          if (snapshot) action = { kind: 'restart', node: this.id };
        } else {
          if (!snapshot) return void fail('a step before the node started');
          const event = record.event as AnyEventObject;
          const refusal = this.refusal(event, armed);
          if (refusal) return void fail(refusal);
          action = this.actionOf(event);
          result = this.stepper.step(snapshot, event);
        }
      } catch (error) {
        return void fail(`the model's machine throws here: ${(error as Error).message}`);
      }
      if (canonicalJson(result.snapshot.value) !== canonicalJson(record.after)) {
        return void fail(`the model's machine goes to ${canonicalJson(result.snapshot.value)}, the record says ${canonicalJson(record.after)}`);
      }
      if (canonicalJson(result.effects) !== canonicalJson(record.effects)) {
        return void fail(`the model's machine emits ${canonicalJson(result.effects)}, the record says ${canonicalJson(record.effects)}`);
      }
      if (record.kind === 'start') images = [];
      for (const timer of result.cancelled) armed.delete(timer);
      for (const timer of result.armed) armed.add(timer);
      for (const effect of result.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
      images.push(canonicalJson(durable));
      snapshot = result.snapshot;
      const sent = sendsOf(this.id, result.effects);
      for (const envelope of sent) this.sent.add(envelopeKey(envelope));
      this.steps.push({ record, ...(action ? { action } : {}), ...(before ? { before } : {}), after: this.view(snapshot, durable, armed), sent });
    }
    this.complete = true;
  }

  /** Why the model does not let this node take `event` now, or undefined. */
  private refusal(event: AnyEventObject, armed: ReadonlySet<string>): string | undefined {
    if (typeof event?.type !== 'string') return 'an event without a type';
    if (isTimerEvent(event.type)) {
      if (!armed.has(event.type)) return `timer ${timerDelayName(event.type)} fires, but it is not armed`;
      const allowed = this.definition.timers;
      if (allowed && !allowed.includes(timerDelayName(event.type))) return `timer ${timerDelayName(event.type)} fires, which the model does not let fire`;
      return undefined;
    }
    if (typeof event.from === 'string') {
      return this.definition.peers.includes(event.from) ? undefined : `a ${event.type} from "${event.from}", which is not a peer of ${this.id} in the model`;
    }
    const spontaneous = this.definition.spontaneous ?? [];
    return spontaneous.some((allowed) => allowed.type === event.type)
      ? undefined
      : `a ${event.type} event, which the model never gives ${this.id} (its spontaneous events: ${spontaneous.map((e) => e.type).join(', ') || 'none'})`;
  }

  private actionOf(event: AnyEventObject): TraceAction {
    if (isTimerEvent(event.type)) return { kind: 'timer', node: this.id, timer: event.type };
    if (typeof event.from === 'string') return { kind: 'deliver', node: this.id, message: { from: event.from, to: this.id, message: messageOf(event) } };
    return { kind: 'spontaneous', node: this.id, event };
  }

  private view(snapshot: AnyMachineSnapshot, durable: DurableState, armed: ReadonlySet<string>): TraceNode {
    return { id: this.id, crashed: false, value: snapshot.value, context: snapshot.context, durable, timers: [...armed].map(timerDelayName).sort() };
  }
}

/** A delivered event without the sender the host added: the message as it was sent. */
function messageOf(event: AnyEventObject): Message {
  const { from: _from, ...message } = event;
  return message as Message;
}

const sendsOf = (from: string, effects: readonly Effect[]): Envelope[] =>
  effects.flatMap((effect) => (effect.type === 'send' ? [{ from, to: effect.to, message: effect.message }] : []));

const envelopeKey = (envelope: Envelope): string => `${envelope.from}|${envelope.to}|${canonicalJson(envelope.message)}`;

/** Every message delivered was sent, where the sender's records are there to say so. */
function checkDeliveries(replays: readonly NodeReplay[], problems: RecordedStepProblem[]): void {
  const senders = new Map(replays.map((replay) => [replay.id, replay]));
  for (const replay of replays) {
    for (const step of replay.steps) {
      if (step.action?.kind !== 'deliver') continue;
      const sender = senders.get(step.action.message.from);
      if (sender?.complete && !sender.sent.has(envelopeKey(step.action.message))) {
        problems.push({ node: replay.id, seq: step.record.seq, message: `received a ${step.action.message.message.type} from ${sender.id} that ${sender.id} never sent` });
      }
    }
  }
}

/**
 * The nodes' steps as one trace: taken node by node, a delivery only once its message was sent (by
 * a node whose records are given), so arrows never point backwards; what cannot be placed so ends
 * the trace in node order. A restart is shown as a crash and a restart.
 */
function mergedTrace(replays: readonly NodeReplay[], problems: readonly RecordedStepProblem[]): Trace {
  const traced = new Set(replays.map((replay) => replay.id));
  const next = replays.map(() => 0);
  const inFlight = new Map<string, number>();
  const steps: TraceStep[] = [];
  const initialNodes: TraceNode[] = [];
  const initialMessages: Envelope[] = [];
  const current = new Map<string, TraceNode>();
  const send = (envelopes: readonly Envelope[]) => {
    for (const envelope of envelopes) inFlight.set(envelopeKey(envelope), (inFlight.get(envelopeKey(envelope)) ?? 0) + 1);
  };
  for (const [r, replay] of replays.entries()) {
    const first = replay.steps[0];
    if (first?.record.kind !== 'start') continue;
    initialNodes.push(first.after);
    current.set(replay.id, first.after);
    initialMessages.push(...first.sent);
    send(first.sent);
    next[r] = 1;
  }
  const ready = (step: NodeReplay['steps'][number]) => {
    if (step.action?.kind !== 'deliver' || !traced.has(step.action.message.from)) return true;
    return (inFlight.get(envelopeKey(step.action.message)) ?? 0) > 0;
  };
  // A node whose next step delivers a message its sender's replay never reached (it stopped at a
  // problem) ends there: what it did after depends on a step that cannot be shown.
  const stopped = new Set(replays.filter((replay) => !replay.complete).map((replay) => replay.id));
  const sentByStopped = (step: NodeReplay['steps'][number]) => step.action?.kind === 'deliver' && stopped.has(step.action.message.from);
  const halted = new Set<number>();
  for (let strict = true; ; ) {
    let placed = false;
    for (const [r, replay] of replays.entries()) {
      const step = replay.steps[next[r]!];
      if (!step || halted.has(r) || (strict && !ready(step))) continue;
      if (!ready(step) && sentByStopped(step)) {
        halted.add(r);
        continue;
      }
      next[r]!++;
      placed = true;
      if (step.action?.kind === 'deliver') {
        const key = envelopeKey(step.action.message);
        inFlight.set(key, Math.max(0, (inFlight.get(key) ?? 0) - 1));
      }
      const before = step.before ?? current.get(replay.id);
      if (step.action?.kind === 'restart' && before) {
        const crashed: TraceNode = { id: replay.id, crashed: true, durable: step.record.kind === 'start' ? step.record.durable : before.durable, timers: [] };
        steps.push({ action: { kind: 'crash', node: replay.id }, changed: [{ before, after: crashed }], sent: [] });
        steps.push({ action: step.action, changed: [{ before: crashed, after: step.after }], sent: step.sent });
      } else if (step.action && before) {
        steps.push({ action: step.action, changed: [{ before, after: step.after }], sent: step.sent });
      }
      current.set(replay.id, step.after);
      send(step.sent);
      break;
    }
    if (!placed) {
      if (!strict) break;
      strict = false;
    } else {
      strict = true;
    }
  }
  const finalMessages = [...inFlight.entries()].flatMap(([key, count]) => {
    const [from, to, ...rest] = key.split('|');
    return Array.from({ length: count }, () => ({ from: from!, to: to!, message: JSON.parse(rest.join('|')) as Message }));
  });
  return {
    property: problems.length === 0 ? '' : 'RecordedStepsAllowed',
    recorded: true,
    initial: { nodes: initialNodes, messages: initialMessages },
    steps,
    final: { nodes: [...current.values()], messages: finalMessages },
  };
}

import { PEER_CRASHED } from '../node/index.ts';
import { ActionKind, type SuccessorSink } from './actions.ts';
import { Envelopes } from './envelopes.ts';
import { HistoryTrack } from './history.ts';
import { ModelError } from './model-error.ts';
import { LocalStates, TimerNames, type Transition } from './local-states.ts';
import type { Model } from './model.ts';
import { networkCodec, type NetworkCodec } from './network.ts';
import { StateView } from './view.ts';

/**
 * Words between the nodes and the network in a global state: the three fault budgets left, then
 * the history variable's id (0 when the model has none).
 */
const BUDGET_WORDS = 4;
const LOSS = 0;
const DUPLICATION = 1;
const CRASH = 2;
const HISTORY = 3;

/**
 * The composed system of a model — its nodes, the network and the fault budgets — as a transition
 * system over integer vectors: `[local state per node..., loss, duplication, crash, history, network...]`.
 * It knows nothing of any protocol: every node step goes through that node's machine.
 */
export class ComposedSystem {
  readonly nodes: LocalStates[];
  readonly envelopes: Envelopes;
  readonly timers = new TimerNames();
  readonly codec: NetworkCodec;
  readonly nodeIndex: ReadonlyMap<string, number>;
  readonly networkStart: number;
  readonly initial: Int32Array;
  readonly history: HistoryTrack | undefined;
  /** The word of a global state that holds the history id. */
  readonly historyWord: number;
  private readonly crashable: boolean[];
  private readonly restarts: boolean;
  /** Whether a crash is a failover: the node restarts in the same step. */
  readonly failover: boolean;
  /** Per node: the `PeerCrashed` notices its crash sends (empty unless the model asks for them). */
  readonly crashNotices: Int32Array[];
  private pairs = new Int32Array(256);
  /** The transition of a crash, reused: the crashed local state and the notices it sends. */
  private readonly crashStep: { next: number; sends: Int32Array } = { next: 0, sends: new Int32Array(0) };
  private next = new Int32Array(1024);

  constructor(readonly model: Model) {
    validate(model);
    this.nodeIndex = new Map(model.nodes.map((node, index) => [node.id, index]));
    this.envelopes = new Envelopes(this.nodeIndex);
    this.codec = networkCodec(model.network, this.envelopes, model.nodes.length);
    this.nodes = model.nodes.map((node, index) => new LocalStates(index, node, this.envelopes, this.timers));
    const crashable = new Set(model.faults?.crashable ?? model.nodes.map((node) => node.id));
    this.crashable = model.nodes.map((node) => crashable.has(node.id));
    this.restarts = model.faults?.restart ?? true;
    this.failover = model.faults?.failover ?? false;
    this.crashNotices = model.nodes.map((crashed, index) =>
      model.faults?.notifyCrashes
        ? Int32Array.from(model.nodes.filter((node) => node.peers.includes(crashed.id)).map((node) => this.envelopes.intern(index, node.id, PEER_CRASHED, crashed.id)))
        : NO_SENDS,
    );
    this.networkStart = model.nodes.length + BUDGET_WORDS;
    this.history = model.history ? new HistoryTrack(model.history, this.nodes) : undefined;
    this.historyWord = model.nodes.length + HISTORY;

    const boots = this.nodes.map((node) => node.boot());
    const sends = Int32Array.from(boots.flatMap((boot) => Array.from(boot.sends)));
    // Room for every message sent on boot, as a list or (set semantics) a bit set.
    const initial = new Int32Array(this.networkStart + sends.length * 2 + (this.envelopes.all.length >>> 5) + 2);
    boots.forEach((boot, index) => (initial[index] = boot.next));
    initial[model.nodes.length + LOSS] = model.faults?.loss ?? 0;
    initial[model.nodes.length + DUPLICATION] = model.faults?.duplication ?? 0;
    initial[model.nodes.length + CRASH] = model.faults?.crash ?? 0;
    if (this.history) initial[this.historyWord] = this.history.initial(initial);
    const end = this.codec.write(new Int32Array(0), 0, 0, -1, -1, sends, initial, this.networkStart);
    this.initial = initial.slice(0, end);
  }

  /**
   * Enumerates every successor of `state` (stuttering steps left out) into `sink`. The successor
   * vector handed to the sink is scratch space, valid only during the call; the sink must not
   * enumerate successors itself.
   */
  successors(state: Int32Array, length: number, sink: SuccessorSink): void {
    const { nodes, codec, networkStart } = this;
    const nodeCount = nodes.length;
    if (this.next.length < length + 64) this.next = new Int32Array(length * 2 + 64);
    if (this.pairs.length < (length - networkStart) * 64 + 2) this.pairs = new Int32Array((length - networkStart) * 64 + 2);
    const { pairs } = this;

    const deliverable = codec.deliverable(state, networkStart, length, pairs);
    for (let p = 0; p < deliverable; p++) {
      const envelope = pairs[p * 2]!;
      const to = this.envelopes.all[envelope]!.toIndex;
      const local = state[to]!;
      const node = nodes[to]!;
      if (node.crashed[local] === 1) continue;
      const transition = node.deliver(local, envelope);
      if (!codec.consumes && transition.next === local && codec.absorbs(state, networkStart, length, transition.sends)) continue;
      if (sink.skip?.(ActionKind.Deliver, to, envelope, transition.next)) continue;
      if (!this.emit(state, length, to, transition, codec.consumes ? pairs[p * 2 + 1]! : -1, -1, sink, ActionKind.Deliver, envelope)) return;
    }

    for (let k = 0; k < nodeCount; k++) {
      const node = nodes[k]!;
      const local = state[k]!;
      const current = node.states[local]!;
      if (current.snapshot === undefined) {
        if (this.restarts && !this.emit(state, length, k, node.restart(local), -1, -1, sink, ActionKind.Restart, 0)) return;
        continue;
      }
      for (const timer of current.timers) {
        if (!node.mayFire(timer)) continue;
        const transition = node.fireTimer(local, timer);
        if (sink.skip?.(ActionKind.Timer, k, timer, transition.next)) continue;
        if (!this.emit(state, length, k, transition, -1, -1, sink, ActionKind.Timer, timer)) return;
      }
      const spontaneous = node.definition.spontaneous?.length ?? 0;
      for (let s = 0; s < spontaneous; s++) {
        const transition = node.spontaneous(local, s);
        if (transition.next === local && codec.absorbs(state, networkStart, length, transition.sends)) continue;
        if (sink.skip?.(ActionKind.Spontaneous, k, s, transition.next)) continue;
        if (!this.emit(state, length, k, transition, -1, -1, sink, ActionKind.Spontaneous, s)) return;
      }
      if (state[nodeCount + CRASH]! > 0 && this.crashable[k]) {
        // A failover is the crash and the restart in one step (see FaultBudgets.failover).
        const crash = this.failover ? node.restart(node.crash(local)) : this.crashStep;
        if (!this.failover) {
          this.crashStep.next = node.crash(local);
          this.crashStep.sends = this.crashNotices[k]!;
        }
        if (!this.emit(state, length, k, crash, -1, -1, sink, ActionKind.Crash, 0, CRASH)) return;
      }
    }

    if (state[nodeCount + LOSS]! > 0 && !this.networkFault(state, length, LOSS, ActionKind.Drop, sink)) return;
    if (state[nodeCount + DUPLICATION]! > 0) this.networkFault(state, length, DUPLICATION, ActionKind.Duplicate, sink);
  }

  /** Every way to spend one unit of a network fault budget; false when the sink stopped. */
  private networkFault(state: Int32Array, length: number, budget: number, kind: ActionKind, sink: SuccessorSink): boolean {
    const { codec, networkStart, pairs } = this;
    const nodeCount = this.nodes.length;
    const targets = codec.faultTargets(state, networkStart, length, pairs);
    for (let p = 0; p < targets; p++) {
      const envelope = pairs[p * 2]!;
      const position = pairs[p * 2 + 1]!;
      const next = this.next;
      for (let i = 0; i < networkStart; i++) next[i] = state[i]!;
      next[nodeCount + budget]--;
      if (this.history) next[this.historyWord] = this.history.next(state[this.historyWord]!, next);
      const end = codec.write(state, networkStart, length, kind === ActionKind.Drop ? position : -1, kind === ActionKind.Duplicate ? position : -1, NO_SENDS, next, networkStart);
      if (!sink.accept(next, end, kind, this.envelopes.all[envelope]!.toIndex, envelope)) return false;
    }
    return true;
  }

  private emit(
    state: Int32Array,
    length: number,
    node: number,
    transition: Transition,
    remove: number,
    duplicate: number,
    sink: SuccessorSink,
    kind: ActionKind,
    item: number,
    spentBudget = -1,
  ): boolean {
    const { networkStart } = this;
    // Room for the network as it is, the messages sent, and (set semantics) words up to the highest id.
    const room = length + transition.sends.length + (this.envelopes.all.length >>> 5) + 2;
    if (this.next.length < room) this.next = new Int32Array(room * 2);
    const next = this.next;
    for (let i = 0; i < networkStart; i++) next[i] = state[i]!;
    next[node] = transition.next;
    if (spentBudget >= 0) next[this.nodes.length + spentBudget]--;
    if (this.history) next[this.historyWord] = this.history.next(state[this.historyWord]!, next);
    const end = this.codec.write(state, networkStart, length, remove, duplicate, transition.sends, next, networkStart);
    return sink.accept(next, end, kind, node, item);
  }

  /** The view properties read. Cheap: node views are shared, messages are decoded on demand. */
  view(state: Int32Array, length: number): StateView {
    const nodeCount = this.nodes.length;
    const nodes = this.nodes.map((node, k) => node.states[state[k]!]!.view);
    const network = state.slice(this.networkStart, length);
    return new StateView(
      nodes,
      this.nodeIndex,
      () => this.codec.contents(network, 0, network.length).map((id) => this.envelopes.all[id]!),
      this.codec.count(network, 0, network.length),
      { loss: state[nodeCount + LOSS]!, duplication: state[nodeCount + DUPLICATION]!, crash: state[nodeCount + CRASH]! },
      this.history?.values[state[this.historyWord]!],
    );
  }
}

const NO_SENDS = new Int32Array(0);

function validate(model: Model): void {
  const ids = new Set<string>();
  if (model.nodes.length === 0) throw new ModelError('a model needs at least one node');
  for (const node of model.nodes) {
    if (ids.has(node.id)) throw new ModelError(`two nodes are named "${node.id}"`);
    ids.add(node.id);
  }
  for (const node of model.nodes) {
    for (const peer of node.peers) {
      if (!ids.has(peer)) throw new ModelError(`node "${node.id}" has peer "${peer}", which is not a node of the model`);
    }
  }
  if (!['set', 'multiset', 'fifo'].includes(model.network)) {
    throw new ModelError(`unknown network semantics "${String(model.network)}" (set, multiset or fifo)`);
  }
  const faults = model.faults ?? {};
  for (const [name, value] of Object.entries({ loss: faults.loss, duplication: faults.duplication, crash: faults.crash })) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new ModelError(`fault budget "${name}" must be a whole number >= 0, not ${value}`);
    }
  }
  if (model.network === 'set' && ((faults.loss ?? 0) > 0 || (faults.duplication ?? 0) > 0)) {
    throw new ModelError('the set network already lets any message be lost or redelivered: give it no loss or duplication budget');
  }
  if (faults.failover && (faults.restart === false || faults.notifyCrashes)) {
    throw new ModelError('a failover restarts the node in the step it crashes: give it neither restart: false nor notifyCrashes');
  }
  for (const id of faults.crashable ?? []) {
    if (!ids.has(id)) throw new ModelError(`crashable node "${id}" is not a node of the model`);
  }
  const names = new Set<string>();
  for (const property of model.properties) {
    if (names.has(property.name)) throw new ModelError(`two properties are named "${property.name}"`);
    names.add(property.name);
  }
}

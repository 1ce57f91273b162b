import { ActionKind } from './actions.ts';
import { ModelError } from './model-error.ts';

/**
 * The action families a model may declare fair. Faults — crashes, restarts, losses, duplications —
 * are never fair: a behaviour in which a crashed node stays down, or a message is never lost, is
 * always allowed. Client requests enter the checker as spontaneous events, and are made fair as
 * those of the node that takes them.
 */
export type FairFamily = 'deliver' | 'timer' | 'spontaneous';

/**
 * One fairness declaration: a family (or several), the nodes it applies to (every node by
 * default), and its granularity — what one fairness *instance* is, the unit that WF and SF speak
 * of (TLC's WF_vars(A) is per action A):
 * - `per: 'node'` (the default): one instance per (family, node). WF on deliveries to node n is
 *   WF_vars(∃ m : Receive(n, m)): if from some point on some message can be delivered to n (a
 *   delivery that changes something), some message is eventually delivered to n.
 * - `per: 'action'`: one instance per (family, node, item), the item being the message (sender,
 *   receiver and content), the timer, or the spontaneous event: WF_vars(Receive(n, m)) for each m.
 *   Stronger: no message waits forever while others keep being delivered to the same node.
 */
export interface FairnessClause {
  readonly family: FairFamily | readonly FairFamily[];
  readonly nodes?: readonly string[];
  readonly per?: 'node' | 'action';
}

/** A family alone (`'deliver'`) stands for that family at every node, per node. */
export type FairnessEntry = FairFamily | FairnessClause;

/**
 * The model's fairness assumptions (Specifying Systems §8.4–8.5; TLC checks liveness under them):
 * - weak fairness of an instance A: if A is enabled continuously from some point on, A is
 *   eventually taken (WF: <>[]ENABLED A => []<>A);
 * - strong fairness: if A is enabled infinitely often, it is taken infinitely often
 *   (SF: []<>ENABLED A => []<>A).
 * An instance is enabled in a state when one of its steps leads to another state: a step that
 * changes nothing is a stutter, neither enabling nor taking anything (TLA's <A>_vars). Each
 * (family, node) may be declared once: weak or strong, per node or per action.
 */
export interface Fairness {
  readonly weak?: readonly FairnessEntry[];
  readonly strong?: readonly FairnessEntry[];
}

const FAMILIES: readonly FairFamily[] = ['deliver', 'timer', 'spontaneous'];
const FAMILY_OF_KIND: Readonly<Partial<Record<ActionKind, number>>> = { [ActionKind.Deliver]: 0, [ActionKind.Timer]: 1, [ActionKind.Spontaneous]: 2 };

/** How a (family, node) is fair: not at all, or weakly or strongly, per node or per action. */
const NONE = 0;
const PER_NODE = 1;
const PER_ACTION = 2;

/** An instance, for messages: its family, node and (per action) item. */
export interface FairInstance {
  readonly family: FairFamily;
  readonly node: number;
  /** The envelope, timer or spontaneous event index; -1 for a per-node instance. */
  readonly item: number;
  readonly strong: boolean;
}

/**
 * A model's fairness declaration bound to its nodes: numbers every fairness instance (a label
 * 0, 1, ...) as the explorer meets it, so that the state graph can record each edge's instance
 * in one integer (-1: a step of no fair instance).
 */
export class FairnessLabels {
  /** Per (family, node): NONE, PER_NODE or PER_ACTION. */
  private readonly mode: Uint8Array;
  private readonly strongOf: Uint8Array;
  /** Per (family, node): its per-node label, or -1. */
  private readonly nodeLabel: Int32Array;
  private readonly actionLabel = new Map<number, number>();
  readonly instances: FairInstance[] = [];

  constructor(
    fairness: Fairness | undefined,
    private readonly nodeIds: readonly string[],
  ) {
    const slots = FAMILIES.length * nodeIds.length;
    this.mode = new Uint8Array(slots);
    this.strongOf = new Uint8Array(slots);
    this.nodeLabel = new Int32Array(slots).fill(-1);
    for (const [strength, entries] of [
      ['weak', fairness?.weak ?? []],
      ['strong', fairness?.strong ?? []],
    ] as const) {
      for (const entry of entries) this.declare(strength === 'strong', typeof entry === 'string' ? { family: entry } : entry);
    }
    for (let slot = 0; slot < slots; slot++) {
      if (this.mode[slot] === PER_NODE) {
        this.nodeLabel[slot] = this.instances.length;
        this.instances.push({ family: FAMILIES[Math.floor(slot / nodeIds.length)]!, node: slot % nodeIds.length, item: -1, strong: this.strongOf[slot] === 1 });
      }
    }
  }

  /** Whether the model declares any fairness at all. */
  get any(): boolean {
    return this.mode.some((mode) => mode !== NONE);
  }

  /** The instance a step (kind, node, item) is a step of, or -1 when it is of no fair instance. */
  label(kind: ActionKind, node: number, item: number): number {
    const family = FAMILY_OF_KIND[kind];
    if (family === undefined) return -1;
    const slot = family * this.nodeIds.length + node;
    const mode = this.mode[slot]!;
    if (mode === PER_NODE) return this.nodeLabel[slot]!;
    if (mode === NONE) return -1;
    const key = item * FAMILIES.length * this.nodeIds.length + slot;
    let label = this.actionLabel.get(key);
    if (label === undefined) {
      label = this.instances.length;
      this.instances.push({ family: FAMILIES[family]!, node, item, strong: this.strongOf[slot] === 1 });
      this.actionLabel.set(key, label);
    }
    return label;
  }

  private declare(strong: boolean, clause: FairnessClause): void {
    const families = typeof clause.family === 'string' ? [clause.family] : clause.family;
    const strength = strong ? 'strong' : 'weak';
    if (clause.per !== undefined && clause.per !== 'node' && clause.per !== 'action') {
      throw new ModelError(`fairness (${strength}): per must be 'node' or 'action', not ${JSON.stringify(clause.per)}`);
    }
    for (const family of families) {
      const index = FAMILIES.indexOf(family);
      if (index < 0) {
        throw new ModelError(`fairness (${strength}): "${String(family)}" is not an action family that can be fair (${FAMILIES.join(', ')}; faults never are)`);
      }
      for (const id of clause.nodes ?? this.nodeIds) {
        const node = this.nodeIds.indexOf(id);
        if (node < 0) throw new ModelError(`fairness (${strength}): node "${id}" is not a node of the model`);
        const slot = index * this.nodeIds.length + node;
        if (this.mode[slot] !== NONE) throw new ModelError(`fairness: ${family} at ${id} is declared fair twice`);
        this.mode[slot] = clause.per === 'action' ? PER_ACTION : PER_NODE;
        this.strongOf[slot] = strong ? 1 : 0;
      }
    }
  }
}

import type { Json } from '../node/index.ts';
import { IntPairMap } from './int-pair-map.ts';
import type { LocalStates } from './local-states.ts';
import { canonicalJsonOf } from './not-json.ts';
import type { Abstraction } from './properties.ts';

/**
 * Gives every global state the integer id of its abstract state under one abstraction. A node's
 * part is computed once per distinct local state; an abstract state is identified by its parts'
 * ids; and since a step changes one node, a successor's abstract id is found from its parent's id
 * and the one changed part through a cache of integer keys.
 */
export class AbstractStates {
  private readonly partIds: Int32Array[];
  private readonly partKeys = new Map<string, number>();
  private readonly parts: (Json | undefined)[] = [];
  private readonly idsByParts = new Map<string, number>();
  private readonly partsOf: Int32Array[] = [];
  private readonly values: (Json | undefined)[] = [];
  private readonly keys: (string | undefined)[] = [];
  /** (parent abstract id, changed node and its part) → abstract id. */
  private readonly successorCache = new IntPairMap();
  /** Abstract id of each global state, by state index. */
  private ofState = new Int32Array(1 << 16);
  /** For `idOfState`: per node after the first, (chain id, part id) → chain id; the last chain id → abstract id. */
  private readonly chains: IntPairMap[];
  private readonly chainCounts: number[];
  private abstractOfChain = new Int32Array(1024).fill(-1);

  constructor(
    readonly abstraction: Abstraction,
    private readonly nodes: readonly LocalStates[],
  ) {
    this.partIds = nodes.map(() => new Int32Array(0));
    this.chains = nodes.slice(1).map(() => new IntPairMap());
    this.chainCounts = nodes.slice(1).map(() => 0);
  }

  /**
   * The abstract id of a global state, from all its nodes. Parts are chained node by node through
   * one integer map per node after the first, so no key is built: (chain so far, next part) →
   * chain id, and the last chain id → abstract id.
   */
  idOfState(state: Int32Array): number {
    const nodeCount = this.nodes.length;
    let chain = this.partOf(0, state[0]!);
    for (let k = 1; k < nodeCount; k++) {
      const part = this.partOf(k, state[k]!);
      const map = this.chains[k - 1]!;
      let next = map.get(chain, part);
      if (next < 0) {
        next = this.chainCounts[k - 1]!++;
        map.set(chain, part, next);
      }
      chain = next;
    }
    if (chain >= this.abstractOfChain.length) {
      const grown = new Int32Array(Math.max(chain + 1, this.abstractOfChain.length * 2)).fill(-1);
      grown.set(this.abstractOfChain);
      this.abstractOfChain = grown;
    }
    let id = this.abstractOfChain[chain]!;
    if (id < 0) {
      id = this.idOfParts(Int32Array.from(this.nodes, (_, k) => this.partOf(k, state[k]!)));
      this.abstractOfChain[chain] = id;
    }
    return id;
  }

  /** The abstract id of a successor of a state with abstract id `from` in which only node `changed` moved, to local state `local`. */
  idOfSuccessor(from: number, changed: number, local: number): number {
    const part = this.partOf(changed, local);
    const change = part * this.nodes.length + changed;
    let id = this.successorCache.get(from, change);
    if (id < 0) {
      const parts = this.partsOf[from]!.slice();
      parts[changed] = part;
      id = this.idOfParts(parts);
      this.successorCache.set(from, change, id);
    }
    return id;
  }

  /** Records `id` as the abstract id of global state `index`. */
  record(index: number, id: number): void {
    if (index >= this.ofState.length) {
      const grown = new Int32Array(Math.max(index + 1, this.ofState.length * 2));
      grown.set(this.ofState);
      this.ofState = grown;
    }
    this.ofState[index] = id;
  }

  idOf(index: number): number {
    return this.ofState[index]!;
  }

  get count(): number {
    return this.partsOf.length;
  }

  /** The abstract state with id `id`: the combined parts. */
  value(id: number): Json {
    let value = this.values[id];
    if (value === undefined) {
      const parts: Record<string, Json> = {};
      const ids = this.partsOf[id]!;
      this.nodes.forEach((node, k) => {
        const part = this.parts[ids[k]!];
        if (part !== undefined) parts[node.definition.id] = part;
      });
      value = this.abstraction.combine(parts);
      this.values[id] = value;
    }
    return value;
  }

  /** The canonical JSON of abstract state `id`. */
  key(id: number): string {
    return (this.keys[id] ??= canonicalJsonOf(this.value(id), 'abstract', () => "an abstraction's combine"));
  }

  private idOfParts(parts: Int32Array): number {
    const key = parts.join(',');
    let id = this.idsByParts.get(key);
    if (id === undefined) {
      id = this.partsOf.length;
      this.idsByParts.set(key, id);
      this.partsOf.push(parts);
    }
    return id;
  }

  private partOf(node: number, local: number): number {
    let ids = this.partIds[node]!;
    if (local >= ids.length) {
      const grown = new Int32Array(Math.max(local + 1, ids.length * 2, 16)).fill(-1);
      grown.set(ids);
      this.partIds[node] = ids = grown;
    }
    let id = ids[local]!;
    if (id < 0) {
      const part = this.abstraction.project(this.nodes[node]!.states[local]!.view);
      const key = part === undefined ? '' : canonicalJsonOf(part, 'part', () => `an abstraction's project, for node "${this.nodes[node]!.definition.id}"`);
      id = this.partKeys.get(key) ?? -1;
      if (id < 0) {
        id = this.parts.length;
        this.partKeys.set(key, id);
        this.parts.push(part);
      }
      ids[local] = id;
    }
    return id;
  }
}

/**
 * Elle's list-append checker (Kingsbury & Alvaro, "Elle: Inferring Isolation Anomalies from
 * Experimental Observations", VLDB 2020; `elle.list-append`). Transactions append unique values to
 * lists and read whole lists; since a list shows every append before it in order, reads reveal
 * each key's version order, and from it the dependencies between transactions (Adya's ww, wr and
 * rw; "Weak Consistency", 1999). A cycle of dependencies is an anomaly Adya's isolation levels
 * forbid; serializability forbids them all.
 */
import { formatPair, formatValue, MalformedHistoryError, pairOps, type History, type OpPair } from './history.ts';

/** A list's key. */
export type ListKey = string | number;
/** A value appended to a list: unique per key across the whole history. */
export type ListElement = string | number;

/**
 * A micro-operation of a transaction: `['append', key, element]`, or `['r', key, list]` where the
 * list is what was read (`null` in the invocation; `null` in a result means the key is empty).
 */
export type MicroOp = readonly ['append', ListKey, ListElement] | readonly ['r', ListKey, readonly ListElement[] | null];

/**
 * A transaction of the history: operations with `f: 'txn'` (by default) whose value is a list of
 * micro-ops. `id` numbers them in invocation order (`T0`, `T1`, …). For an `ok` transaction,
 * `mops` is the completion's value (reads filled in); for `info` and `fail` ones the invocation's
 * (their reads are unknown).
 */
export interface Txn {
  readonly id: number;
  readonly op: OpPair;
  readonly status: 'ok' | 'info' | 'fail';
  readonly mops: readonly MicroOp[];
}

/**
 * Adya's dependencies: `ww` (T2 appended the element right after T1's in a key's version order),
 * `wr` (T2 read a list whose last element T1 appended), `rw` (an anti-dependency: T1 read a list and
 * T2 appended the element that comes right after it).
 */
export type DependencyType = 'ww' | 'wr' | 'rw';

/**
 * One edge of a cycle, `from → to`, with its evidence on `key`: `element` is the version before
 * (`from`'s append for ww and wr; for rw the last element `from` read, `null` if it read an empty
 * list) and `next` the version after (`to`'s append, for ww and rw). `read` is the list read, for
 * wr and rw.
 */
export interface CycleStep {
  readonly from: number;
  readonly to: number;
  readonly type: DependencyType;
  readonly key: ListKey;
  readonly element: ListElement | null;
  readonly next: ListElement | null;
  readonly read?: readonly ListElement[];
}

/** A read and the transaction that made it. */
export interface ReadRef {
  readonly txn: Txn;
  readonly read: readonly ListElement[];
}

/** The kinds of anomaly {@link checkListAppend} reports. */
export type ListAppendAnomalyKind =
  | 'internal'
  | 'duplicate-elements'
  | 'garbage-read'
  | 'incompatible-order'
  | 'G1a'
  | 'G1b'
  | 'G0'
  | 'G1c'
  | 'G-single'
  | 'G2';

/**
 * One anomaly:
 * - `G0` (write cycle): a cycle of ww edges.
 * - `G1c` (circular information flow): a cycle of ww and wr edges, at least one wr.
 * - `G-single` (read skew, lost update): a cycle with exactly one rw edge.
 * - `G2` (write skew and the like): a cycle with rw edges where no single-rw cycle was found.
 * - `G1a` (aborted read): an ok transaction read an element appended only by a failed one.
 * - `G1b` (intermediate read): an ok transaction read a list ending in an element that is not the
 *   last its writer appended to that key.
 * - `incompatible-order`: two reads of a key neither of which is a prefix of the other, so the key
 *   has no version order (its dependencies are not inferred).
 * - `duplicate-elements`: a read shows an element twice.
 * - `internal`: a transaction's read disagrees with its own earlier reads and appends.
 * - `garbage-read`: a read shows an element that no transaction appended.
 */
export type ListAppendAnomaly =
  | { readonly kind: 'G0' | 'G1c' | 'G-single' | 'G2'; readonly cycle: readonly CycleStep[]; readonly txns: readonly Txn[] }
  | {
      readonly kind: 'G1a';
      readonly reader: Txn;
      readonly writer: Txn;
      readonly key: ListKey;
      readonly element: ListElement;
      readonly read: readonly ListElement[];
    }
  | {
      readonly kind: 'G1b';
      readonly reader: Txn;
      readonly writer: Txn;
      readonly key: ListKey;
      readonly element: ListElement;
      readonly read: readonly ListElement[];
      /** The writer's last append to the key. */
      readonly final: ListElement;
    }
  | { readonly kind: 'incompatible-order'; readonly key: ListKey; readonly reads: readonly [ReadRef, ReadRef] }
  | { readonly kind: 'duplicate-elements'; readonly txn: Txn; readonly key: ListKey; readonly read: readonly ListElement[]; readonly duplicates: readonly ListElement[] }
  | {
      readonly kind: 'internal';
      readonly txn: Txn;
      readonly key: ListKey;
      readonly read: readonly ListElement[];
      /** What the read should have been: exactly `prefix` ++ `suffix`, or anything ending in `suffix` when `prefix` is null. */
      readonly expected: { readonly prefix: readonly ListElement[] | null; readonly suffix: readonly ListElement[] };
    }
  | { readonly kind: 'garbage-read'; readonly txn: Txn; readonly key: ListKey; readonly element: ListElement; readonly read: readonly ListElement[] };

/** Options of {@link checkListAppend}. */
export interface ListAppendOptions {
  /** The `f` of transactions; `txn` by default. Other operations are ignored. */
  readonly f?: string;
  /** The most anomalies of each kind kept in `anomalies` (all are counted); 32 by default. */
  readonly maxPerKind?: number;
}

/** The result of {@link checkListAppend}; print it with {@link describeListAppend}. */
export interface ListAppendResult {
  /** Serializable as far as Elle can tell: no anomaly of any kind. */
  readonly valid: boolean;
  /** The kinds found, most basic first. */
  readonly anomalyKinds: readonly ListAppendAnomalyKind[];
  /** The anomalies kept (at most `maxPerKind` of each kind), most basic kinds first. */
  readonly anomalies: readonly ListAppendAnomaly[];
  /** How many of each kind were found. */
  readonly counts: Readonly<Partial<Record<ListAppendAnomalyKind, number>>>;
  readonly stats: {
    readonly txns: number;
    readonly ok: number;
    readonly info: number;
    readonly fail: number;
    readonly keys: number;
    /** Dependency edges between distinct pairs of transactions, by type. */
    readonly edges: Readonly<Record<DependencyType, number>>;
  };
}

const KIND_ORDER: readonly ListAppendAnomalyKind[] = [
  'internal',
  'duplicate-elements',
  'garbage-read',
  'incompatible-order',
  'G1a',
  'G1b',
  'G0',
  'G1c',
  'G-single',
  'G2',
];

const WW = 1;
const WR = 2;
const RW = 4;
const TYPE_BITS: ReadonlyArray<readonly [DependencyType, number]> = [
  ['ww', WW],
  ['wr', WR],
  ['rw', RW],
];

interface Writer {
  readonly txn: number;
  /** Whether this is the transaction's last append to the key. */
  readonly final: boolean;
  readonly finalElement: ListElement;
}

interface Edge {
  mask: number;
  readonly steps: Partial<Record<DependencyType, CycleStep>>;
}

/**
 * Checks a list-append history for serializability as Elle does:
 * 1. Each key's version order is its longest read; every other read of the key must be a prefix
 *    of it (else `incompatible-order`, and the key yields no dependencies).
 * 2. Reads are checked one by one: for elements read twice, elements nobody appended
 *    (`garbage-read`), elements only a failed transaction appended (`G1a`), a last element that is
 *    not its writer's final append to the key (`G1b`), and agreement with the transaction's own
 *    earlier reads and appends (`internal`).
 * 3. Over the ok transactions and the info ones (which may have committed: their appends count
 *    when seen), edges are inferred from the version orders: ww between consecutive elements' writers,
 *    wr from a list's last element's writer to its reader, rw from a reader to the writer of the
 *    element after what it read. Only a transaction's external reads — before its own appends to
 *    the key — give wr and rw edges.
 * 4. Tarjan's strongly connected components of the ww graph, the ww+wr graph and the whole graph,
 *    each searched by breadth-first search for a short cycle: G0, G1c, G-single, G2.
 *
 * Appended elements must be unique per key, and operation values must be lists of micro-ops: a
 * history that breaks this throws `MalformedHistoryError`. Process and real-time order are not
 * used, so this checks serializability, not strict serializability.
 */
export function checkListAppend(history: History, options: ListAppendOptions = {}): ListAppendResult {
  const f = options.f ?? 'txn';
  const maxPerKind = options.maxPerKind ?? 32;
  const txns: Txn[] = [];
  for (const pair of pairOps(history)) {
    if (pair.f !== f) continue;
    txns.push({ id: txns.length, op: pair, status: pair.type, mops: parseMops(pair) });
  }

  const anomalies: ListAppendAnomaly[] = [];
  const counts: Partial<Record<ListAppendAnomalyKind, number>> = {};
  const report = (anomaly: ListAppendAnomaly) => {
    const count = (counts[anomaly.kind] ?? 0) + 1;
    counts[anomaly.kind] = count;
    if (count <= maxPerKind) anomalies.push(anomaly);
  };

  // Who appended what: key → element → writer.
  const writers = new Map<ListKey, Map<ListElement, Writer>>();
  for (const txn of txns) {
    const last = new Map<ListKey, ListElement>();
    for (const mop of txn.mops) if (mop[0] === 'append') last.set(mop[1], mop[2]);
    for (const mop of txn.mops) {
      if (mop[0] !== 'append') continue;
      const [, key, element] = mop;
      let byElement = writers.get(key);
      if (!byElement) writers.set(key, (byElement = new Map()));
      const prior = byElement.get(element);
      if (prior) {
        const where = txn.op.invoke;
        throw new MalformedHistoryError(
          `list-append needs unique appends per key, but ${formatValue(element)} is appended to ${formatValue(key)} by T${prior.txn} and T${txn.id}`,
          where.index,
          where,
        );
      }
      const finalElement = last.get(key)!;
      byElement.set(element, { txn: txn.id, final: finalElement === element, finalElement });
    }
  }
  const writerOf = (key: ListKey, element: ListElement) => writers.get(key)?.get(element);

  // Reads, one by one; and each key's reads for its version order.
  const reads = new Map<ListKey, ReadRef[]>();
  const external: Array<{ readonly txn: Txn; readonly key: ListKey; readonly read: readonly ListElement[] }> = [];
  for (const txn of txns) {
    if (txn.status !== 'ok') continue;
    const exact = new Map<ListKey, readonly ListElement[]>();
    const appended = new Map<ListKey, ListElement[]>();
    const touched = new Set<ListKey>();
    for (const mop of txn.mops) {
      const key = mop[1];
      if (mop[0] === 'append') {
        let list = appended.get(key);
        if (!list) appended.set(key, (list = []));
        list.push(mop[2]);
        touched.add(key);
        continue;
      }
      const read = mop[2] ?? [];
      if (read.length > 0) {
        const element = read[read.length - 1]!;
        const writer = writerOf(key, element);
        if (writer && writer.txn !== txn.id && !writer.final && txns[writer.txn]!.status !== 'fail') {
          report({ kind: 'G1b', reader: txn, writer: txns[writer.txn]!, key, element, read, final: writer.finalElement });
        }
      }
      const prefix = exact.get(key) ?? null;
      const suffix = appended.get(key) ?? [];
      const consistent = prefix === null ? endsWith(read, suffix) : isConcatenation(read, prefix, suffix);
      if (!consistent) report({ kind: 'internal', txn, key, read, expected: { prefix, suffix: [...suffix] } });
      if (!touched.has(key)) external.push({ txn, key, read });
      touched.add(key);
      exact.set(key, read);
      appended.set(key, []);
      let byKey = reads.get(key);
      if (!byKey) reads.set(key, (byKey = []));
      byKey.push({ txn, read });
    }
  }

  // Version orders: the longest read of each key, of which every read must be a prefix. The
  // elements of the reads are examined through the longest one: a read that is a prefix of it shows
  // the duplicates, garbage and aborted elements at positions below its length.
  const orders = new Map<ListKey, readonly ListElement[]>();
  const examine = (key: ListKey, list: readonly ListElement[], upTo: (position: number) => ReadRef[]) => {
    const seen = new Set<ListElement>();
    const repeats: number[] = []; // positions holding an element seen before
    for (let position = 0; position < list.length; position++) {
      const element = list[position]!;
      if (seen.has(element)) repeats.push(position);
      seen.add(element);
      const writer = writerOf(key, element);
      if (!writer) for (const { txn, read } of upTo(position)) report({ kind: 'garbage-read', txn, key, element, read });
      else if (txns[writer.txn]!.status === 'fail') {
        for (const { txn, read } of upTo(position)) report({ kind: 'G1a', reader: txn, writer: txns[writer.txn]!, key, element, read });
      }
    }
    if (repeats.length === 0) return;
    for (const { txn, read } of upTo(repeats[0]!)) {
      const duplicates = new Set<ListElement>();
      for (const position of repeats) if (position < read.length) duplicates.add(read[position]!);
      report({ kind: 'duplicate-elements', txn, key, read, duplicates: [...duplicates] });
    }
  };
  for (const [key, keyReads] of reads) {
    let longest = keyReads[0]!;
    for (const r of keyReads) if (r.read.length > longest.read.length) longest = r;
    const prefixes: ReadRef[] = [];
    const others: ReadRef[] = [];
    for (const r of keyReads) (isPrefix(r.read, longest.read) ? prefixes : others).push(r);
    // The prefixes by length, longest first: those reaching a position are a leading run.
    prefixes.sort((x, y) => y.read.length - x.read.length);
    examine(key, longest.read, (position) => {
      let end = 0;
      while (end < prefixes.length && prefixes[end]!.read.length > position) end++;
      return prefixes.slice(0, end);
    });
    for (const r of others) examine(key, r.read, () => [r]);
    if (others.length > 0) report({ kind: 'incompatible-order', key, reads: [others[0]!, longest] });
    else orders.set(key, longest.read);
  }

  // The dependency graph over ok and info transactions.
  const graph = new Map<number, Map<number, Edge>>();
  const edgeCounts: Record<DependencyType, number> = { ww: 0, wr: 0, rw: 0 };
  const live = (writer: Writer | undefined): writer is Writer => writer !== undefined && txns[writer.txn]!.status !== 'fail';
  const addEdge = (step: CycleStep) => {
    if (step.from === step.to) return;
    let out = graph.get(step.from);
    if (!out) graph.set(step.from, (out = new Map()));
    let edge = out.get(step.to);
    if (!edge) out.set(step.to, (edge = { mask: 0, steps: {} }));
    const bit = step.type === 'ww' ? WW : step.type === 'wr' ? WR : RW;
    if (!(edge.mask & bit)) {
      edge.mask |= bit;
      edge.steps[step.type] = step;
      edgeCounts[step.type]++;
    }
  };
  for (const [key, order] of orders) {
    for (let i = 1; i < order.length; i++) {
      const a = writerOf(key, order[i - 1]!);
      const b = writerOf(key, order[i]!);
      if (live(a) && live(b)) addEdge({ from: a.txn, to: b.txn, type: 'ww', key, element: order[i - 1]!, next: order[i]! });
    }
  }
  for (const { txn, key, read } of external) {
    const order = orders.get(key);
    if (!order) continue;
    if (read.length > 0) {
      const writer = writerOf(key, read[read.length - 1]!);
      if (live(writer)) addEdge({ from: writer.txn, to: txn.id, type: 'wr', key, element: read[read.length - 1]!, next: null, read });
    }
    if (read.length < order.length) {
      const writer = writerOf(key, order[read.length]!);
      if (live(writer)) {
        addEdge({ from: txn.id, to: writer.txn, type: 'rw', key, element: read.length > 0 ? read[read.length - 1]! : null, next: order[read.length]!, read });
      }
    }
  }

  for (const anomaly of findCycles(txns, graph)) report(anomaly);

  anomalies.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const anomalyKinds = KIND_ORDER.filter((kind) => counts[kind]);
  const keys = new Set<ListKey>([...writers.keys(), ...reads.keys()]);
  return {
    valid: anomalyKinds.length === 0,
    anomalyKinds,
    anomalies,
    counts,
    stats: {
      txns: txns.length,
      ok: txns.filter((t) => t.status === 'ok').length,
      info: txns.filter((t) => t.status === 'info').length,
      fail: txns.filter((t) => t.status === 'fail').length,
      keys: keys.size,
      edges: edgeCounts,
    },
  };
}

function parseMops(pair: OpPair): MicroOp[] {
  const event = pair.type === 'ok' ? pair.completion! : pair.invoke;
  const fail = (message: string): never => {
    throw new MalformedHistoryError(message, event.index, event);
  };
  if (!Array.isArray(pair.value)) fail(`a list-append transaction's value is a list of micro-ops, not ${formatValue(pair.value)}`);
  return (pair.value as unknown[]).map((mop) => {
    if (!Array.isArray(mop) || mop.length !== 3) return fail(`a micro-op is ['append', key, element] or ['r', key, list], not ${formatValue(mop)}`);
    const [f, key, value] = mop as [unknown, unknown, unknown];
    if (typeof key !== 'string' && typeof key !== 'number') return fail(`a micro-op's key is a string or a number, not ${formatValue(key)}`);
    if (f === 'append') {
      if (typeof value !== 'string' && typeof value !== 'number') return fail(`an appended element is a string or a number, not ${formatValue(value)}`);
      return ['append', key, value] as const;
    }
    if (f === 'r') {
      if (pair.type !== 'ok' || value === null) return ['r', key, null] as const;
      if (!Array.isArray(value) || value.some((e) => typeof e !== 'string' && typeof e !== 'number')) {
        return fail(`a read's value is a list of strings or numbers, or null, not ${formatValue(value)}`);
      }
      return ['r', key, value as ListElement[]] as const;
    }
    return fail(`a micro-op is 'append' or 'r', not ${formatValue(f)}`);
  });
}

/** Whether `list` is `prefix` followed by `suffix`. */
function isConcatenation(list: readonly ListElement[], prefix: readonly ListElement[], suffix: readonly ListElement[]): boolean {
  if (list.length !== prefix.length + suffix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (list[i] !== prefix[i]) return false;
  for (let i = 0; i < suffix.length; i++) if (list[prefix.length + i] !== suffix[i]) return false;
  return true;
}

function isPrefix(prefix: readonly ListElement[], list: readonly ListElement[]): boolean {
  return prefix.length <= list.length && prefix.every((e, i) => e === list[i]);
}

function endsWith(list: readonly ListElement[], suffix: readonly ListElement[]): boolean {
  const offset = list.length - suffix.length;
  return offset >= 0 && suffix.every((e, i) => e === list[offset + i]);
}

/** How many candidate edges a component's cycle search tries before settling. */
const CANDIDATES = 32;

/**
 * Finds cycles as Elle does: strongly connected components (Tarjan) of the ww subgraph (G0), the
 * ww+wr subgraph (G1c) and the whole graph (G-single, G2); in each component, a shortest cycle
 * through a chosen edge by breadth-first search.
 */
function findCycles(txns: readonly Txn[], graph: ReadonlyMap<number, ReadonlyMap<number, Edge>>): ListAppendAnomaly[] {
  const n = txns.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const edges: Edge[][] = Array.from({ length: n }, () => []);
  for (const [from, out] of graph) {
    for (const [to, edge] of out) {
      succ[from]!.push(to);
      edges[from]!.push(edge);
    }
  }
  const found: ListAppendAnomaly[] = [];
  const cycleAnomaly = (kind: 'G0' | 'G1c' | 'G-single' | 'G2', cycle: CycleStep[]): ListAppendAnomaly => ({
    kind,
    cycle,
    txns: cycle.map((step) => txns[step.from]!),
  });

  // Candidate edges inside a component: (from, index into succ[from]).
  const inside = (component: readonly number[], comp: Int32Array, id: number, want: (mask: number) => boolean) => {
    const out: Array<readonly [number, number]> = [];
    for (const from of component) {
      const targets = succ[from]!;
      for (let i = 0; i < targets.length; i++) {
        if (comp[targets[i]!] === id && want(edges[from]![i]!.mask)) out.push([from, i]);
      }
    }
    return out;
  };
  const shortest = (
    candidates: ReadonlyArray<readonly [number, number]>,
    type: DependencyType,
    allowed: number,
    comp: Int32Array,
    id: number,
  ): CycleStep[] | null => {
    let best: CycleStep[] | null = null;
    for (const [from, i] of candidates.slice(0, CANDIDATES)) {
      const to = succ[from]![i]!;
      const path = bfs(to, from, allowed, comp, id);
      if (path && (!best || path.length + 1 < best.length)) best = [edges[from]![i]!.steps[type]!, ...path];
      if (best && best.length === 2) break;
    }
    return best;
  };
  const bfs = (start: number, goal: number, allowed: number, comp: Int32Array, id: number): CycleStep[] | null => {
    const parent = new Map<number, readonly [number, number]>([[start, [-1, -1]]]);
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      if (node === goal) {
        const path: CycleStep[] = [];
        for (let at = goal; at !== start; ) {
          const [from, i] = parent.get(at)!;
          path.push(stepOf(edges[from]![i]!, allowed));
          at = from;
        }
        return path.reverse();
      }
      const targets = succ[node]!;
      for (let i = 0; i < targets.length; i++) {
        const to = targets[i]!;
        if (comp[to] !== id || !(edges[node]![i]!.mask & allowed) || parent.has(to)) continue;
        parent.set(to, [node, i]);
        queue.push(to);
      }
    }
    return null;
  };

  // G0: cycles of ww edges.
  {
    const { comp, components } = tarjan(n, succ, edges, WW);
    components.forEach((component, id) => {
      const cycle = shortest(inside(component, comp, id, (m) => (m & WW) !== 0), 'ww', WW, comp, id);
      if (cycle) found.push(cycleAnomaly('G0', cycle));
    });
  }
  // G1c: cycles of ww and wr edges with a wr edge.
  {
    const { comp, components } = tarjan(n, succ, edges, WW | WR);
    components.forEach((component, id) => {
      const cycle = shortest(inside(component, comp, id, (m) => (m & WR) !== 0), 'wr', WW | WR, comp, id);
      if (cycle) found.push(cycleAnomaly('G1c', cycle));
    });
  }
  // G-single and G2: cycles through an edge that is only an anti-dependency.
  {
    const { comp, components } = tarjan(n, succ, edges, WW | WR | RW);
    components.forEach((component, id) => {
      const candidates = inside(component, comp, id, (m) => m === RW);
      if (candidates.length === 0) return;
      const single = shortest(candidates, 'rw', WW | WR, comp, id);
      if (single) {
        found.push(cycleAnomaly('G-single', single));
        return;
      }
      const cycle = shortest(candidates, 'rw', WW | WR | RW, comp, id);
      if (cycle) found.push(cycleAnomaly('G2', cycle));
    });
  }
  return found;
}

/** An edge's evidence for one of the allowed types, preferring ww, then wr, then rw. */
function stepOf(edge: Edge, allowed: number): CycleStep {
  for (const [type, bit] of TYPE_BITS) if (edge.mask & allowed & bit) return edge.steps[type]!;
  throw new Error('list-append: an edge with no allowed type');
}

/**
 * Tarjan's strongly connected components over the edges whose mask meets `allowed`, iteratively
 * (histories have many thousands of transactions). Returns each node's component id (-1 for a
 * node in no cycle) and the components of two or more nodes.
 */
function tarjan(n: number, succ: readonly number[][], edges: readonly Edge[][], allowed: number): { comp: Int32Array; components: number[][] } {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const components: number[][] = [];
  const frameNode: number[] = [];
  const frameEdge: number[] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1 || succ[root]!.length === 0) continue;
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    frameNode.push(root);
    frameEdge.push(0);
    while (frameNode.length > 0) {
      const top = frameNode.length - 1;
      const node = frameNode[top]!;
      const i = frameEdge[top]!;
      if (i < succ[node]!.length) {
        frameEdge[top] = i + 1;
        if (!(edges[node]![i]!.mask & allowed)) continue;
        const to = succ[node]![i]!;
        if (index[to] === -1) {
          index[to] = low[to] = counter++;
          stack.push(to);
          onStack[to] = 1;
          frameNode.push(to);
          frameEdge.push(0);
        } else if (onStack[to]) {
          low[node] = Math.min(low[node]!, index[to]!);
        }
        continue;
      }
      frameNode.pop();
      frameEdge.pop();
      if (frameNode.length > 0) {
        const parent = frameNode[frameNode.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] === index[node]) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component.push(member);
        } while (member !== node);
        if (component.length > 1) {
          for (const m of component) comp[m] = components.length;
          components.push(component);
        }
      }
    }
  }
  return { comp, components };
}

/**
 * A transaction as text: `T3 = p2 txn [[append x 1] [r y [1 2]]] → ok (#10–#13, …)`, reads of
 * more than 8 elements abbreviated to their last 6.
 */
export function formatTxn(txn: Txn): string {
  const mops = txn.mops.map((mop) => (mop[0] === 'append' || mop[2] === null ? formatValue(mop) : `[r ${formatValue(mop[1])} ${formatList(mop[2], '[]')}]`));
  return `T${txn.id} = ${formatPair(txn.op, { value: `[${mops.join(' ')}]` })}`;
}

function formatList(list: readonly ListElement[], empty = 'empty'): string {
  if (list.length === 0) return empty;
  if (list.length <= 8) return formatValue(list);
  return `[… ${list.slice(-6).map(formatValue).join(' ')}] (${list.length} elements)`;
}

/** One edge of a cycle as a sentence. */
export function describeStep(step: CycleStep): string {
  const arrow = `T${step.from} –${step.type}→ T${step.to}`;
  const key = formatValue(step.key);
  switch (step.type) {
    case 'ww':
      return `${arrow} on ${key}: T${step.to} appended ${formatValue(step.next)} right after T${step.from}'s ${formatValue(step.element)}`;
    case 'wr':
      return `${arrow} on ${key}: T${step.to} read ${formatList(step.read ?? [])}, whose last element ${formatValue(step.element)} T${step.from} appended`;
    case 'rw':
      return `${arrow} on ${key}: T${step.from} read ${formatList(step.read ?? [])}, and T${step.to} appended the next element, ${formatValue(step.next)}`;
  }
}

const KIND_TEXT: Readonly<Record<ListAppendAnomalyKind, string>> = {
  internal: "internal inconsistency: a read disagrees with the transaction's own earlier reads and appends",
  'duplicate-elements': 'duplicate elements: a read shows the same element twice',
  'garbage-read': 'garbage read: a read shows an element no transaction appended',
  'incompatible-order': 'incompatible order: two reads of a key, neither a prefix of the other',
  G1a: 'G1a (aborted read): a committed transaction read an append of a failed one',
  G1b: "G1b (intermediate read): a committed transaction read a state that is not its writer's final one",
  G0: 'G0 (write cycle): a cycle of write-write dependencies',
  G1c: 'G1c (circular information flow): a cycle of write-write and write-read dependencies',
  'G-single': 'G-single (read skew / lost update): a dependency cycle with exactly one anti-dependency',
  G2: 'G2 (anti-dependency cycle): a dependency cycle with anti-dependencies',
};

/** One anomaly as text: its kind, what happened, and the transactions involved. */
export function describeListAppendAnomaly(anomaly: ListAppendAnomaly): string {
  const lines = [KIND_TEXT[anomaly.kind]];
  switch (anomaly.kind) {
    case 'G0':
    case 'G1c':
    case 'G-single':
    case 'G2':
      for (const step of anomaly.cycle) lines.push(`  ${describeStep(step)}`);
      lines.push('  where');
      for (const txn of anomaly.txns) lines.push(`    ${formatTxn(txn)}`);
      break;
    case 'G1a':
      lines.push(`  T${anomaly.reader.id} read ${formatValue(anomaly.key)} = ${formatList(anomaly.read)}, with ${formatValue(anomaly.element)} appended by failed T${anomaly.writer.id}`);
      lines.push(`    ${formatTxn(anomaly.reader)}`, `    ${formatTxn(anomaly.writer)}`);
      break;
    case 'G1b':
      lines.push(
        `  T${anomaly.reader.id} read ${formatValue(anomaly.key)} = ${formatList(anomaly.read)}, ending in ${formatValue(anomaly.element)}, but T${anomaly.writer.id}'s final append to ${formatValue(anomaly.key)} is ${formatValue(anomaly.final)}`,
      );
      lines.push(`    ${formatTxn(anomaly.reader)}`, `    ${formatTxn(anomaly.writer)}`);
      break;
    case 'incompatible-order':
      lines.push(`  key ${formatValue(anomaly.key)}:`);
      for (const r of anomaly.reads) lines.push(`    T${r.txn.id} read ${formatList(r.read)}    (${formatTxn(r.txn)})`);
      break;
    case 'duplicate-elements':
      lines.push(`  T${anomaly.txn.id} read ${formatValue(anomaly.key)} = ${formatList(anomaly.read)}: ${anomaly.duplicates.map(formatValue).join(', ')} more than once`);
      lines.push(`    ${formatTxn(anomaly.txn)}`);
      break;
    case 'internal': {
      const { prefix, suffix } = anomaly.expected;
      const expected = prefix === null ? `a list ending in ${formatValue(suffix)}` : formatList([...prefix, ...suffix]);
      lines.push(`  T${anomaly.txn.id} read ${formatValue(anomaly.key)} = ${formatList(anomaly.read)}, but its own earlier operations imply ${expected}`);
      lines.push(`    ${formatTxn(anomaly.txn)}`);
      break;
    }
    case 'garbage-read':
      lines.push(`  T${anomaly.txn.id} read ${formatValue(anomaly.key)} = ${formatList(anomaly.read)}, with ${formatValue(anomaly.element)}, which nobody appended`);
      lines.push(`    ${formatTxn(anomaly.txn)}`);
      break;
  }
  return lines.join('\n');
}

/**
 * A result of {@link checkListAppend} as text: one line when serializable, else a count by kind
 * and each anomaly kept, with its cycle's edges and transactions.
 */
export function describeListAppend(result: ListAppendResult): string {
  const { stats } = result;
  const totals = `${stats.txns} transactions (${stats.ok} ok, ${stats.info} info, ${stats.fail} failed), ${stats.keys} key${stats.keys === 1 ? '' : 's'}, ${stats.edges.ww} ww / ${stats.edges.wr} wr / ${stats.edges.rw} rw edges`;
  if (result.valid) return `list-append: serializable, no anomaly — ${totals}`;
  const lines = [
    `list-append: NOT serializable — ${result.anomalyKinds.map((kind) => `${kind} ×${result.counts[kind]}`).join(', ')} — ${totals}`,
  ];
  for (const anomaly of result.anomalies) lines.push(describeListAppendAnomaly(anomaly));
  const shown = result.anomalies.length;
  const total = Object.values(result.counts).reduce((a, b) => a + (b ?? 0), 0);
  if (shown < total) lines.push(`(${total - shown} more anomalies not kept)`);
  return lines.join('\n');
}

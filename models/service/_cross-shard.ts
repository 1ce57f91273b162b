import type { GlobalView, Model, NodeDefinition, Property } from '../../src/checker/index.ts';
import { abstraction, always, sometimes, whenQuiescent } from '../../src/checker/index.ts';
import { crossShardCommit, type CrossShardCommitConfig, KvState, type OperationResult, parseTxn, type ShardImage, splitByShard, type Txn } from '../../src/service/index.ts';
import type { Json } from '../../src/node/index.ts';
import type { RMState } from '../../spec/commit.ts';
import { TCConsistent } from '../../spec/commit.ts';
import { shardGroup, type ShardGroupConfig, shardGroupOf, type ShardStateClass } from './_shard-group.ts';
import { permutations } from '../_shared/permutations.ts';

/** Keys k1 on shard s1 (every transaction's anchor) and k2 on s2. */
export const SHARD_OF: { readonly [key: string]: string } = { k1: 's1', k2: 's2' };
export const SHARDS = ['s1', 's2'];
export const ANCHOR = 's1';

/**
 * The transactions, by coordinator, in the service's JSON shape. `writes`: both put both keys, so
 * their orders at the two shards could disagree. `write-skew`: each reads the key the other writes
 * (t1 compares k2 absent and puts k1; t2 gets k1 and puts k2) — serializable only if reads take
 * locks: t1;t2 commits both with t2 reading "t1", t2;t1 fails t1's compare, and both committing
 * with t2 reading k1 absent is write skew.
 */
export const SHAPES = {
  writes: {
    c1: { id: 't1', txn: { ops: [{ op: 'put', key: 'k1', value: 't1' }, { op: 'put', key: 'k2', value: 't1' }] } },
    c2: { id: 't2', txn: { ops: [{ op: 'put', key: 'k1', value: 't2' }, { op: 'put', key: 'k2', value: 't2' }] } },
  },
  'write-skew': {
    c1: { id: 't1', txn: { compare: [{ key: 'k2', exists: false }], ops: [{ op: 'put', key: 'k1', value: 't1' }] } },
    c2: { id: 't2', txn: { ops: [{ op: 'get', key: 'k1' }, { op: 'put', key: 'k2', value: 't2' }] } },
  },
} as const;
export type Shape = keyof typeof SHAPES;

export interface CrossShardSetup {
  /** Crash-stop failures of coordinators (a coordinator keeps nothing durable, so it never comes back). */
  readonly crashes: number;
  readonly shape?: Shape;
  readonly resolve?: ShardGroupConfig['resolve'];
  /** The shards' state: the service's `ShardState` by default, or a broken variant. */
  readonly shardState?: ShardStateClass;
}

/** What the properties see of a shard: per transaction its TCommit state there, the anchor's decisions, the data. */
export type ShardPart = {
  readonly txns: { readonly [txn: string]: RMState };
  readonly decisions: { readonly [txn: string]: string };
  readonly data: { readonly [key: string]: { readonly value: string; readonly version: number } };
  /** What each finished part's operations gave, as `{found, value, version}` for gets (revisions are per shard). */
  readonly reads: { readonly [txn: string]: readonly Json[] };
};
export type View = { readonly [shard: string]: ShardPart };

export function shardPart(image: ShardImage): ShardPart {
  const txns: Record<string, RMState> = {};
  for (const [id] of image.prepared) txns[id] = 'prepared';
  for (const [id, outcome] of image.finished) txns[id] = outcome;
  const reads: Record<string, Json[]> = {};
  for (const [id, finished] of image.results) {
    if (finished.result?.committed) reads[id] = finished.result.results.filter((r) => r.op === 'get').map(readOf);
  }
  return {
    txns,
    decisions: Object.fromEntries(image.decisions),
    data: Object.fromEntries(image.kv.keys.map(([key, record]) => [key, { value: record.value, version: record.version }])),
    reads,
  };
}

const view = abstraction<View>(
  (node) => (SHARDS.includes(node.id) ? shardPart((node.context as { image: ShardImage }).image) : undefined),
  (parts) => parts as { [shard: string]: ShardPart },
);

const viewOf = (state: GlobalView): View => Object.fromEntries(SHARDS.map((shard) => [shard, shardPart((state.node(shard).context as { image: ShardImage }).image)]));
/** A get's result without its revision: a shard's revision counts that shard's transactions, a serial run counts all. */
const readOf = (result: OperationResult): Json => (result.op === 'get' ? (result.found ? { found: true, value: result.value, version: result.version } : { found: false }) : null);

/**
 * Serializability, judged by the service itself: some serial order of the transactions the anchor
 * committed, run one after another by one `KvState` (the single-shard semantics), passes their
 * compares, gives every finished part's gets what they read, and — on every shard where all of
 * them are finished — leaves the same values and versions.
 */
export function serializable(current: View, transactions: { readonly [id: string]: Txn }): boolean {
  const committed = Object.keys(transactions).filter((id) => current[ANCHOR]!.decisions[id] === 'committed');
  return permutations(committed).some((order) => {
    const kv = new KvState();
    for (const id of order) {
      const result = kv.apply(transactions[id]!);
      if (!result.committed) return false;
      for (const shard of SHARDS) {
        const seen = current[shard]!.reads[id];
        const serial = result.results.filter((r) => r.op === 'get' && SHARD_OF[r.key] === shard).map(readOf);
        if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(serial)) return false;
      }
    }
    return SHARDS.every((shard) => {
      if (!committed.every((id) => current[shard]!.txns[id] === 'committed' || !touches(transactions[id]!, shard))) return true;
      const serial = Object.fromEntries(
        Object.keys(SHARD_OF)
          .filter((key) => SHARD_OF[key] === shard && kv.read(key) !== undefined)
          .map((key) => [key, { value: kv.read(key)!.value, version: kv.read(key)!.version }]),
      );
      return JSON.stringify(current[shard]!.data) === JSON.stringify(serial);
    });
  });
}

const touches = (txn: Txn, shard: string) => [...txn.compare, ...txn.ops].some(({ key }) => SHARD_OF[key] === shard);
const stateAt = (current: View, txn: string) => Object.fromEntries(SHARDS.map((shard) => [shard, current[shard]!.txns[txn] ?? 'working'])) as Record<string, RMState>;

/**
 * The service's transactions across shards: coordinators c1 and c2 (the `crossShardCommit`
 * machine, as every node runs it) commit t1 and t2, each putting both k1 (shard s1, the anchor) and
 * k2 (shard s2); shards are `shardGroup`s applying commands to the service's `ShardState` and
 * resolving in-doubt parts through the anchor. The network is a message set (TLA+'s `msgs`): any
 * command or answer may be lost, delayed, reordered or delivered again. Coordinators crash-stop.
 */
export function crossShardModel(setup: CrossShardSetup): Model {
  const shape = SHAPES[setup.shape ?? 'writes'];
  const transactions = Object.fromEntries(Object.values(shape).map(({ id, txn }) => [id, parseTxn(txn)]));
  const coordinators = Object.entries(shape).map(([coordinator, { id }]): NodeDefinition => {
    const config: CrossShardCommitConfig = { id, parts: splitByShard(transactions[id]!, (key) => SHARD_OF[key]!), voteTimeoutMs: 1000 };
    return { id: coordinator, machine: crossShardCommit, peers: SHARDS, config, timers: ['voteTimeout'] };
  });
  const machine = setup.shardState ? shardGroupOf(setup.shardState) : shardGroup;
  const shards = SHARDS.map(
    (shard): NodeDefinition => ({
      id: shard,
      machine,
      peers: [...SHARDS.filter((other) => other !== shard), ...Object.keys(shape)],
      config: { resolve: setup.resolve ?? 'anchor' } satisfies ShardGroupConfig,
      spontaneous: [{ type: 'ResolveInDoubt' }],
    }),
  );
  return {
    nodes: [...coordinators, ...shards],
    network: 'set',
    faults: { crash: setup.crashes, restart: false, crashable: Object.keys(shape) },
    properties: crossShardProperties(transactions, Object.fromEntries(Object.entries(shape).map(([coordinator, { id }]) => [id, coordinator]))),
  };
}

export const FINAL = ['committed', 'aborted', 'unknown', 'unconfirmed'];

/** The properties, given the transactions by id and each one's coordinator. */
export function crossShardProperties(transactions: { readonly [id: string]: Txn }, coordinatorOfTxn: { readonly [id: string]: string }): Property[] {
  const ids = Object.keys(transactions);
  const coordinatorOf = (state: GlobalView, txn: string) => state.node(coordinatorOfTxn[txn]!);
  const coordinators = (state: GlobalView) => state.nodes.filter((node) => !SHARDS.includes(node.id));
  return [
    always('TCConsistentPerTransaction', view, (current) => ids.every((txn) => TCConsistent(stateAt(current, txn)))),
    // A part commits only after the anchor logged the commit; once it did, no part aborts.
    always('PartsFollowTheAnchor', view, (current) =>
      ids.every((txn) => {
        const decision = current[ANCHOR]!.decisions[txn];
        const states = Object.values(stateAt(current, txn));
        return (decision === 'committed' || !states.includes('committed')) && (decision !== 'committed' || !states.includes('aborted'));
      }),
    ),
    always('SerializableEffects', view, (current) => serializable(current, transactions)),
    sometimes('BothCommit', view, (current) => ids.every((txn) => current[ANCHOR]!.decisions[txn] === 'committed')),
    sometimes('CommittedAfterItsCoordinatorCrashed', (state) => ids.some((txn) => coordinatorOf(state, txn).crashed && Object.values(stateAt(viewOf(state), txn)).every((s) => s === 'committed'))),
    sometimes('AConflictAborts', (state) => coordinators(state).some((node) => /conflict/.test((node.context as { verdict?: { reason?: string } } | undefined)?.verdict?.reason ?? ''))),
    sometimes('AbortedByAResolver', (state) => ids.some((txn) => viewOf(state)[ANCHOR]!.decisions[txn] === 'aborted')),
    // At rest, no part is left prepared (in doubt), and every coordinator still up has answered its client.
    whenQuiescent('EveryPartResolved', view, (current) => SHARDS.every((shard) => Object.values(current[shard]!.txns).every((s) => s !== 'prepared'))),
    whenQuiescent('LiveCoordinatorsAnswer', (state) => coordinators(state).every((node) => node.crashed || FINAL.includes(String(node.value)))),
  ];
}

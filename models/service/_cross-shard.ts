import type { GlobalView, Model, NodeDefinition, Property } from '../../src/checker/index.ts';
import { abstraction, always, sometimes, whenQuiescent } from '../../src/checker/index.ts';
import { crossShardCommit, type CrossShardCommitConfig } from '../../src/service/cross-shard-commit.ts';
import { splitByShard } from '../../src/service/cross-shard-coordinator.ts';
import type { ShardImage } from '../../src/service/shard-state.ts';
import { parseTxn } from '../../src/service/txn.ts';
import type { RMState } from '../../spec/commit.ts';
import { TCConsistent } from '../../spec/commit.ts';
import { shardGroup, type ShardGroupConfig } from './_shard-group.ts';

/** Keys k1 on shard s1 (every transaction's anchor) and k2 on s2. */
const SHARD_OF: { readonly [key: string]: string } = { k1: 's1', k2: 's2' };
const SHARDS = ['s1', 's2'];
const ANCHOR = 's1';

/** Two transactions that write both keys, so their orders at the two shards can disagree if anything is wrong. */
export const TRANSACTIONS: { readonly [coordinator: string]: { readonly id: string; readonly value: string } } = {
  c1: { id: 't1', value: 't1' },
  c2: { id: 't2', value: 't2' },
};

export interface CrossShardSetup {
  /** Crash-stop failures of coordinators (a coordinator keeps nothing durable, so it never comes back). */
  readonly crashes: number;
  readonly resolve?: ShardGroupConfig['resolve'];
}

/** What the properties see of a shard: per transaction its TCommit state there, the anchor's decisions, the data. */
type ShardPart = {
  readonly txns: { readonly [txn: string]: RMState };
  readonly decisions: { readonly [txn: string]: string };
  readonly data: { readonly [key: string]: string };
};
type View = { readonly [shard: string]: ShardPart };

function shardPart(image: ShardImage): ShardPart {
  const txns: Record<string, RMState> = {};
  for (const [id] of image.prepared) txns[id] = 'prepared';
  for (const [id, outcome] of image.finished) txns[id] = outcome;
  return { txns, decisions: Object.fromEntries(image.decisions), data: Object.fromEntries(image.kv.keys.map(([key, record]) => [key, record.value])) };
}

const view = abstraction<View>(
  (node) => (SHARDS.includes(node.id) ? shardPart((node.context as { image: ShardImage }).image) : undefined),
  (parts) => parts as { [shard: string]: ShardPart },
);

const viewOf = (state: GlobalView): View => Object.fromEntries(SHARDS.map((shard) => [shard, shardPart((state.node(shard).context as { image: ShardImage }).image)]));
const ids = Object.values(TRANSACTIONS).map(({ id }) => id);
const stateAt = (current: View, txn: string) => Object.fromEntries(SHARDS.map((shard) => [shard, current[shard]!.txns[txn] ?? 'working'])) as Record<string, RMState>;

/**
 * The service's transactions across shards: coordinators c1 and c2 (the `crossShardCommit`
 * machine, as every node runs it) commit t1 and t2, each putting both k1 (shard s1, the anchor) and
 * k2 (shard s2); shards are `shardGroup`s applying commands to the service's `ShardState` and
 * resolving in-doubt parts through the anchor. The network is a message set (TLA+'s `msgs`): any
 * command or answer may be lost, delayed, reordered or delivered again. Coordinators crash-stop.
 */
export function crossShardModel(setup: CrossShardSetup): Model {
  const coordinators = Object.entries(TRANSACTIONS).map(([coordinator, { id, value }]): NodeDefinition => {
    const txn = parseTxn({ ops: Object.keys(SHARD_OF).map((key) => ({ op: 'put', key, value })) });
    const config: CrossShardCommitConfig = { id, parts: splitByShard(txn, (key) => SHARD_OF[key]!), voteTimeoutMs: 1000 };
    return { id: coordinator, machine: crossShardCommit, peers: SHARDS, config, timers: ['voteTimeout'] };
  });
  const shards = SHARDS.map(
    (shard): NodeDefinition => ({
      id: shard,
      machine: shardGroup,
      peers: [...SHARDS.filter((other) => other !== shard), ...Object.keys(TRANSACTIONS)],
      config: { resolve: setup.resolve ?? 'anchor' } satisfies ShardGroupConfig,
      spontaneous: [{ type: 'ResolveInDoubt' }],
    }),
  );
  return {
    nodes: [...coordinators, ...shards],
    network: 'set',
    faults: { crash: setup.crashes, restart: false, crashable: Object.keys(TRANSACTIONS) },
    properties: crossShardProperties(),
  };
}

const FINAL = ['committed', 'aborted', 'unknown', 'unconfirmed'];

export function crossShardProperties(): Property[] {
  const coordinatorOf = (state: GlobalView, txn: string) => state.node(Object.keys(TRANSACTIONS).find((c) => TRANSACTIONS[c]!.id === txn)!);
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
    // Both committed: the shards applied them in the same order, so the last writer of k1 and of k2 is the same.
    always('SameCommitOrder', view, (current) => !ids.every((txn) => SHARDS.every((shard) => current[shard]!.txns[txn] === 'committed')) || current.s1!.data.k1 === current.s2!.data.k2),
    sometimes('BothCommit', view, (current) => ids.every((txn) => SHARDS.every((shard) => current[shard]!.txns[txn] === 'committed'))),
    sometimes('CommittedAfterItsCoordinatorCrashed', (state) => ids.some((txn) => coordinatorOf(state, txn).crashed && Object.values(stateAt(viewOf(state), txn)).every((s) => s === 'committed'))),
    sometimes('AConflictAborts', (state) => Object.keys(TRANSACTIONS).some((c) => /conflict/.test((state.node(c).context as { verdict?: { reason?: string } } | undefined)?.verdict?.reason ?? ''))),
    sometimes('AbortedByAResolver', (state) => ids.some((txn) => viewOf(state)[ANCHOR]!.decisions[txn] === 'aborted')),
    // At rest, no part is left prepared (in doubt), and every coordinator still up has answered its client.
    whenQuiescent('EveryPartResolved', view, (current) => SHARDS.every((shard) => Object.values(current[shard]!.txns).every((s) => s !== 'prepared'))),
    whenQuiescent('LiveCoordinatorsAnswer', (state) => Object.keys(TRANSACTIONS).every((c) => state.node(c).crashed || FINAL.includes(String(state.node(c).value)))),
  ];
}

import type { GlobalView, Model, NodeDefinition, Property } from '../../src/checker/index.ts';
import { abstraction, always, history, sometimes, whenQuiescent } from '../../src/checker/index.ts';
import type { Json, NodeMachine } from '../../src/node/index.ts';
import { crossShardCommit, type CrossShardCommitConfig, parseTxn, type ShardImage, splitByShard, type Txn, txnMemoryPruning, type TxnMemoryPruningConfig } from '../../src/service/index.ts';
import { TCConsistent, type RMState } from '../../spec/commit.ts';
import { ANCHOR, FINAL, SHAPES, SHARD_OF, SHARDS, type ShardPart, serializable, shardPart, type View } from './_cross-shard.ts';
import { shardGroup, type ShardGroupConfig, shardGroupOf, type ShardStateClass } from './_shard-group.ts';

/** The pruners' nodes: p1, and p2 when there are two. */
const prunerIds = (count: number) => Array.from({ length: count }, (_, i) => `p${i + 1}`);

export interface TxnMemoryPruningSetup {
  /** 1: t1 alone (c1); 2: t1 and t2, both putting both keys (c1, c2). */
  readonly transactions: number;
  /** Crash-stop failures of coordinators. */
  readonly crashes: number;
  /** How many pruners run their round at once (two: leadership of the pruning node moving mid-round). */
  readonly pruners: number;
  /** The pruners' watermark: 3 is above both transactions' stamps (t1's 1, t2's 2), so anything finished may be forgotten. */
  readonly watermark: number;
  /** The shards' state: the service's `ShardState` by default, or a broken variant. */
  readonly shardState?: ShardStateClass;
  /** The pruner: the service's `txnMemoryPruning` by default, or a broken variant. */
  readonly pruner?: NodeMachine;
  /** The coordinators: the service's `crossShardCommit` by default, or a broken variant. */
  readonly coordinator?: NodeMachine;
}

/**
 * What the shards ever held, which pruning makes them forget: the first outcome of every part at
 * every shard, the anchor's decisions, and what each committed part's gets read. A history
 * variable (Abadi & Lamport's ghost state), so that the properties judge what happened, not what
 * is still remembered.
 */
type Seen = {
  readonly finished: { readonly [shard: string]: { readonly [txn: string]: RMState } };
  readonly decisions: { readonly [txn: string]: string };
  readonly reads: { readonly [shard: string]: { readonly [txn: string]: readonly Json[] } };
};

const view = abstraction<View>(
  (node) => (SHARDS.includes(node.id) ? shardPart((node.context as { image: ShardImage }).image) : undefined),
  (parts) => parts as { [shard: string]: ShardPart },
);

/** Entries of `fresh` not yet in `known` (the first one stands), or `known` itself when there are none (a stutter). */
function merged<V>(known: { readonly [id: string]: V }, fresh: { readonly [id: string]: V }): { readonly [id: string]: V } {
  const added = Object.entries(fresh).filter(([id]) => !(id in known));
  return added.length === 0 ? known : { ...known, ...Object.fromEntries(added) };
}

const seen = history<Seen, View>({
  name: 'Seen',
  over: view,
  initial: (current) => seenAfter({ finished: Object.fromEntries(SHARDS.map((s) => [s, {}])), decisions: {}, reads: Object.fromEntries(SHARDS.map((s) => [s, {}])) }, current),
  next: seenAfter,
});

/** What was seen, with what the shards hold now added (the first outcome, decision and reads of each transaction stand). */
function seenAfter(known: Seen, current: View): Seen {
  let result = known;
  for (const shard of SHARDS) {
    const outcomes = Object.fromEntries(Object.entries(current[shard]!.txns).filter(([, state]) => state === 'committed' || state === 'aborted'));
    const finished = merged(result.finished[shard]!, outcomes);
    if (finished !== result.finished[shard]) result = { ...result, finished: { ...result.finished, [shard]: finished } };
    const reads = merged(result.reads[shard]!, current[shard]!.reads);
    if (reads !== result.reads[shard]) result = { ...result, reads: { ...result.reads, [shard]: reads } };
  }
  const decisions = merged(result.decisions, current[ANCHOR]!.decisions);
  return decisions === result.decisions ? result : { ...result, decisions };
}

const viewOf = (state: GlobalView): View => Object.fromEntries(SHARDS.map((shard) => [shard, shardPart((state.node(shard).context as { image: ShardImage }).image)]));

/** The shards as they would be had nothing been forgotten: each part's first outcome, every decision and read, the data as it is. */
function everView(state: GlobalView): View {
  const known = state.history as Seen;
  const current = viewOf(state);
  return Object.fromEntries(
    SHARDS.map((shard) => [
      shard,
      { ...current[shard]!, txns: { ...current[shard]!.txns, ...known.finished[shard] }, decisions: shard === ANCHOR ? known.decisions : {}, reads: known.reads[shard]! },
    ]),
  );
}

type Verdict = { readonly status?: string; readonly reason?: string; readonly error?: string };
const verdictOf = (state: GlobalView, coordinator: string): Verdict => (state.node(coordinator).context as { verdict?: Verdict } | undefined)?.verdict ?? {};

/**
 * The service's cross-shard commit (as models/service/cross-shard.ts: coordinator c1 of t1, and c2
 * of t2 with two transactions, putting both k1 on s1, the anchor, and k2 on s2; in-doubt parts
 * resolved through the anchor; a message set; coordinators crash-stop), and pruners — the
 * service's `txnMemoryPruning` — that tell both shards to prune below `watermark`, gather their
 * prepared floors, and have the committed decisions below the least of them forgotten. Every prune
 * may be delivered at any moment, again and again, before, between or after any other step: a
 * shard may forget at any time, and a watermark may pass a transaction still at work (as a clock
 * far ahead would). Ids are stamped in order: t1 is "1.t1", t2 "2.t2".
 */
export function txnMemoryPruningModel(setup: TxnMemoryPruningSetup): Model {
  const shape = Object.entries(SHAPES.writes).slice(0, setup.transactions).map(([coordinator, { id, txn }], i) => ({ coordinator, id: `${i + 1}.${id}`, txn: parseTxn(txn) }));
  const transactions = Object.fromEntries(shape.map(({ id, txn }) => [id, txn]));
  const coordinators = shape.map(({ coordinator, id, txn }): NodeDefinition => {
    const config: CrossShardCommitConfig = { id, parts: splitByShard(txn, (key) => SHARD_OF[key]!), voteTimeoutMs: 1000 };
    return { id: coordinator, machine: setup.coordinator ?? crossShardCommit, peers: SHARDS, config, timers: ['voteTimeout'] };
  });
  const machine = setup.shardState ? shardGroupOf(setup.shardState) : shardGroup;
  const shards = SHARDS.map(
    (shard): NodeDefinition => ({
      id: shard,
      machine,
      peers: [...SHARDS.filter((other) => other !== shard), ...shape.map(({ coordinator }) => coordinator), ...prunerIds(setup.pruners)],
      config: { resolve: 'anchor' } satisfies ShardGroupConfig,
      spontaneous: [{ type: 'ResolveInDoubt' }],
    }),
  );
  const pruners = prunerIds(setup.pruners).map((id): NodeDefinition => ({ id, machine: setup.pruner ?? txnMemoryPruning, peers: SHARDS, config: { shards: SHARDS, below: setup.watermark } satisfies TxnMemoryPruningConfig }));
  return {
    nodes: [...coordinators, ...shards, ...pruners],
    network: 'set',
    faults: { crash: setup.crashes, restart: false, crashable: shape.map(({ coordinator }) => coordinator) },
    history: seen,
    properties: pruningProperties(transactions, Object.fromEntries(shape.map(({ coordinator, id }) => [id, coordinator]))),
  };
}

function pruningProperties(transactions: { readonly [id: string]: Txn }, coordinatorOfTxn: { readonly [id: string]: string }): Property[] {
  const ids = Object.keys(transactions);
  const stateAt = (ever: View, txn: string) => Object.fromEntries(SHARDS.map((shard) => [shard, ever[shard]!.txns[txn] ?? 'working'])) as Record<string, RMState>;
  const coordinators = Object.values(coordinatorOfTxn);
  return [
    always('TCConsistentPerTransaction', (state) => {
      const ever = everView(state);
      return ids.every((txn) => TCConsistent(stateAt(ever, txn)));
    }),
    always('PartsFollowTheAnchor', (state) => {
      const ever = everView(state);
      return ids.every((txn) => {
        const decision = ever[ANCHOR]!.decisions[txn];
        const states = Object.values(stateAt(ever, txn));
        return (decision === 'committed' || !states.includes('committed')) && (decision !== 'committed' || !states.includes('aborted'));
      });
    }),
    always('SerializableEffects', (state) => serializable(everView(state), transactions)),
    // A part finished at a shard is never prepared there again, nor finished the other way: a late
    // prepare after its record was pruned is refused, not taken afresh.
    always('APartFinishesOnce', (state) => {
      const known = state.history as Seen;
      const current = viewOf(state);
      return SHARDS.every((shard) => Object.entries(current[shard]!.txns).every(([txn, now]) => known.finished[shard]![txn] === undefined || known.finished[shard]![txn] === now));
    }),
    // What a client is told is what the anchor decided, even when its decide is answered after the decision was pruned.
    always('VerdictsFollowTheAnchor', (state) =>
      ids.every((txn) => {
        const { status } = verdictOf(state, coordinatorOfTxn[txn]!);
        const decision = (state.history as Seen).decisions[txn];
        return (status !== 'committed' || decision === 'committed') && (status !== 'aborted' || decision !== 'committed');
      }),
    ),
    sometimes('EveryTransactionCommits', (state) => ids.every((txn) => (state.history as Seen).decisions[txn] === 'committed')),
    sometimes('CommittedAfterItsCoordinatorCrashed', (state) => {
      const ever = everView(state);
      return ids.some((txn) => state.node(coordinatorOfTxn[txn]!).crashed && Object.values(stateAt(ever, txn)).every((s) => s === 'committed'));
    }),
    sometimes('AbortedByAResolver', (state) => ids.some((txn) => (state.history as Seen).decisions[txn] === 'aborted')),
    sometimes('ACommitForgottenAtTheAnchor', (state) => ids.some((txn) => (state.history as Seen).decisions[txn] === 'committed' && viewOf(state)[ANCHOR]!.decisions[txn] === undefined)),
    sometimes('ALatePrepareRefusedBelowTheWatermark', (state) => coordinators.some((coordinator) => /older than this shard's watermark/.test(verdictOf(state, coordinator).reason ?? ''))),
    sometimes('ALateDecideToldItWasForgotten', (state) => coordinators.some((coordinator) => verdictOf(state, coordinator).status === 'unknown' && /older than what its anchor/.test(verdictOf(state, coordinator).error ?? ''))),
    sometimes('EveryTransactionForgottenEverywhere', (state) => {
      const current = viewOf(state);
      return ids.every((txn) => (state.history as Seen).decisions[txn] !== undefined && SHARDS.every((shard) => current[shard]!.txns[txn] === undefined && current[shard]!.decisions[txn] === undefined));
    }),
    // At rest, no part is left prepared (in doubt), and every coordinator still up has answered its client.
    whenQuiescent('EveryPartResolved', view, (current) => SHARDS.every((shard) => Object.values(current[shard]!.txns).every((s) => s !== 'prepared'))),
    whenQuiescent('LiveCoordinatorsAnswer', (state) => coordinators.every((id) => state.node(id).crashed || FINAL.includes(String(state.node(id).value)))),
  ];
}

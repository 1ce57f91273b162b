import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type CommandOutcome, CrossShardCoordinator, type ShardRouter, splitByShard } from '../../src/service/cross-shard-coordinator.ts';
import { type ResultOf, type ShardCommand, stampedTxnId, txnStampOf } from '../../src/service/shard-command.ts';
import { ShardState } from '../../src/service/shard-state.ts';
import { TxnMemoryPruner } from '../../src/service/txn-memory-pruner.ts';
import { parseTxn } from '../../src/service/txn.ts';

/** Shards as `ShardState`s behind a router: each command applied to its shard's state, unless the shard is `down`. */
class FakeShards implements ShardRouter {
  readonly states = new Map<string, ShardState>();
  readonly down = new Set<string>();
  readonly log: string[] = [];

  constructor(shards: readonly string[]) {
    for (const shard of shards) this.states.set(shard, new ShardState());
  }

  state(shard: string): ShardState {
    return this.states.get(shard)!;
  }

  async runOn<C extends ShardCommand>(shard: string, command: C): Promise<CommandOutcome<ResultOf<C>>> {
    await Promise.resolve();
    this.log.push(`${shard} ${command.kind}${'id' in command ? ` ${command.id}` : ''}${command.kind === 'prune' ? ` ${command.below}/${command.committedBelow ?? '-'}` : ''}`);
    if (this.down.has(shard)) return { kind: 'error', status: 503, body: { error: `shard ${shard} has no reachable leader right now`, retryable: true } };
    return { kind: 'done', shard, result: this.state(shard).apply(command) };
  }
}

const logger = { info: () => {}, warn: () => {}, error: () => {} };
const id = (stamp: number) => stampedTxnId(stamp, 'n1', `u${stamp}`);
const part = (key: string) => parseTxn({ ops: [{ op: 'put', key, value: 'v' }] }, { part: true });

/** A transaction across the anchor s0 and `participant`, committed at the anchor; the participant's part left prepared unless `finished`. */
function committed(shards: FakeShards, stamp: number, participant: string, finished: boolean): void {
  shards.state(participant).apply({ kind: 'prepare', id: id(stamp), anchor: 's0', part: part(`k${stamp}`) });
  shards.state('s0').apply({ kind: 'decide', id: id(stamp), outcome: 'committed', part: part(`a${stamp}`) });
  if (finished) shards.state(participant).apply({ kind: 'finish', id: id(stamp), outcome: 'committed' });
}

describe('TxnMemoryPruner: the checked txnMemoryPruning round over the shards of a cluster', () => {
  it('prunes every shard below now - horizon, and has a commit forgotten only once no shard can still be in doubt about it', async () => {
    const shards = new FakeShards(['s0', 's1', 's2']);
    committed(shards, 100, 's1', true);
    committed(shards, 130, 's2', false);
    const pruner = new TxnMemoryPruner(shards, ['s0', 's1', 's2'], () => true, { horizonMs: 9_000, logger, now: () => 10_000 });

    expect(await pruner.prune()).toEqual({ outcome: 'pruned', below: 1_000, committedBelow: 130 });
    expect(shards.log).toEqual(['s0 prune 1000/-', 's1 prune 1000/-', 's2 prune 1000/-', 's0 prune 1000/130', 's1 prune 1000/130', 's2 prune 1000/130']);
    expect(shards.state('s0').decisionOf(id(100))).toBeUndefined();
    expect(shards.state('s1').remembered).toEqual({ finished: 0, results: 0, decisions: 0 });
    // s2 is still in doubt about t130: the anchor keeps its commit, so s2's resolver learns the truth.
    expect(shards.state('s0').decisionOf(id(130))).toBe('committed');
    expect(shards.state('s0').apply({ kind: 'decide', id: id(130), outcome: 'aborted' })).toEqual({ outcome: 'committed' });
    shards.state('s2').apply({ kind: 'finish', id: id(130), outcome: 'committed' });

    expect(await pruner.prune()).toEqual({ outcome: 'pruned', below: 1_000, committedBelow: 1_000 });
    expect(shards.state('s0').decisionOf(id(130))).toBeUndefined();
    expect(shards.state('s2').kv.read('k130')).toMatchObject({ value: 'v', version: 1 });
  });

  it('forgets no commit when a shard cannot be reached, while the others still prune their finished parts', async () => {
    const shards = new FakeShards(['s0', 's1', 's2']);
    committed(shards, 100, 's1', true);
    shards.down.add('s2');
    const pruner = new TxnMemoryPruner(shards, ['s0', 's1', 's2'], () => true, { horizonMs: 9_000, logger, now: () => 10_000 });
    expect(await pruner.prune()).toEqual({ outcome: 'incomplete', below: 1_000 });
    expect(shards.log).toEqual(['s0 prune 1000/-', 's1 prune 1000/-', 's2 prune 1000/-']);
    expect(shards.state('s0').decisionOf(id(100))).toBe('committed');
    expect(shards.state('s1').remembered.finished).toBe(0);
  });

  it('runs rounds every interval on the node that leads, and not elsewhere', async () => {
    const [leading, following] = [new FakeShards(['s0', 's1']), new FakeShards(['s0', 's1'])];
    const pruners = [new TxnMemoryPruner(leading, ['s0', 's1'], () => true, { intervalMs: 5, logger }), new TxnMemoryPruner(following, ['s0', 's1'], () => false, { intervalMs: 5, logger })];
    for (const pruner of pruners) pruner.start();
    try {
      for (let waited = 0; leading.log.length < 8 && waited < 2_000; waited += 10) await sleep(10);
    } finally {
      for (const pruner of pruners) pruner.stop();
    }
    expect(leading.log.length).toBeGreaterThanOrEqual(8);
    expect(following.log).toEqual([]);
    expect(leading.state('s0').watermarks.below).toBeGreaterThan(Date.now() - 5 * 60_000 - 60_000);
  });

  it('rejects a horizon or an interval that is not a whole number of ms', () => {
    expect(() => new TxnMemoryPruner(new FakeShards([]), [], () => true, { horizonMs: 0, logger })).toThrow('horizonMs must be a whole number of ms >= 1, not 0');
    expect(() => new TxnMemoryPruner(new FakeShards([]), [], () => true, { intervalMs: 2.5, logger })).toThrow('intervalMs must be a whole number of ms >= 1, not 2.5');
  });
});

describe('CrossShardCoordinator: transaction ids stamped with its clock', () => {
  const split = (body: unknown) => splitByShard(parseTxn(body), (key) => (key.startsWith('b') ? 's1' : 's0'));

  it('stamps the ids it makes, which the shards compare with their watermarks', async () => {
    const shards = new FakeShards(['s0', 's1']);
    const outcome = await new CrossShardCoordinator(shards, 'n1', () => 1_234).run(split({ ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }));
    expect(outcome).toMatchObject({ kind: 'cross', result: { committed: true } });
    const ids = new Set(shards.log.map((line) => line.split(' ')[2]!));
    expect(ids.size).toBe(1);
    const [txnId] = ids;
    expect(txnId).toMatch(/^1234\.n1\.[0-9a-f-]{36}$/);
    expect(txnStampOf(txnId!)).toBe(1_234);
  });

  it('a coordinator whose clock is behind the watermark has its transaction refused, and nothing is left locked', async () => {
    const shards = new FakeShards(['s0', 's1']);
    for (const state of shards.states.values()) state.apply({ kind: 'prune', below: 5_000 });
    const outcome = await new CrossShardCoordinator(shards, 'n1', () => 4_000).run(split({ ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }));
    expect(outcome).toMatchObject({ kind: 'cross', result: { committed: false, reason: expect.stringContaining("is older than this shard's watermark") } });
    await sleep(0);
    for (const state of shards.states.values()) expect(state.preparedParts.size).toBe(0);
    expect(shards.state('s0').kv.read('a')).toBeUndefined();
  });
});

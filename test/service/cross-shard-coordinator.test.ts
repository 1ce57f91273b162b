import { describe, expect, it } from 'vitest';
import { type CommandOutcome, CrossShardCoordinator, type ShardRouter, splitByShard } from '../../src/service/cross-shard-coordinator.ts';
import type { ResultOf, ShardCommand } from '../../src/service/shard-command.ts';
import { ShardState } from '../../src/service/shard-state.ts';
import { parseTxn } from '../../src/service/txn.ts';

/**
 * Shards as `ShardState`s behind a router the test controls: each command is applied to its
 * shard's state (as its leader would propose it), unless the shard is `down` (the router gives up
 * on it, as `runOn` does after its deadline).
 */
class FakeShards implements ShardRouter {
  readonly states = new Map<string, ShardState>();
  readonly down = new Set<string>();
  readonly log: string[] = [];

  constructor(shards: readonly string[]) {
    for (const shard of shards) this.states.set(shard, new ShardState());
  }

  async runOn<C extends ShardCommand>(shard: string, command: C): Promise<CommandOutcome<ResultOf<C>>> {
    await Promise.resolve();
    this.log.push(`${shard} ${command.kind}${'outcome' in command ? ` ${command.outcome}` : ''}`);
    if (this.down.has(shard)) return { kind: 'error', status: 503, body: { error: `shard ${shard} has no reachable leader right now`, retryable: true } };
    return { kind: 'done', shard, result: this.states.get(shard)!.apply(command) };
  }
}

const shardOf = (key: string) => (key.startsWith('b') ? 's1' : 's0');
const parts = (body: unknown) => splitByShard(parseTxn(body), shardOf);

describe('CrossShardCoordinator: the crossShardCommit machine driven by real shard states', () => {
  it('prepares the other shard, decides with the anchor part, finishes, and answers every operation in its order', async () => {
    const shards = new FakeShards(['s0', 's1']);
    shards.states.get('s1')!.apply({ kind: 'txn', txn: parseTxn({ ops: [{ op: 'put', key: 'b', value: 'old' }] }) });
    const outcome = await new CrossShardCoordinator(shards, 'n1').run(parts({ compare: [{ key: 'b', value: 'old' }], ops: [{ op: 'get', key: 'b' }, { op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: 'new' }] }));
    expect(outcome).toEqual({
      kind: 'cross',
      shards: ['s0', 's1'],
      result: {
        committed: true,
        revisions: { s0: 1, s1: 2 },
        results: [
          { op: 'get', key: 'b', found: true, value: 'old', revision: 1, version: 1 },
          { op: 'put', key: 'a', revision: 1, version: 1 },
          { op: 'put', key: 'b', revision: 2, version: 2 },
        ],
      },
    });
    expect(shards.log).toEqual(['s1 prepare', 's0 decide committed', 's1 finish committed']);
    for (const state of shards.states.values()) expect(state.preparedParts.size).toBe(0);
  });

  it('a refusal aborts with the refusing shard\'s reason (409), and releases the prepared parts', async () => {
    const shards = new FakeShards(['s0', 's1', 's2']);
    const shardOf3 = (key: string) => ({ a: 's0', b: 's1', c: 's2' })[key]!;
    const outcome = await new CrossShardCoordinator(shards, 'n1').run(splitByShard(parseTxn({ compare: [{ key: 'c', exists: true }], ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }), shardOf3));
    expect(outcome).toEqual({ kind: 'cross', shards: ['s0', 's1', 's2'], result: { committed: false, reason: 'shard s2: compare failed: "c" does not exist' } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(shards.states.get('s1')!.preparedParts.size).toBe(0);
    expect(shards.log.filter((entry) => entry.includes('finish'))).toEqual(['s1 finish aborted', 's2 finish aborted']);
  });

  it('an unreachable participant aborts with 503 (retryable); an unreachable anchor leaves the outcome unknown (503)', async () => {
    const unreachable = new FakeShards(['s0', 's1']);
    unreachable.down.add('s1');
    expect(await new CrossShardCoordinator(unreachable, 'n1').run(parts({ ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }))).toMatchObject({
      kind: 'error',
      status: 503,
      body: { error: expect.stringContaining('the transaction was aborted, retry'), retryable: true },
    });

    const anchorDown = new FakeShards(['s0', 's1']);
    anchorDown.down.add('s0');
    expect(await new CrossShardCoordinator(anchorDown, 'n1').run(parts({ ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }))).toMatchObject({
      kind: 'error',
      status: 503,
      body: { error: expect.stringContaining('may or may not have committed'), outcome: 'unknown' },
    });
    // Its part at s1 stays prepared, for s1's resolver to settle through the anchor.
    expect(anchorDown.states.get('s1')!.preparedParts.size).toBe(1);
  });

  it('a resolver that logged abort at the anchor first wins: the coordinator reports the abort (409)', async () => {
    const shards = new FakeShards(['s0', 's1']);
    const coordinator = new CrossShardCoordinator(shards, 'n1');
    const running = coordinator.run(parts({ ops: [{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '1' }] }));
    // As soon as s1's part is prepared, play s1's resolver: decide aborted at the anchor.
    const anchor = shards.states.get('s0')!;
    const original = shards.runOn.bind(shards);
    shards.runOn = async (shard, command) => {
      if (command.kind === 'decide' && command.outcome === 'committed') anchor.apply({ kind: 'decide', id: command.id, outcome: 'aborted' });
      return original(shard, command);
    };
    expect(await running).toMatchObject({ kind: 'cross', result: { committed: false, reason: expect.stringContaining('was aborted at its anchor before it could commit') } });
    expect(anchor.kv.read('a')).toBeUndefined();
  });
});

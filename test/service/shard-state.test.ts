import { describe, expect, it } from 'vitest';
import { splitByShard } from '../../src/service/cross-shard-coordinator.ts';
import { InvalidRequestError, parseTxn } from '../../src/service/txn.ts';
import { parseShardCommand, type ShardCommand } from '../../src/service/shard-command.ts';
import { ShardState } from '../../src/service/shard-state.ts';

const txn = (body: unknown) => ({ kind: 'txn', txn: parseTxn(body) }) as const;
const prepare = (id: string, part: unknown) => ({ kind: 'prepare', id, anchor: 's0', part: parseTxn(part, { part: true }) }) as const;

describe('ShardState: one shard data shared by its own transactions and the parts of transactions across shards', () => {
  it('a prepared part locks its keys until it finishes; commit applies it with the shard revision of that moment', () => {
    const state = new ShardState();
    expect(state.apply(txn({ ops: [{ op: 'put', key: 'a', value: '10' }, { op: 'put', key: 'r', value: 'x' }] }))).toMatchObject({ committed: true, revision: 1 });

    const part = { compare: [{ key: 'a', value: '10' }, { key: 'r', exists: true }], ops: [{ op: 'put', key: 'a', value: '7' }, { op: 'get', key: 'a' }] };
    expect(state.apply(prepare('t1', part))).toEqual({ vote: 'prepared' });
    expect([...state.preparedParts.keys()]).toEqual(['t1']);

    // The write lock on a refuses writers and readers; the read lock on r (a compare) refuses writers only.
    expect(state.apply(txn({ ops: [{ op: 'get', key: 'a' }] }))).toEqual({ committed: false, reason: 'conflict: "a" is locked by transaction t1, prepared across shards; retry' });
    expect(state.apply(txn({ ops: [{ op: 'put', key: 'r', value: 'y' }] }))).toMatchObject({ committed: false, reason: expect.stringContaining('"r" is locked by transaction t1') });
    expect(state.apply(txn({ ops: [{ op: 'get', key: 'r' }] }))).toMatchObject({ committed: true });
    expect(state.apply(prepare('t2', { ops: [{ op: 'put', key: 'a', value: '1' }] }))).toEqual({ vote: 'refused', reason: 'conflict: "a" is locked by transaction t1, prepared across shards; retry' });
    // Another key on the shard commits meanwhile and bumps the revision.
    expect(state.apply(txn({ ops: [{ op: 'put', key: 'b', value: '1' }] }))).toMatchObject({ committed: true, revision: 2 });

    const committed = state.apply({ kind: 'finish', id: 't1', outcome: 'committed' });
    expect(committed).toEqual({
      outcome: 'committed',
      result: { committed: true, revision: 3, results: [{ op: 'put', key: 'a', revision: 3, version: 2 }, { op: 'get', key: 'a', found: true, value: '7', revision: 3, version: 2 }] },
    });
    // A repeated finish or prepare gets the first answer; the locks are gone.
    expect(state.apply({ kind: 'finish', id: 't1', outcome: 'committed' })).toEqual(committed);
    expect(state.apply(prepare('t1', part))).toEqual({ vote: 'prepared' });
    expect(state.preparedParts.size).toBe(0);
    expect(state.apply(txn({ ops: [{ op: 'put', key: 'r', value: 'y' }] }))).toMatchObject({ committed: true, revision: 4 });
  });

  it('refuses a part whose compare fails, and remembers an abort so a late prepare is refused', () => {
    const state = new ShardState();
    expect(state.apply(prepare('t1', { compare: [{ key: 'missing', exists: true }], ops: [{ op: 'put', key: 'a', value: '1' }] }))).toEqual({
      vote: 'refused',
      reason: 'compare failed: "missing" does not exist',
    });
    expect(state.apply(prepare('t1', { ops: [{ op: 'put', key: 'a', value: '1' }] }))).toEqual({ vote: 'refused', reason: 'transaction t1 was already aborted on this shard' });
    // Aborted before its prepare arrived (the resolver got there first): the prepare is refused too.
    expect(state.apply({ kind: 'finish', id: 't2', outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    expect(state.apply(prepare('t2', { ops: [{ op: 'put', key: 'a', value: '1' }] }))).toMatchObject({ vote: 'refused' });
    // An aborted prepared part releases its locks and writes nothing.
    expect(state.apply(prepare('t3', { ops: [{ op: 'put', key: 'a', value: '1' }] }))).toEqual({ vote: 'prepared' });
    expect(state.apply({ kind: 'finish', id: 't3', outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    expect(state.kv.read('a')).toBeUndefined();
    expect(state.apply(txn({ ops: [{ op: 'put', key: 'a', value: '2' }] }))).toMatchObject({ committed: true });
    // A commit of a part never prepared here is not applied, and says so.
    expect(state.apply({ kind: 'finish', id: 't9', outcome: 'committed' })).toEqual({ outcome: 'aborted' });
  });

  it('at the anchor, the first decision logged stands', () => {
    const state = new ShardState();
    expect(state.apply({ kind: 'decide', id: 't1', outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    expect(state.apply({ kind: 'decide', id: 't1', outcome: 'committed' })).toEqual({ outcome: 'aborted' });
    expect(state.apply({ kind: 'decide', id: 't2', outcome: 'committed' })).toEqual({ outcome: 'committed' });
    expect(state.apply({ kind: 'decide', id: 't2', outcome: 'aborted' })).toEqual({ outcome: 'committed' });
    expect(state.decisionOf('t2')).toBe('committed');
  });

  it('a commit carrying the anchor\'s part prepares, decides and applies it in one step, or decides abort when the part is refused', () => {
    const state = new ShardState();
    state.apply(prepare('holder', { ops: [{ op: 'put', key: 'busy', value: 'x' }] }));
    const refused = state.apply({ kind: 'decide', id: 't1', outcome: 'committed', part: parseTxn({ ops: [{ op: 'put', key: 'busy', value: 'y' }] }) });
    expect(refused).toEqual({ outcome: 'aborted', reason: 'conflict: "busy" is locked by transaction holder, prepared across shards; retry' });
    expect(state.decisionOf('t1')).toBe('aborted');

    const part = parseTxn({ ops: [{ op: 'put', key: 'a', value: '1' }] });
    const committed = state.apply({ kind: 'decide', id: 't2', outcome: 'committed', part });
    expect(committed).toEqual({ outcome: 'committed', result: { committed: true, revision: 1, results: [{ op: 'put', key: 'a', revision: 1, version: 1 }] } });
    // Repeated, it answers the same and applies nothing again; a resolver's abort gets the commit back.
    expect(state.apply({ kind: 'decide', id: 't2', outcome: 'committed', part })).toEqual(committed);
    expect(state.apply({ kind: 'decide', id: 't2', outcome: 'aborted' })).toEqual({ outcome: 'committed' });
    expect(state.kv.read('a')).toEqual({ value: '1', revision: 1, version: 1 });
    expect(state.preparedParts.has('t2')).toBe(false);
  });

  it('two replicas applying the same commands hold the same state (digest), and a difference shows', () => {
    const commands: ShardCommand[] = [txn({ ops: [{ op: 'put', key: 'a', value: '1' }] }), prepare('t1', { ops: [{ op: 'put', key: 'b', value: '2' }] }), { kind: 'decide', id: 't1', outcome: 'committed' }];
    const [one, two] = [new ShardState(), new ShardState()];
    for (const command of commands) {
      one.apply(command);
      two.apply(command);
    }
    expect(one.digest()).toBe(two.digest());
    two.apply({ kind: 'finish', id: 't1', outcome: 'committed' });
    expect(one.digest()).not.toBe(two.digest());
  });
});

describe('shard commands from other nodes and the split of a transaction by shard', () => {
  it('parses commands and refuses malformed ones with a reason', () => {
    expect(parseShardCommand({ kind: 'finish', id: 'n1.x', outcome: 'aborted' })).toEqual({ kind: 'finish', id: 'n1.x', outcome: 'aborted' });
    expect(parseShardCommand({ kind: 'prepare', id: 't', anchor: 's0', part: { compare: [{ key: 'k', exists: false }], ops: [] } })).toMatchObject({ kind: 'prepare' });
    const refusal = (body: unknown) => {
      try {
        parseShardCommand(body);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidRequestError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal([])).toBe('a shard command is a JSON object with a "kind"');
    expect(refusal({ kind: 'merge' })).toBe('"kind" must be one of "txn", "prepare", "finish", "decide"');
    expect(refusal({ kind: 'decide', id: 't', outcome: 'maybe' })).toBe('"outcome" must be "committed" or "aborted"');
    expect(refusal({ kind: 'decide', id: '', outcome: 'aborted' })).toBe('"id" must be 1 to 128 printable ASCII characters');
    expect(refusal({ kind: 'finish', id: 't', outcome: 'aborted', extra: 1 })).toBe('finish command: unknown field "extra"');
    expect(refusal({ kind: 'txn', txn: { ops: [] } })).toBe('"ops" must hold at least one operation');
    expect(refusal({ kind: 'prepare', id: 't', part: { ops: [] } })).toBe('"anchor" must name a shard');
    expect(refusal({ kind: 'decide', id: 't', outcome: 'aborted', part: { ops: [{ op: 'get', key: 'k' }] } })).toBe('only a commit decision carries the anchor\'s "part"');
  });

  it('splits compares and operations by shard, keeping each operation\'s place', () => {
    const shardOf = (key: string) => (key.startsWith('x') ? 's1' : 's0');
    const parts = splitByShard(
      parseTxn({ compare: [{ key: 'x1', exists: true }], ops: [{ op: 'get', key: 'a' }, { op: 'put', key: 'x1', value: '1' }, { op: 'delete', key: 'b' }] }),
      shardOf,
    );
    expect(parts).toEqual([
      { shard: 's0', part: { compare: [], ops: [{ op: 'get', key: 'a' }, { op: 'delete', key: 'b' }] }, opIndexes: [0, 2] },
      { shard: 's1', part: { compare: [{ key: 'x1', target: 'exists', exists: true }], ops: [{ op: 'put', key: 'x1', value: '1' }] }, opIndexes: [1] },
    ]);
  });
});

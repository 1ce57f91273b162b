import { describe, expect, it } from 'vitest';
import { splitByShard } from '../../src/service/cross-shard-coordinator.ts';
import { InvalidRequestError, parseTxn } from '../../src/service/txn.ts';
import { parseShardCommand, type ShardCommand, stampedTxnId, txnStampOf } from '../../src/service/shard-command.ts';
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

describe('ShardState: pruning the memory of finished transactions below a watermark', () => {
  const put = (key: string, value: string) => ({ ops: [{ op: 'put', key, value }] });
  const id = (stamp: number) => stampedTxnId(stamp, 'n1', `u${stamp}`);
  const prune = (below: number, committedBelow?: number): ShardCommand => ({ kind: 'prune', below, ...(committedBelow !== undefined ? { committedBelow } : {}) });

  it('refuses a late duplicate prepare below the watermark, after its part committed or aborted and was forgotten; keeps what is above', () => {
    const state = new ShardState();
    expect(state.apply(prepare(id(100), put('a', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply({ kind: 'finish', id: id(100), outcome: 'committed' })).toMatchObject({ outcome: 'committed', result: { committed: true } });
    expect(state.apply({ kind: 'finish', id: id(150), outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    expect(state.apply(prepare(id(300), put('c', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply({ kind: 'finish', id: id(300), outcome: 'committed' })).toMatchObject({ outcome: 'committed' });

    // An id without a stamp (a node from before pruning) is kept, as it would have been.
    expect(state.apply({ kind: 'finish', id: 'legacy', outcome: 'aborted' })).toEqual({ outcome: 'aborted' });

    expect(state.apply(prune(200))).toEqual({ watermark: 200, committedWatermark: 0, preparedFloor: 200 });
    expect(state.remembered).toEqual({ finished: 2, results: 2, decisions: 0 });

    // The committed part is not prepared (nor applied) again, and takes no lock: a write to its key goes through.
    expect(state.apply(prepare(id(100), put('a', '1')))).toEqual({ vote: 'refused', reason: `transaction ${id(100)} is older than this shard's watermark: it is over here, or too late to begin; retry` });
    expect(state.apply(prepare(id(150), put('b', '1')))).toMatchObject({ vote: 'refused' });
    expect(state.preparedParts.size).toBe(0);
    expect(state.apply(txn(put('a', '2')))).toMatchObject({ committed: true });
    // A late finish below the watermark changes nothing: the part finished before it was forgotten.
    expect(state.apply({ kind: 'finish', id: id(100), outcome: 'committed' })).toEqual({ outcome: 'committed' });
    expect(state.kv.read('a')).toMatchObject({ value: '2', version: 2 });
    // Above the watermark the record is kept, and the repeated prepare answered as before.
    expect(state.apply(prepare(id(300), put('c', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply({ kind: 'finish', id: id(300), outcome: 'committed' })).toMatchObject({ outcome: 'committed', result: { committed: true } });
    expect(state.apply(prepare('legacy', put('c', '1')))).toEqual({ vote: 'refused', reason: 'transaction legacy was already aborted on this shard' });
    // Nothing stamped below the watermark begins any more; at the watermark, or without a stamp, it does.
    expect(state.apply(prepare(id(199), put('d', '1')))).toMatchObject({ vote: 'refused' });
    expect(state.apply(prepare(id(200), put('d', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply(prepare('t1', put('e', '1')))).toEqual({ vote: 'prepared' });
  });

  it('answers a late decide commit below the watermark aborted when the decision was aborted and forgotten, and logs nothing', () => {
    const anchor = new ShardState();
    // A resolver aborted t100 at the anchor before its coordinator's decide arrived.
    expect(anchor.apply({ kind: 'decide', id: id(100), outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    expect(anchor.apply({ kind: 'decide', id: id(300), outcome: 'aborted' })).toEqual({ outcome: 'aborted' });
    anchor.apply(prune(200));
    expect(anchor.decisionOf(id(100))).toBeUndefined();
    const late = anchor.apply({ kind: 'decide', id: id(100), outcome: 'committed', part: parseTxn(put('a', '1')) });
    expect(late).toEqual({ outcome: 'aborted', reason: `transaction ${id(100)} is older than its anchor's watermark and was never committed; retry` });
    expect(anchor.kv.read('a')).toBeUndefined();
    expect(anchor.decisionOf(id(100))).toBeUndefined();
    // Above the watermark the abort is remembered and still stands.
    expect(anchor.apply({ kind: 'decide', id: id(300), outcome: 'committed', part: parseTxn(put('a', '1')) })).toEqual({ outcome: 'aborted' });
    expect(anchor.kv.read('a')).toBeUndefined();
  });

  it('keeps a committed decision until every shard\'s prepared floor is above it; then a late decide is told it was forgotten', () => {
    const anchor = new ShardState();
    const committed = anchor.apply({ kind: 'decide', id: id(100), outcome: 'committed', part: parseTxn(put('a', '1')) });
    expect(committed).toMatchObject({ outcome: 'committed', result: { committed: true } });
    // The watermark alone forgets no commit: a participant may still be in doubt and ask.
    anchor.apply(prune(200));
    expect(anchor.decisionOf(id(100))).toBe('committed');
    expect(anchor.apply({ kind: 'decide', id: id(100), outcome: 'aborted' })).toEqual({ outcome: 'committed' });
    // Every shard's floor is above it: the commit goes. A late decide, commit or abort, cannot be told which it was.
    expect(anchor.apply(prune(200, 150))).toEqual({ watermark: 200, committedWatermark: 150, preparedFloor: 200 });
    expect(anchor.decisionOf(id(100))).toBeUndefined();
    const forgotten = { outcome: 'aborted', forgotten: true, reason: `transaction ${id(100)} is older than the decisions this anchor remembers: whichever it was, every part has finished` };
    expect(anchor.apply({ kind: 'decide', id: id(100), outcome: 'committed', part: parseTxn(put('a', '1')) })).toEqual(forgotten);
    expect(anchor.apply({ kind: 'decide', id: id(100), outcome: 'aborted' })).toEqual(forgotten);
    expect(anchor.kv.read('a')).toMatchObject({ value: '1', version: 1 });
    // Watermarks only rise, and the committed one never passes the other.
    expect(anchor.apply(prune(100, 100))).toEqual({ watermark: 200, committedWatermark: 150, preparedFloor: 200 });
    expect(anchor.apply(prune(250, 250))).toEqual({ watermark: 250, committedWatermark: 250, preparedFloor: 250 });
  });

  it('never prunes a prepared part: it keeps its locks, answers the floor, and finishes as decided', () => {
    const state = new ShardState();
    expect(state.apply(prepare(id(120), put('a', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply(prune(500))).toEqual({ watermark: 500, committedWatermark: 0, preparedFloor: 120 });
    expect(state.apply(prepare(id(120), put('a', '1')))).toEqual({ vote: 'prepared' });
    expect(state.apply(txn(put('a', '2')))).toMatchObject({ committed: false, reason: expect.stringContaining(`locked by transaction ${id(120)}`) });
    expect(state.apply({ kind: 'finish', id: id(120), outcome: 'committed' })).toMatchObject({ outcome: 'committed', result: { committed: true } });
    expect(state.kv.read('a')).toMatchObject({ value: '1' });
    expect(state.apply(prune(500))).toMatchObject({ preparedFloor: 500 });
    expect(state.remembered).toEqual({ finished: 0, results: 0, decisions: 0 });
  });

  it('replicas that apply the same prunes hold the same state, and an image keeps the watermarks', () => {
    const commands: ShardCommand[] = [prepare(id(1), put('a', '1')), { kind: 'finish', id: id(1), outcome: 'committed' }, { kind: 'decide', id: id(2), outcome: 'aborted' }, prune(10, 5)];
    const [one, two] = [new ShardState(), new ShardState()];
    for (const command of commands) {
      one.apply(command);
      two.apply(command);
    }
    expect(one.digest()).toBe(two.digest());
    const restored = new ShardState(JSON.parse(JSON.stringify(one.image())));
    expect(restored.digest()).toBe(one.digest());
    expect(restored.watermarks).toEqual({ below: 10, committedBelow: 5 });
    expect(restored.apply(prepare(id(1), put('a', '1')))).toMatchObject({ vote: 'refused' });
    two.apply(prune(11));
    expect(two.digest()).not.toBe(one.digest());
  });

  it('keeps the memory bounded: many transactions across shards with a prune every so often', () => {
    const [anchor, participant] = [new ShardState(), new ShardState()];
    const horizon = 1_000;
    let largest = 0;
    for (let stamp = 1; stamp <= 20_000; stamp++) {
      const txnId = id(stamp);
      const key = `k${stamp % 50}`;
      participant.apply(prepare(txnId, put(key, String(stamp))));
      if (stamp % 7 === 0) {
        // Every seventh is aborted by a resolver, the decide of its coordinator coming too late.
        anchor.apply({ kind: 'decide', id: txnId, outcome: 'aborted' });
        anchor.apply({ kind: 'decide', id: txnId, outcome: 'committed', part: parseTxn(put(key, String(stamp))) });
        participant.apply({ kind: 'finish', id: txnId, outcome: 'aborted' });
      } else {
        anchor.apply({ kind: 'decide', id: txnId, outcome: 'committed', part: parseTxn(put(key, String(stamp))) });
        participant.apply({ kind: 'finish', id: txnId, outcome: 'committed' });
      }
      if (stamp % 250 === 0) {
        const below = stamp - horizon;
        const floors = [anchor, participant].map((shard) => (shard.apply(prune(below)) as { preparedFloor: number }).preparedFloor);
        for (const shard of [anchor, participant]) shard.apply(prune(below, Math.min(below, ...floors)));
      }
      largest = Math.max(largest, ...[anchor, participant].flatMap((shard) => Object.values(shard.remembered)));
    }
    // A horizon and an interval of transactions, not 20,000.
    expect(largest).toBeLessThanOrEqual(horizon + 250);
    expect(anchor.remembered.decisions).toBeGreaterThan(horizon - 1);
    expect(participant.kv.read('k0')).toMatchObject({ value: '20000' });
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
    expect(refusal({ kind: 'merge' })).toBe('"kind" must be one of "txn", "prepare", "finish", "decide", "prune"');
    expect(refusal({ kind: 'decide', id: 't', outcome: 'maybe' })).toBe('"outcome" must be "committed" or "aborted"');
    expect(refusal({ kind: 'decide', id: '', outcome: 'aborted' })).toBe('"id" must be 1 to 128 printable ASCII characters');
    expect(refusal({ kind: 'finish', id: 't', outcome: 'aborted', extra: 1 })).toBe('finish command: unknown field "extra"');
    expect(refusal({ kind: 'txn', txn: { ops: [] } })).toBe('"ops" must hold at least one operation');
    expect(refusal({ kind: 'prepare', id: 't', part: { ops: [] } })).toBe('"anchor" must name a shard');
    expect(refusal({ kind: 'decide', id: 't', outcome: 'aborted', part: { ops: [{ op: 'get', key: 'k' }] } })).toBe('only a commit decision carries the anchor\'s "part"');
  });

  it('parses prune commands and refuses malformed ones with a reason', () => {
    expect(parseShardCommand({ kind: 'prune', below: 1_700_000_000_000 })).toEqual({ kind: 'prune', below: 1_700_000_000_000 });
    expect(parseShardCommand({ kind: 'prune', below: 20, committedBelow: 10 })).toEqual({ kind: 'prune', below: 20, committedBelow: 10 });
    const refusal = (body: unknown) => {
      try {
        parseShardCommand(body);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidRequestError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const notAWatermark = (field: string) => `"${field}" must be a whole number from 0 to 999999999999999`;
    expect(refusal({ kind: 'prune' })).toBe(notAWatermark('below'));
    expect(refusal({ kind: 'prune', below: '10' })).toBe(notAWatermark('below'));
    expect(refusal({ kind: 'prune', below: -1 })).toBe(notAWatermark('below'));
    expect(refusal({ kind: 'prune', below: 1.5 })).toBe(notAWatermark('below'));
    expect(refusal({ kind: 'prune', below: 1e16 })).toBe(notAWatermark('below'));
    expect(refusal({ kind: 'prune', below: 10, committedBelow: null })).toBe(notAWatermark('committedBelow'));
    expect(refusal({ kind: 'prune', below: 10, committedBelow: 11 })).toBe('"committedBelow" must not be above "below": a committed decision is forgotten only with the rest');
    expect(refusal({ kind: 'prune', below: 10, id: 't' })).toBe('prune command: unknown field "id"');
  });

  it('reads the stamp of a transaction id, and counts an id without one as younger than any watermark', () => {
    const stamped = stampedTxnId(1_700_000_000_123, 'node-with-a-64-character-name-'.padEnd(64, 'x'), '0b7e5c1a-7d8e-4f6a-9b3c-2d1e0f9a8b7c');
    expect(stamped.length).toBeLessThanOrEqual(128);
    expect(parseShardCommand({ kind: 'finish', id: stamped, outcome: 'aborted' })).toMatchObject({ id: stamped });
    expect(txnStampOf(stamped)).toBe(1_700_000_000_123);
    expect(txnStampOf('n1.0b7e5c1a')).toBe(Infinity);
    expect(txnStampOf('12345')).toBe(Infinity);
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

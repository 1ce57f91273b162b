import { describe, expect, it } from 'vitest';
import { participantConfig as config, runParticipant as run, sends } from '../participant-run.ts';
import { compareFailure, lockKeysOf, planOf, recoverParticipant } from '../../../src/protocols/two-phase-commit/index.ts';
import { KvState } from '../../../src/service/kv-state.ts';


/** Commits `ops` as transaction `txn` from coordinator c1. */
function commit(p: ReturnType<typeof run>, txn: string, ops: unknown[]) {
  p.step({ type: 'Prepare', from: 'c1', txn, writes: {}, ops });
  p.step({ type: 'Commit', from: 'c1', txn });
}

describe('the participant with compares and ops (cross-shard transactions)', () => {
  it('a failed compare votes Refused with the service\'s reason and aborts the transaction here', () => {
    const p = run();
    commit(p, 't0', [{ op: 'put', key: 'x', value: 'a' }, { op: 'put', key: 'x', value: 'b' }, { op: 'put', key: 'x', value: 'c' }]);
    expect(p.context.versions).toEqual({ x: 3 });
    const refused = p.step({ type: 'Prepare', from: 'c2', txn: 't1', writes: {}, compare: [{ key: 'x', target: 'version', op: '==', number: 2 }], ops: [{ op: 'put', key: 'x', value: 'd' }] });
    expect(sends(refused.effects)).toEqual([
      ['c2', { type: 'Refused', txn: 't1', reason: 'compare', key: 'x', holder: null, detail: 'compare failed: "x" has version 3, expected == 2' }],
    ]);
    expect(p.context.outcomes.t1).toBe('aborted');
    expect(p.context.locks).toEqual({});
  });

  it('words every compare failure as the service does', () => {
    const committed = { data: { x: 'a' }, versions: { x: 1 } };
    const kv = new KvState();
    kv.apply({ compare: [], ops: [{ op: 'put', key: 'x', value: 'a' }] });
    const compares = [
      { key: 'x', target: 'value', op: '==', value: 'b' },
      { key: 'x', target: 'value', op: '!=', value: 'a' },
      { key: 'y', target: 'value', op: '==', value: 'a' },
      { key: 'x', target: 'version', op: '>', number: 1 },
      { key: 'y', target: 'version', op: '!=', number: 0 },
      { key: 'x', target: 'exists', exists: false },
      { key: 'y', target: 'exists', exists: true },
    ] as const;
    for (const compare of compares) {
      const service = kv.apply({ compare: [compare], ops: [{ op: 'get', key: 'x' }] });
      expect(service.committed).toBe(false);
      expect(`compare failed: ${compareFailure(compare, committed)}`).toBe(service.committed ? '' : service.reason);
    }
    expect(compareFailure({ key: 'x', target: 'version', op: '<', number: 2 }, committed)).toBeUndefined();
    // The service's revision compare counts one shard's transactions: refused, not ignored.
    expect(compareFailure({ key: 'x', target: 'revision', op: '==', number: 1 } as never, committed)).toBe(
      '"x": compare target "revision" is not supported across shards (value, version or exists)',
    );
  });

  it('runs the ops as the service would: gets see earlier puts and deletes, versions count puts, a delete resets them', () => {
    const committed = { data: { x: 'a' }, versions: { x: 4 } };
    const ops = [
      { op: 'get', key: 'x' },
      { op: 'put', key: 'x', value: 'b' },
      { op: 'get', key: 'x' },
      { op: 'delete', key: 'x' },
      { op: 'get', key: 'x' },
      { op: 'put', key: 'x', value: 'c' },
      { op: 'put', key: 'y', value: 'd' },
    ] as const;
    expect(planOf({ writes: {}, ops }, committed)).toEqual({
      writes: { x: 'c', y: 'd' },
      versions: { x: 1, y: 1 },
      results: [
        { key: 'x', found: true, value: 'a', version: 4 },
        { key: 'x', found: true, value: 'b', version: 5 },
        { key: 'x', found: false },
      ],
    });
    expect(lockKeysOf({ writes: { w: 1 }, compare: [{ key: 'z', target: 'exists', exists: true }], ops })).toEqual({ write: ['w', 'x', 'y'], read: ['z'] });
  });

  it('votes Prepared with the read results, persisting them with the shared locks; a repeated Prepare gets the same vote', () => {
    const p = run();
    commit(p, 't0', [{ op: 'put', key: 'x', value: 'a' }]);
    const prepare = { type: 'Prepare', from: 'c2', txn: 't1', writes: {}, compare: [{ key: 'y', target: 'exists', exists: false }], ops: [{ op: 'get', key: 'x' }, { op: 'put', key: 'z', value: 'b' }] };
    const result = p.step(prepare);
    const vote = { type: 'Prepared', txn: 't1', reads: [{ key: 'x', found: true, value: 'a', version: 1 }] };
    expect(sends(result.effects)).toEqual([['c2', vote]]);
    expect(result.effects[0]).toEqual({
      type: 'persist',
      set: { 'prepared/t1': { coordinator: 'c2', writes: { z: 'b' }, reads: ['x', 'y'], versions: { z: 1 }, results: vote.reads } },
    });
    expect(p.context).toMatchObject({ locks: { z: 't1' }, shared: { x: ['t1'], y: ['t1'] } });
    expect(sends(p.step(prepare).effects)).toEqual([['c2', vote]]);
    expect(recoverParticipant(p.durable, config)).toEqual(p.context);
  });

  it('shared locks: readers share a key, a writer is refused beside a reader and a reader beside a writer', () => {
    const p = run();
    p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: {}, ops: [{ op: 'get', key: 'x' }] });
    expect(sends(p.step({ type: 'Prepare', from: 'c2', txn: 't2', writes: {}, compare: [{ key: 'x', target: 'exists', exists: false }], ops: [] }).effects)).toEqual([
      ['c2', { type: 'Prepared', txn: 't2', reads: [] }],
    ]);
    expect(p.context.shared).toEqual({ x: ['t1', 't2'] });
    expect(sends(p.step({ type: 'Prepare', from: 'c1', txn: 't3', writes: {}, ops: [{ op: 'put', key: 'x', value: 'v' }] }).effects)).toEqual([
      ['c1', { type: 'Refused', txn: 't3', reason: 'conflict', key: 'x', holder: 't1' }],
    ]);
    // A blind write is a write too.
    expect(sends(p.step({ type: 'Prepare', from: 'c1', txn: 't4', writes: { x: 'v' } }).effects)).toEqual([
      ['c1', { type: 'Refused', txn: 't4', reason: 'conflict', key: 'x', holder: 't1' }],
    ]);
    p.step({ type: 'Prepare', from: 'c1', txn: 't5', writes: { y: 'v' } });
    expect(sends(p.step({ type: 'Prepare', from: 'c2', txn: 't6', writes: {}, ops: [{ op: 'get', key: 'y' }] }).effects)).toEqual([
      ['c2', { type: 'Refused', txn: 't6', reason: 'conflict', key: 'y', holder: 't5' }],
    ]);
    p.step({ type: 'Abort', from: 'c1', txn: 't1' });
    p.step({ type: 'Abort', from: 'c2', txn: 't2' });
    expect(p.context.shared).toEqual({});
  });

  it('commit applies puts and deletes with their versions, persisted so that recovery restores them', () => {
    const p = run();
    commit(p, 't0', [{ op: 'put', key: 'x', value: 'a' }, { op: 'put', key: 'y', value: 'b' }]);
    p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: { w: 'blind' }, ops: [{ op: 'put', key: 'x', value: 'c' }, { op: 'delete', key: 'y' }] });
    const result = p.step({ type: 'Commit', from: 'c1', txn: 't1' });
    expect(result.effects[0]).toEqual({
      type: 'persist',
      set: { 'outcome/t1': 'committed', 'prepared/t1': null, 'value/w': 'blind', 'version/w': 1, 'value/x': 'c', 'version/x': 2, 'value/y': null, 'version/y': null },
    });
    expect(p.context).toMatchObject({ data: { w: 'blind', x: 'c' }, versions: { w: 1, x: 2 }, locks: {}, shared: {} });
    // A blind write bumps the version as a put does.
    p.step({ type: 'Prepare', from: 'c1', txn: 't2', writes: { x: 'd' } });
    p.step({ type: 'Commit', from: 'c1', txn: 't2' });
    expect(p.context.versions).toEqual({ w: 1, x: 3 });
    expect(recoverParticipant(p.durable, config)).toEqual(p.context);
  });
});

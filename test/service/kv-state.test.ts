import { describe, expect, it } from 'vitest';
import { KvState } from '../../src/service/kv-state.ts';
import { InvalidRequestError, MAX_VALUE_BYTES, parseTxn, txnToJson } from '../../src/service/txn.ts';

const put = (key: string, value: string) => parseTxn({ ops: [{ op: 'put', key, value }] });

describe('KvState: the shard state machine', () => {
  it('counts revisions per changing transaction and versions per key, as etcd does', () => {
    const state = new KvState();
    expect(state.apply(put('a', '1'))).toEqual({ committed: true, revision: 1, results: [{ op: 'put', key: 'a', revision: 1, version: 1 }] });
    expect(state.apply(put('a', '2'))).toMatchObject({ revision: 2, results: [{ version: 2 }] });
    expect(state.apply(parseTxn({ ops: [{ op: 'get', key: 'a' }] }))).toEqual({
      committed: true,
      revision: 2,
      results: [{ op: 'get', key: 'a', found: true, value: '2', revision: 2, version: 2 }],
    });
    // Deleting a missing key changes nothing and does not bump the revision.
    expect(state.apply(parseTxn({ ops: [{ op: 'delete', key: 'zz' }] }))).toEqual({ committed: true, revision: 2, results: [{ op: 'delete', key: 'zz', deleted: false }] });
    expect(state.apply(parseTxn({ ops: [{ op: 'delete', key: 'a' }] }))).toMatchObject({ revision: 3, results: [{ deleted: true }] });
    expect(state.apply(put('a', 'again'))).toMatchObject({ revision: 4, results: [{ version: 1 }] });
  });

  it('applies a transaction all or nothing: a failed compare aborts with its reason and changes nothing', () => {
    const state = new KvState();
    state.apply(put('x', '10'));
    const digest = state.digest();
    const transfer = parseTxn({
      compare: [{ key: 'x', value: '10' }, { key: 'y', exists: true }],
      ops: [{ op: 'put', key: 'x', value: '5' }, { op: 'put', key: 'y', value: '5' }],
    });
    expect(state.apply(transfer)).toEqual({ committed: false, reason: 'compare failed: "y" does not exist' });
    expect(state.digest()).toBe(digest);
    expect(state.apply(parseTxn({ compare: [{ key: 'x', revision: 1, op: '>' }], ops: [{ op: 'get', key: 'x' }] }))).toEqual({
      committed: false,
      reason: 'compare failed: "x" has revision 1, expected > 1',
    });
    expect(state.apply(parseTxn({ compare: [{ key: 'x', value: '9' }], ops: [{ op: 'get', key: 'x' }] }))).toEqual({
      committed: false,
      reason: 'compare failed: "x" has value "10", expected == "9"',
    });
    const ok = state.apply(parseTxn({ compare: [{ key: 'x', version: 1 }, { key: 'y', exists: false }], ops: [{ op: 'put', key: 'y', value: '1' }, { op: 'get', key: 'y' }] }));
    expect(ok).toMatchObject({ committed: true, revision: 2, results: [{ op: 'put' }, { op: 'get', found: true, value: '1' }] });
  });

  it('gives equal digests for equal data and different ones otherwise', () => {
    const a = new KvState();
    const b = new KvState();
    a.apply(put('k', 'v'));
    b.apply(put('k', 'v'));
    expect(a.digest()).toBe(b.digest());
    b.apply(put('k', 'w'));
    expect(a.digest()).not.toBe(b.digest());
  });
});

describe('parseTxn: transactions from untrusted JSON', () => {
  const refusal = (body: unknown) => {
    try {
      parseTxn(body);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      return { message: (error as InvalidRequestError).message, status: (error as InvalidRequestError).status };
    }
    throw new Error('accepted');
  };

  it('says what is wrong with a malformed transaction', () => {
    expect(refusal([])).toMatchObject({ message: 'a transaction is a JSON object with "compare" and "ops" arrays', status: 400 });
    expect(refusal({ ops: [] }).message).toBe('"ops" must hold at least one operation');
    expect(refusal({ ops: [{ op: 'put', key: 'a' }] }).message).toBe('ops[0].value must be a string');
    expect(refusal({ ops: [{ op: 'frob', key: 'a' }] }).message).toBe('ops[0].op must be "get", "put" or "delete"');
    expect(refusal({ ops: [{ op: 'get', key: '' }] }).message).toBe('ops[0].key must not be empty');
    expect(refusal({ ops: [{ op: 'get', key: 'a\u0001' }] }).message).toBe('ops[0].key must not contain control characters');
    expect(refusal({ ops: [{ op: 'get', key: 'a' }], extra: 1 }).message).toBe('transaction: unknown field "extra"');
    expect(refusal({ compare: [{ key: 'a', value: 'x', revision: 1 }], ops: [{ op: 'get', key: 'a' }] }).message).toBe(
      'compare[0] must name exactly one of "value", "revision", "version", "exists"',
    );
    expect(refusal({ compare: [{ key: 'a', value: 'x', op: '<' }], ops: [{ op: 'get', key: 'a' }] }).message).toBe('compare[0]: a value compares with == or != only');
    expect(refusal({ ops: Array.from({ length: 129 }, () => ({ op: 'get', key: 'a' })) }).message).toContain('at most 128');
  });

  it('refuses an oversized value with 413', () => {
    expect(refusal({ ops: [{ op: 'put', key: 'a', value: 'x'.repeat(MAX_VALUE_BYTES + 1) }] })).toEqual({ message: `ops[0].value is ${MAX_VALUE_BYTES + 1} bytes; the limit is ${MAX_VALUE_BYTES}`, status: 413 });
  });

  it('round-trips through the JSON a node forwards', () => {
    const txn = parseTxn({
      compare: [{ key: 'a', value: 'x', op: '!=' }, { key: 'b', revision: 3, op: '<' }, { key: 'c', version: 2 }, { key: 'd', exists: false }],
      ops: [{ op: 'get', key: 'a' }, { op: 'put', key: 'b', value: 'v' }, { op: 'delete', key: 'c' }],
    });
    expect(parseTxn(JSON.parse(JSON.stringify(txnToJson(txn))))).toEqual(txn);
  });
});

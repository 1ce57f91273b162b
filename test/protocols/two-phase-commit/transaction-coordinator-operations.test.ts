import { describe, expect, it } from 'vitest';
import { EMPTY_DURABLE, type Effect, type SendEffect, Stepper } from '../../../src/node/index.ts';
import type { TransactionCoordinatorConfig } from '../../../src/protocols/two-phase-commit/index.ts';
import { transactionCoordinator } from '../../../src/protocols/two-phase-commit/index.ts';

const sends = (effects: readonly Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send').map((e) => [e.to, e.message]);

const config: TransactionCoordinatorConfig = {
  txn: 't1',
  writes: { p1: {}, p2: { w: 'blind' } },
  operations: { p1: { compare: [{ key: 'x', target: 'version', op: '==', number: 0 }], ops: [{ op: 'get', key: 'y' }] } },
  retransmit: false,
  voteTimeoutMs: 1000,
  retryTimeoutMs: 200,
};

describe('the transaction coordinator with compares and ops', () => {
  it('sends each participant its compares and ops, keeps the read results the votes carry, commits once all voted', () => {
    const stepper = new Stepper(transactionCoordinator);
    const started = stepper.start({ id: 'c1', peers: ['p1', 'p2'], durable: EMPTY_DURABLE, config });
    expect(sends(started.effects)).toEqual([
      ['p1', { type: 'Prepare', txn: 't1', writes: {}, compare: config.operations!.p1!.compare, ops: config.operations!.p1!.ops }],
      ['p2', { type: 'Prepare', txn: 't1', writes: { w: 'blind' } }],
    ]);
    const reads = [{ key: 'y', found: true, value: 'v', version: 2 }];
    const voted = stepper.step(started.snapshot, { type: 'Prepared', from: 'p1', txn: 't1', reads } as never);
    expect((voted.snapshot.context as { reads: unknown }).reads).toEqual({ p1: reads });
    const decided = stepper.step(voted.snapshot, { type: 'Prepared', from: 'p2', txn: 't1' } as never);
    expect(decided.snapshot.value).toEqual({ committed: 'announced' });
    expect((decided.snapshot.context as { reads: unknown }).reads).toEqual({ p1: reads });
  });
});

import { describe, expect, it } from 'vitest';
import { participantConfig as config, runParticipant as run, sends } from './participant-run.ts';
import { applyDurableChange, type DurableState, EMPTY_DURABLE, Stepper } from '../../src/node/index.ts';
import type { ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { byDestinationAnd, replicated } from '../../src/protocols/replicated-actor/index.ts';
import type { ParticipantContext } from '../../src/protocols/two-phase-commit/index.ts';
import { participant, recoverParticipant } from '../../src/protocols/two-phase-commit/index.ts';


describe('the key-value participant: many transactions, a lock table, prepare records', () => {
  it('persists the prepare record before voting Prepared, and holds the locks', () => {
    const p = run();
    const result = p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: { x: 1, y: 2 } });
    expect(result.effects.map((e) => e.type)).toEqual(['persist', 'send']);
    expect(result.effects[0]).toEqual({ type: 'persist', set: { 'prepared/t1': { coordinator: 'c1', writes: { x: 1, y: 2 } } } });
    expect(sends(result.effects)).toEqual([['c1', { type: 'Prepared', txn: 't1' }]]);
    expect(p.context.locks).toEqual({ x: 't1', y: 't1' });
  });

  it('refuses a transaction that conflicts with a prepared one, naming the key and its holder', () => {
    const p = run();
    p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: { x: 1 } });
    const refused = p.step({ type: 'Prepare', from: 'c2', txn: 't2', writes: { w: 0, x: 2 } });
    expect(sends(refused.effects)).toEqual([['c2', { type: 'Refused', txn: 't2', reason: 'conflict', key: 'x', holder: 't1' }]]);
    expect(p.context.outcomes).toEqual({ t2: 'aborted' });
    expect(p.context.locks).toEqual({ x: 't1' });
    // Asked again once the lock is free, it still refuses: it has aborted t2.
    p.step({ type: 'Abort', from: 'c1', txn: 't1' });
    expect(sends(p.step({ type: 'Prepare', from: 'c2', txn: 't2', writes: { w: 0, x: 2 } }).effects)).toEqual([
      ['c2', { type: 'Refused', txn: 't2', reason: 'aborted', key: null, holder: null }],
    ]);
  });

  it('commit applies the writes (null deletes) and releases the locks; abort only releases them; both are acknowledged', () => {
    const p = run();
    p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: { x: 1, y: 2 } });
    expect(sends(p.step({ type: 'Commit', from: 'c1', txn: 't1' }).effects)).toEqual([['c1', { type: 'Ack', txn: 't1' }]]);
    expect(p.context).toMatchObject({ data: { x: 1, y: 2 }, locks: {}, prepared: {}, outcomes: { t1: 'committed' } });
    p.step({ type: 'Prepare', from: 'c2', txn: 't2', writes: { x: null, y: 3 } });
    p.step({ type: 'Abort', from: 'c2', txn: 't2' });
    expect(p.context).toMatchObject({ data: { x: 1, y: 2 }, locks: {}, outcomes: { t1: 'committed', t2: 'aborted' } });
    p.step({ type: 'Prepare', from: 'c2', txn: 't3', writes: { x: null } });
    p.step({ type: 'Commit', from: 'c2', txn: 't3' });
    expect(p.context.data).toEqual({ y: 2 });
    // Repeated decisions are acknowledged again and change nothing.
    expect(sends(p.step({ type: 'Commit', from: 'c1', txn: 't1' }).effects)).toEqual([['c1', { type: 'Ack', txn: 't1' }]]);
    expect(p.step({ type: 'Abort', from: 'c1', txn: 't1' }).effects).toEqual([]);
  });

  it('after a crash, rebuilds data, prepare records and the lock table from its durable image', () => {
    const p = run();
    p.step({ type: 'Prepare', from: 'c1', txn: 't1', writes: { x: 1 } });
    p.step({ type: 'Commit', from: 'c1', txn: 't1' });
    p.step({ type: 'Prepare', from: 'c2', txn: 't2', writes: { x: 2, y: 2 } });
    const recovered = recoverParticipant(p.durable, config);
    expect(recovered).toEqual(p.context);
    expect(recovered.locks).toEqual({ x: 't2', y: 't2' });
  });
});

describe('the participant as a replicated actor', () => {
  const directory = { p1: ['p1/1'], c1: ['c1/1'], c2: ['c2/1'] };
  const replica = replicated(participant, { outboxKey: byDestinationAnd('txn') });

  it('keeps one outbox entry per coordinator and transaction; restarted, it re-applies its log and releases what it applies', () => {
    const stepper = new Stepper(replica);
    let durable: DurableState = EMPTY_DURABLE;
    const input = () => ({ id: 'p1/1', peers: [], durable, config: { actor: 'p1', directory, actorPeers: ['c1', 'c2'], actorConfig: config } });
    let snapshot = stepper.start(input()).snapshot;
    for (const event of [
      { type: 'xstate.after.electionTimeout.raft.follower' },
      { type: 'Prepare', from: 'c1/1', txn: 't1', writes: { x: 1 } },
      { type: 'Prepare', from: 'c1/1', txn: 't2', writes: { y: 1 } },
      { type: 'Commit', from: 'c1/1', txn: 't1' },
    ]) {
      const result = stepper.step(snapshot, event);
      for (const effect of result.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
      snapshot = result.snapshot;
    }
    expect(((snapshot.context as ReplicaContext).actor.context as unknown as ParticipantContext).data).toEqual({ x: 1 });
    // Restarted and elected again: its no-op commits the log, re-applied in order, its effects released as leader.
    const restarted = stepper.start(input());
    const elected = stepper.step(restarted.snapshot, { type: 'xstate.after.electionTimeout.raft.follower' });
    expect(sends(elected.effects)).toEqual([
      ['c1/1', { type: 'Prepared', txn: 't1' }],
      ['c1/1', { type: 'Prepared', txn: 't2' }],
      ['c1/1', { type: 'Ack', txn: 't1' }],
    ]);
    expect((elected.snapshot.context as ReplicaContext).outbox).toEqual({
      c1: { '"t1"': [{ type: 'send', to: 'c1', message: { type: 'Ack', txn: 't1' } }], '"t2"': [{ type: 'send', to: 'c1', message: { type: 'Prepared', txn: 't2' } }] },
    });
  });
});

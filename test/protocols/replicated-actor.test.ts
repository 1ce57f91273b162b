import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { applyDurableChange, EMPTY_DURABLE, type DurableState, type Effect, type SendEffect, Stepper } from '../../src/node/index.ts';
import type { AbstractReplicaContext, ReplicaConfig, ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { abstractReplica, byDestinationAnd, outboxEffects, recordInOutbox, replicated } from '../../src/protocols/replicated-actor/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';

const directory = { tm: ['tm/1', 'tm/2', 'tm/3'], rm1: ['rm1/1'], rm2: ['rm2/1'] };
const raft = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
const rmConfig = (): ReplicaConfig => ({ actor: 'rm1', directory, actorPeers: ['tm'], actorConfig: { acknowledge: false }, consensus: raft });
const tmConfig = (): ReplicaConfig => ({
  actor: 'tm',
  directory,
  actorPeers: ['rm1', 'rm2'],
  actorConfig: { commitOnLastVote: true, retransmit: false, voteTimeoutMs: 1000, retryTimeoutMs: 200 },
  consensus: raft,
});
const ELECTION = 'xstate.after.electionTimeout.raft.follower';
const VOTE_TIMEOUT = 'xstate.after.voteTimeout.tm.collecting';

const replicatedRM = replicated(resourceManager);
const replicatedTM = replicated(transactionManager);

function boot(machine: typeof replicatedRM, id: string, config: ReplicaConfig, durable: DurableState = EMPTY_DURABLE) {
  const stepper = new Stepper(machine);
  const start = stepper.start({ id, peers: [], durable, config });
  return { stepper, start, snapshot: start.snapshot };
}

const sends = (effects: readonly Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');

describe('replicated(machine): a replica of a Raft group hosting an actor', () => {
  it('boots as a member with the consensus timer armed and the actor at its first boot, its boot sends held in the outbox', () => {
    const { start } = boot(replicatedTM, 'tm/1', tmConfig());
    const context = start.snapshot.context as ReplicaContext;
    expect(start.snapshot.value).toBe('member');
    expect(start.armed).toEqual([ELECTION]);
    expect(start.effects).toEqual([]);
    expect(context.actor.value).toBe('collecting');
    expect(context.group).toEqual(['tm/2', 'tm/3']);
    expect(outboxEffects(context.outbox).map((e) => (e.type === 'send' ? [e.to, e.message.type] : []))).toEqual([
      ['rm1', 'Prepare'],
      ['rm2', 'Prepare'],
    ]);
  });

  it('a follower proposes nothing: actor input is left to the leader', () => {
    const { stepper, snapshot } = boot(replicatedTM, 'tm/2', tmConfig());
    const step = stepper.step(snapshot, { type: 'Prepared', from: 'rm1/1' });
    expect(step.effects).toEqual([]);
    expect((step.snapshot.context as ReplicaContext).consensus.context).toEqual((snapshot.context as ReplicaContext).consensus.context);
    expect((step.snapshot.context as ReplicaContext).leaderHints).toEqual({ rm1: 'rm1/1' });
  });

  it('a leader orders input through the log, applies it once committed and releases the effects to the sender group', () => {
    const { stepper, snapshot } = boot(replicatedRM, 'rm1/1', rmConfig());
    const elected = stepper.step(snapshot, { type: ELECTION });
    expect(elected.snapshot.value).toBe('leader');
    const prepared = stepper.step(elected.snapshot, { type: 'Prepare', from: 'tm/2' });
    const context = prepared.snapshot.context as ReplicaContext;
    expect(context.actor.value).toBe('prepared');
    expect(context.lastApplied).toBe(1);
    expect(prepared.effects[0]).toEqual({ type: 'persist', append: { log: [{ term: 1, value: '{"from":"tm","type":"Prepare"}' }] } });
    // The sender's replica is the TM's leader as far as this replica knows: the vote goes there alone.
    expect(sends(prepared.effects)).toEqual([{ type: 'send', to: 'tm/2', message: { type: 'Prepared' } }]);
    // A repeated Prepare is not ignored by a prepared RM (it votes again): it is ordered and applied.
    const again = stepper.step(prepared.snapshot, { type: 'Prepare', from: 'tm/2' });
    expect(sends(again.effects)).toEqual([{ type: 'send', to: 'tm/2', message: { type: 'Prepared' } }]);
  });

  it('does not log input the actor would ignore', () => {
    const { stepper, snapshot } = boot(replicatedRM, 'rm1/1', rmConfig());
    const elected = stepper.step(snapshot, { type: ELECTION });
    const aborted = stepper.step(elected.snapshot, { type: 'ChooseToAbort' });
    expect((aborted.snapshot.context as ReplicaContext).actor.value).toBe('aborted');
    const ignored = stepper.step(aborted.snapshot, { type: 'ChooseToAbort' });
    expect(ignored.effects).toEqual([]);
    expect(ignored.snapshot.context).toEqual(aborted.snapshot.context);
  });

  it('a new leader re-sends its outbox and arms the actor timers; losing leadership disarms them', () => {
    const single = { ...tmConfig(), directory: { ...directory, tm: ['tm/1'] } };
    const { stepper, snapshot } = boot(replicatedTM, 'tm/1', single);
    const elected = stepper.step(snapshot, { type: ELECTION });
    expect(sends(elected.effects)).toEqual([
      { type: 'send', to: 'rm1/1', message: { type: 'Prepare' } },
      { type: 'send', to: 'rm2/1', message: { type: 'Prepare' } },
    ]);
    expect(elected.armed).toContain(VOTE_TIMEOUT);
    // The vote timeout is actor input like any other: ordered, then applied (an abort).
    const timedOut = stepper.step(elected.snapshot, { type: VOTE_TIMEOUT });
    expect((timedOut.snapshot.context as ReplicaContext).actor.value).toEqual({ aborted: 'announced' });
    expect(sends(timedOut.effects).map((e) => [e.to, e.message.type])).toEqual([
      ['rm1/1', 'Abort'],
      ['rm2/1', 'Abort'],
    ]);
  });

  it('a restarted replica re-derives the actor by re-applying the committed log, then releases as leader', () => {
    const first = boot(replicatedRM, 'rm1/1', rmConfig());
    let durable: DurableState = EMPTY_DURABLE;
    let snapshot = first.snapshot;
    for (const event of [{ type: ELECTION }, { type: 'Prepare', from: 'tm/1' }]) {
      const step = first.stepper.step(snapshot, event);
      for (const effect of step.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
      snapshot = step.snapshot;
    }
    expect(Object.keys(durable).sort()).toEqual(['currentTerm', 'log', 'votedFor']);
    const restarted = boot(replicatedRM, 'rm1/1', rmConfig(), durable);
    expect((restarted.snapshot.context as ReplicaContext).actor.value).toBe('working');
    const elected = restarted.stepper.step(restarted.snapshot, { type: ELECTION });
    const context = elected.snapshot.context as ReplicaContext;
    // Its log held an entry it had not applied: a no-op of its term commits it (Raft §8).
    expect(context.lastApplied).toBe(2);
    expect(context.actor.value).toBe('prepared');
    expect(sends(elected.effects)).toEqual(directory.tm.map((to) => ({ type: 'send', to, message: { type: 'Prepared' } })));
  });

  it('refuses a replica missing from the directory and delays named by both machines', () => {
    expect(() => boot(replicatedRM, 'rm9/1', rmConfig())).toThrow(/not listed for actor "rm1"/);
    const clashing = setup({ delays: { electionTimeout: 10 } }).createMachine({ id: 'clash', initial: 'idle', states: { idle: {} } });
    expect(() => replicated(clashing)).toThrow(/electionTimeout are named by both/);
  });
});

describe('abstractReplica(machine): state kept across failover, outbox re-sent', () => {
  const abstractTM = abstractReplica(transactionManager);
  const input = (durable: DurableState) => ({ id: 'tm', peers: ['rm1', 'rm2'], durable, config: tmConfig().actorConfig });

  it('persists its whole state before its first sends, and after a failover resumes it and re-sends', () => {
    const stepper = new Stepper(abstractTM);
    const start = stepper.start(input(EMPTY_DURABLE));
    expect(start.effects.map((e) => e.type)).toEqual(['persist', 'send', 'send']);
    let durable = applyDurableChange(EMPTY_DURABLE, start.effects[0] as never);
    const voted = stepper.step(start.snapshot, { type: 'Prepared', from: 'rm1' });
    for (const effect of voted.effects) if (effect.type === 'persist') durable = applyDurableChange(durable, effect);
    // The new leader: the same TM, one vote recorded, its vote timeout armed again, Prepare re-sent.
    const failedOver = stepper.start(input(durable));
    const context = failedOver.snapshot.context as AbstractReplicaContext;
    expect(context.actor.value).toBe('collecting');
    expect((context.actor.context as { prepared: string[] }).prepared).toEqual(['rm1']);
    expect(failedOver.armed).toEqual([VOTE_TIMEOUT]);
    expect(sends(failedOver.effects)).toEqual([
      { type: 'send', to: 'rm1', message: { type: 'Prepare' } },
      { type: 'send', to: 'rm2', message: { type: 'Prepare' } },
    ]);
  });
});

describe('the outbox', () => {
  it('keeps the latest effects per destination and conversation', () => {
    const byTxn = byDestinationAnd('txn');
    const prepared = (txn: string) => ({ type: 'send' as const, to: 'c1', message: { type: 'Prepared', txn } });
    const ack = (txn: string) => ({ type: 'send' as const, to: 'c1', message: { type: 'Ack', txn } });
    let outbox = recordInOutbox({}, [prepared('t1')], byTxn);
    outbox = recordInOutbox(outbox, [prepared('t2')], byTxn);
    outbox = recordInOutbox(outbox, [ack('t1')], byTxn);
    expect(outboxEffects(outbox)).toEqual([ack('t1'), prepared('t2')]);
  });
});

import { describe, expect, it } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { check, type Trace, type TraceStep } from '../../src/checker/index.ts';
import { simulate } from '../../src/checker/simulate.ts';
import { Stepper, type DurableState, type Effect } from '../../src/node/index.ts';
import {
  appliablePrefix,
  highestVotes,
  nextBallotOwned,
  NOOP,
  proposalsFrom,
  replica,
  type ReplicaConfig,
} from '../../src/protocols/multi-paxos/index.ts';
import { AppliedLogsConsistent, AppliedWithoutGaps, chosenBySlot, SlotAgreement, SlotValidity, unionBySlot, valuesBySlot } from '../../spec/replicated-log.ts';
import ignoresVotes from '../../models/multi-paxos/broken/leader-ignores-promised-votes.ts';
import faulty from '../../models/multi-paxos/faulty.ts';
import lossy from '../../models/multi-paxos/lossy.ts';
import large from '../../models/multi-paxos/large.ts';
import { commandNames, multiPaxosModel } from '../../models/multi-paxos/_build.ts';

const defaults = (file: typeof faulty) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

describe('the log rules', () => {
  it('ballots are partitioned among the replicas: round * n + index', () => {
    expect([0, 1, 2].map((index) => nextBallotOwned(-1, index, 3))).toEqual([0, 1, 2]);
    expect(nextBallotOwned(0, 0, 3)).toBe(3);
    expect(nextBallotOwned(2, 1, 3)).toBe(4);
    expect(nextBallotOwned(4, 1, 3)).toBe(7);
  });

  it('a new leader keeps, per slot, the vote of highest ballot, and fills gaps with no-ops', () => {
    const a = [{ ballot: 0, value: 'c1' }, null, { ballot: 1, value: 'c3' }];
    const b = [{ ballot: 2, value: 'c2' }, null, { ballot: 0, value: 'c4' }];
    expect(highestVotes(a, b)).toEqual([{ ballot: 2, value: 'c2' }, null, { ballot: 1, value: 'c3' }]);
    expect(proposalsFrom(highestVotes(a, b))).toEqual(['c2', NOOP, 'c3']);
    expect(highestVotes([null, null], [])).toEqual([]);
  });

  it('commands are applied up to the first slot not known chosen', () => {
    expect(appliablePrefix(['c1', NOOP, null, 'c3'])).toEqual(['c1', NOOP]);
    expect(appliablePrefix([null, 'c2'])).toEqual([]);
  });
});

describe('replicated-log spec', () => {
  it('a command is chosen in a slot when a majority voted for it in one ballot', () => {
    const votes = [
      { acceptor: 'r1', slot: 0, ballot: 0, value: 'c1' },
      { acceptor: 'r2', slot: 0, ballot: 1, value: 'c1' },
      { acceptor: 'r3', slot: 1, ballot: 1, value: 'c2' },
      { acceptor: 'r2', slot: 1, ballot: 1, value: 'c2' },
    ];
    expect(chosenBySlot(votes, 3)).toEqual([[], ['c2']]);
    const chosen = unionBySlot(chosenBySlot(votes, 3), valuesBySlot([['c1', 'c2'], ['c3']]));
    expect(chosen).toEqual([['c1', 'c3'], ['c2']]);
    expect(SlotAgreement(chosen)).toBe(false);
    expect(SlotAgreement([['c1'], [], ['c2']])).toBe(true);
    expect(SlotValidity([['c1'], [NOOP]], ['c1', NOOP])).toBe(true);
    expect(SlotValidity([['c9']], ['c1', NOOP])).toBe(false);
  });

  it('applied logs: no gaps, and prefixes of one another', () => {
    expect(AppliedWithoutGaps(['c1'], ['c1', null, 'c3'])).toBe(true);
    expect(AppliedWithoutGaps(['c1', 'c3'], ['c1', null, 'c3'])).toBe(false);
    expect(AppliedLogsConsistent([['c1', 'c2'], ['c1'], []])).toBe(true);
    expect(AppliedLogsConsistent([['c1', 'c2'], ['c1', 'c3']])).toBe(false);
  });
});

describe('the replica machine', () => {
  const config: ReplicaConfig = { replicas: ['r1', 'r2', 'r3'], leadFirstBallot: true, electionTimeoutMs: 300, heartbeatMs: 100 };
  const stepper = new Stepper(replica);
  const boot = (id: string, durable: DurableState = {}) => stepper.start({ id, peers: config.replicas.filter((r) => r !== id), durable, config });
  const sends = (effects: readonly Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, ...e.message }] : []));
  const run = (snapshot: AnyMachineSnapshot, ...events: AnyEventObject[]) => {
    let result = stepper.step(snapshot, events[0]!);
    for (const event of events.slice(1)) result = stepper.step(result.snapshot, event);
    return result;
  };
  const electionTimeout = { type: 'xstate.after.electionTimeout.replica.serving.following' };

  it('r1 leads ballot 0 from its first boot, having persisted the promise; the others follow', () => {
    const r1 = boot('r1');
    expect(r1.snapshot.value).toEqual({ serving: 'leading' });
    expect(r1.effects).toEqual([{ type: 'persist', set: { promised: 0 } }]);
    const r2 = boot('r2');
    expect(r2.snapshot.value).toEqual({ serving: 'following' });
    expect(r2.armed).toEqual(['xstate.after.electionTimeout.replica.serving.following']);
  });

  it('a restarted r1 follows: it never reuses ballot 0, and campaigns in ballot 3', () => {
    const r1 = boot('r1', { promised: 0, votes: [{ ballot: 0, value: 'c1' }], decided: ['c1'] });
    expect(r1.snapshot.value).toEqual({ serving: 'following' });
    expect(r1.snapshot.context).toMatchObject({ promised: 0, applied: ['c1'], ballot: -1 });
    const campaign = run(r1.snapshot, electionTimeout);
    expect(campaign.snapshot.context.ballot).toBe(3);
    expect(campaign.effects[0]).toEqual({ type: 'persist', set: { promised: 3 } });
    expect(sends(campaign.effects)).toEqual([
      { to: 'r2', type: 'Prepare', ballot: 3 },
      { to: 'r3', type: 'Prepare', ballot: 3 },
    ]);
  });

  it('a new leader proposes the highest-ballot vote per slot and no-ops in the gaps, persisting its own votes first', () => {
    const r2 = boot('r2', { promised: 0, votes: [{ ballot: 0, value: 'c1' }] });
    const led = run(r2.snapshot, electionTimeout, { type: 'Promise', from: 'r3', ballot: 1, votes: [{ ballot: 0, value: 'c9' }, null, { ballot: 0, value: 'c3' }] });
    expect(led.snapshot.value).toEqual({ serving: 'leading' });
    // c1 and c9 were both voted in ballot 0 (impossible in Paxos); the first report is kept on a tie.
    expect(led.snapshot.context.proposals).toEqual(['c1', NOOP, 'c3']);
    expect(led.effects[0]).toEqual({
      type: 'persist',
      set: { promised: 1, votes: [{ ballot: 1, value: 'c1' }, { ballot: 1, value: NOOP }, { ballot: 1, value: 'c3' }] },
    });
    expect(sends(led.effects).filter((m) => m.to === 'r3')).toEqual([
      { to: 'r3', type: 'Accept', ballot: 1, slot: 0, value: 'c1' },
      { to: 'r3', type: 'Accept', ballot: 1, slot: 1, value: NOOP },
      { to: 'r3', type: 'Accept', ballot: 1, slot: 2, value: 'c3' },
    ]);
    // One more vote makes a quorum: the command is chosen, persisted, applied and announced.
    const chosen = run(led.snapshot, { type: 'Accepted', from: 'r3', ballot: 1, slot: 0 });
    expect(chosen.snapshot.context).toMatchObject({ decided: ['c1'], applied: ['c1'] });
    expect(sends(chosen.effects)).toEqual([
      { to: 'r1', type: 'Decide', slot: 0, value: 'c1' },
      { to: 'r3', type: 'Decide', slot: 0, value: 'c1' },
    ]);
  });

  it('an acceptor refuses lower ballots with a Nack; a leader steps down on a higher one', () => {
    const r1 = boot('r1');
    const promised = run(r1.snapshot, { type: 'Prepare', from: 'r3', ballot: 2 });
    expect(promised.snapshot.value).toEqual({ serving: 'following' });
    expect(sends(promised.effects)).toEqual([{ to: 'r3', type: 'Promise', ballot: 2, votes: [] }]);
    const refused = run(promised.snapshot, { type: 'Accept', from: 'r2', ballot: 1, slot: 0, value: 'c2' });
    expect(refused.snapshot.context.votes).toEqual([]);
    expect(sends(refused.effects)).toEqual([{ to: 'r2', type: 'Nack', ballot: 2 }]);
    const deposed = run(r1.snapshot, { type: 'ClientRequest', value: 'c1' }, { type: 'Nack', from: 'r2', ballot: 1 });
    expect(deposed.snapshot.value).toEqual({ serving: 'following' });
    expect(deposed.snapshot.context).toMatchObject({ ballot: -1, proposals: [], votes: [{ ballot: 0, value: 'c1' }] });
  });

  it("a leader's heartbeat reassures followers and resends what may have been lost", () => {
    const r1 = boot('r1');
    const proposed = run(r1.snapshot, { type: 'ClientRequest', value: 'c1' }, { type: 'Accepted', from: 'r2', ballot: 0, slot: 0 }, { type: 'ClientRequest', value: 'c2' });
    const beat = run(proposed.snapshot, { type: 'xstate.after.heartbeatTimeout.replica.serving.leading' });
    expect(beat.armed).toEqual(['xstate.after.heartbeatTimeout.replica.serving.leading']);
    expect(sends(beat.effects).filter((m) => m.to === 'r3')).toEqual([
      { to: 'r3', type: 'Heartbeat', ballot: 0 },
      { to: 'r3', type: 'Accept', ballot: 0, slot: 1, value: 'c2' },
      { to: 'r3', type: 'Decide', slot: 0, value: 'c1' },
    ]);
    const r2 = boot('r2');
    const reassured = run(r2.snapshot, { type: 'Heartbeat', from: 'r1', ballot: 0 });
    expect(reassured.cancelled).toEqual(['xstate.after.electionTimeout.replica.serving.following']);
    expect(reassured.armed).toEqual(['xstate.after.electionTimeout.replica.serving.following']);
    const stale = run(r2.snapshot, { type: 'Prepare', from: 'r3', ballot: 2 }, { type: 'Heartbeat', from: 'r1', ballot: 0 });
    expect(sends(stale.effects)).toEqual([{ to: 'r1', type: 'Nack', ballot: 2 }]);
  });

  it('applies chosen commands in slot order, never past a slot it has not learned', () => {
    const r3 = boot('r3');
    const early = run(r3.snapshot, { type: 'Decide', from: 'r1', slot: 1, value: 'c2' });
    expect(early.snapshot.context).toMatchObject({ decided: [null, 'c2'], applied: [] });
    expect(early.effects).toEqual([{ type: 'persist', set: { decided: [null, 'c2'] } }]);
    const both = run(early.snapshot, { type: 'Decide', from: 'r1', slot: 0, value: 'c1' });
    expect(both.snapshot.context.applied).toEqual(['c1', 'c2']);
  });
});

describe('multi-paxos/faulty: two leader changes, a crash, reordering', () => {
  it('every invariant holds over 158,666 states, and every goal is reached', () => {
    const parameters = defaults(faulty);
    expect(parameters).toEqual({ ballots: 2, crashes: 1, loss: 0, duplication: 0, inFlight: 4 });
    const result = check(faulty.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 158666 });
    expect(faulty.expected(parameters)).toEqual({ verdict: 'ok', distinct: 158666 });
    expect(result.goals).toEqual([
      { name: 'CommandChosen', reached: true },
      { name: 'CommandChosenAfterLeaderChange', reached: true },
      { name: 'TwoCommandsApplied', reached: true },
    ]);
  });

  it('multi-paxos/lossy: a lost message, a duplicated one and a crash, over 306,285 states', () => {
    const parameters = defaults(lossy);
    expect(parameters).toEqual({ ballots: 2, crashes: 1, loss: 1, duplication: 1, inFlight: 3 });
    const result = check(lossy.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 306285 });
    expect(lossy.expected(parameters)).toEqual({ verdict: 'ok', distinct: 306285 });
    expect(result.goals.every((goal) => goal.reached)).toBe(true);
  });

  it('a replica that does not persist its votes is caught within the same bounds, with one crash', () => {
    const forgetsVotes = replica.provide({ actions: { persistVotes: () => {} } });
    const model = multiPaxosModel({
      ...{ replicas: 3, commands: commandNames(2), maxBallot: 2, maxInFlight: 4, network: 'multiset', heartbeat: false },
      requests: (id) => ({ r1: ['c1'], r2: ['c2'] })[id] ?? [],
      faults: { crash: 1 },
      machine: forgetsVotes,
    });
    const result = check(model);
    expect(result.violation?.property).toBe('SlotAgreement');
    const kinds = result.violation!.trace!.steps.map((step) => step.action.kind);
    expect(kinds).toContain('crash');
    expect(kinds).toContain('restart');
  });
});

/** The message a step delivered, if it delivered one of this type. */
const delivered = (step: TraceStep, type: string) => (step.action.kind === 'deliver' && step.action.message.message.type === type ? step.action.message : undefined);

describe('broken: a new leader that ignores the votes reported in promises', () => {
  it('gets a second command chosen in a slot where one was chosen', () => {
    const result = check(ignoresVotes.build({}));
    expect(result.violation?.property).toBe('SlotAgreement');
    const trace: Trace = result.violation!.trace!;
    const { steps } = trace;
    expect(steps).toHaveLength(10);
    // r1, leader of ballot 0, gets c1 decided in slot 0.
    const decided = steps.findIndex((step) => step.changed.some(({ after }) => after.id === 'r1' && (after.context as { decided: unknown[] }).decided[0] === 'c1'));
    expect(decided).toBeGreaterThanOrEqual(0);
    // Then a leader change: a follower's election timeout fires, and a promise reports the vote for c1 in slot 0.
    const campaign = steps.findIndex((step) => step.action.kind === 'timer' && step.action.timer.includes('electionTimeout'));
    expect(campaign).toBeGreaterThan(decided);
    const newLeader = steps[campaign]!.action.node;
    const promise = steps.slice(campaign).map((step) => delivered(step, 'Promise')).find((m) => m?.to === newLeader);
    expect(promise?.message).toMatchObject({ ballot: 1, votes: [{ ballot: 0, value: 'c1' }] });
    // The new leader proposes its own client's c2 in slot 0 anyway, and a second replica votes for it.
    const accept = steps.map((step) => delivered(step, 'Accept')).filter((m) => m?.from === newLeader);
    expect(accept.at(-1)!.message).toEqual({ type: 'Accept', ballot: 1, slot: 0, value: 'c2' });
    const final = Object.fromEntries(trace.final.nodes.map((node) => [node.id, node.context as { votes: unknown[]; decided: unknown[] }]));
    expect(final.r1!.decided[0]).toBe('c1');
    const votesForC2 = Object.values(final).filter((context) => (context.votes[0] as { value?: string } | null)?.value === 'c2');
    expect(votesForC2).toHaveLength(2);
  });
});

describe('multi-paxos/large: seeded simulation', () => {
  it('five replicas, every fault, heartbeats: no walk breaks an invariant, commands are chosen across leader changes', () => {
    expect(large.simulationOnly).toBe(true);
    const result = simulate(large.build(defaults(large)), { seed: 1, walks: 300, depth: 100 });
    expect(result.verdict).toBe('ok');
    expect(result.walks).toBe(300);
    expect(result.longest).toBeLessThanOrEqual(100);
    expect(result.steps).toBeGreaterThan(3000);
    const reached = result.goals.filter((goal) => goal.reached).map((goal) => goal.name);
    expect(reached).toEqual(expect.arrayContaining(['CommandChosen', 'CommandChosenAfterLeaderChange']));
  });
});

import { describe, expect, it } from 'vitest';
import { always, check, type GlobalView, type Model, type NodeDefinition, type NodeView } from '../../src/checker/index.ts';
import { EMPTY_DURABLE, type Effect, type SendEffect, Stepper } from '../../src/node/index.ts';
import { NOOP } from '../../src/protocols/multi-paxos/index.ts';
import type { ActorDirectory, ConsensusProtocol, ReplicaConfig, ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { multiPaxosConsensus, NO_OP, replicated } from '../../src/protocols/replicated-actor/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';
import { blockingHistory, groupProperties, replicaIds } from '../../models/two-phase-over-groups/_build.ts';
import { AppliedLogsConsistent } from '../../spec/replicated-log.ts';

const replicatedTM = replicated(transactionManager, { consensus: multiPaxosConsensus });

/**
 * Deliberately broken, to show the checker catches it: the adapter hands the actor every command
 * its member has learned, skipping slots it has not — not the gap-free prefix of slots 0, 1, 2, …
 * ("Paxos Made Simple" §3: a server executes command i only after 1 .. i - 1). A leader that hears
 * slot 1's votes before slot 0's applies them out of order.
 */
const skipsGaps: ConsensusProtocol = {
  ...multiPaxosConsensus,
  committedSince: (context, from) =>
    (context as unknown as Member['context']).decided
      .filter((command): command is string => command !== null)
      .slice(from)
      .map((command) => (command === NOOP ? NO_OP : command)),
};
const replicatedRM = replicated(resourceManager, { consensus: multiPaxosConsensus });

const ELECTION = 'xstate.after.electionTimeout.replica.serving.following';
const tmConfig = { commitOnLastVote: true, retransmit: false, voteTimeoutMs: 1000, retryTimeoutMs: 200 };
const rmConfig = { acknowledge: false };

/** What the checker and the tests read of a replica's Multi-Paxos member. */
type Member = { value: unknown; context: { ballot: number; promised: number; votes: unknown[]; decided: (string | null)[]; proposals: unknown[]; applied: string[] } };
const memberOf = (node: NodeView) => (node.context as unknown as ReplicaContext).consensus as unknown as Member;

interface Bounds {
  /** Highest ballot a replica may promise (states beyond are checked, not expanded). */
  readonly maxBallot: number;
  /** Most slots a replica's log may mention. */
  readonly maxSlots: number;
  /** Most messages in flight to live replicas. */
  readonly inFlight: number;
}

/**
 * 2PC with the TM hosted by a Multi-Paxos group of three and each of two RMs by a group of one,
 * the 2PC machines unchanged inside (as models/two-phase-over-groups/full.ts does over Raft). A
 * reliable multiset network; tm/1 may crash and stays down. The failover narrowing of the Raft
 * model: tm/1 campaigns once (ballot 0), tm/2 only once tm/1 has crashed (ballot 1), tm/3 never
 * (it votes). Only election timers and the TM's vote timeout fire.
 */
function tmOverMultiPaxos(bounds: Bounds, tmMachine = replicatedTM): Model {
  const rms = ['rm1', 'rm2'];
  const directory: ActorDirectory = { tm: replicaIds('tm', 3), rm1: replicaIds('rm1', 1), rm2: replicaIds('rm2', 1) };
  const everyone = Object.values(directory).flat();
  const node = (actor: string, replica: string): NodeDefinition => {
    const isTM = actor === 'tm';
    const config: ReplicaConfig = { actor, directory, actorPeers: isTM ? rms : ['tm'], actorConfig: isTM ? tmConfig : rmConfig };
    return {
      id: replica,
      machine: isTM ? tmMachine : replicatedRM,
      peers: everyone.filter((other) => other !== replica),
      config,
      spontaneous: isTM ? [] : [{ type: 'ChooseToAbort' }],
      timers: replica === 'tm/3' ? ['voteTimeout'] : isTM ? ['electionTimeout', 'voteTimeout'] : ['electionTimeout'],
    };
  };
  const within = (state: GlobalView) => {
    const live = state.nodes.filter((n) => !n.crashed);
    if (live.some((n) => memberOf(n).context.promised > bounds.maxBallot)) return false;
    if (live.some((n) => Math.max(memberOf(n).context.votes.length, memberOf(n).context.decided.length, memberOf(n).context.proposals.length) > bounds.maxSlots)) return false;
    if (state.messages.filter((m) => !state.node(m.to).crashed).length > bounds.inFlight) return false;
    const [first, second] = [state.node('tm/1'), state.node('tm/2')];
    // tm/1 campaigns once; tm/2 only after tm/1 has crashed.
    if (!first.crashed && memberOf(first).context.promised > 0) return false;
    return first.crashed || memberOf(second).context.ballot === -1;
  };
  const tmLogs = (state: GlobalView) => state.nodes.filter((n) => n.id.startsWith('tm/') && !n.crashed).map((n) => memberOf(n).context.applied);
  return {
    nodes: Object.entries(directory).flatMap(([actor, replicas]) => replicas.map((replica) => node(actor, replica))),
    network: 'multiset',
    faults: { crash: 1, crashable: ['tm/1'], restart: false },
    boundary: within,
    history: blockingHistory(rms),
    properties: [
      // The TM replicas apply the same commands in the same order: each applied log a prefix of another.
      always('TMAppliedLogsConsistent', (state) => AppliedLogsConsistent(tmLogs(state))),
      ...groupProperties(rms),
    ],
  };
}

describe('replicated(machine, { consensus: multiPaxosConsensus }): 2PC TM in a Multi-Paxos group of three', () => {
  const bounds: Bounds = { maxBallot: 1, maxSlots: 3, inFlight: 3 };

  it('keeps the TM replicas agreeing and, after the leader crash-stops, the new leader still finishes the transaction', () => {
    const model = tmOverMultiPaxos(bounds);
    const result = check(model);
    expect(result).toMatchObject({ verdict: 'ok', distinct: 136609 });
    expect(model.properties.map((p) => p.name)).toEqual([
      'TMAppliedLogsConsistent',
      'TCTypeOK',
      'TCConsistent',
      'DecisionConsistent',
      'SomeRMCommits',
      'SomeRMAborts',
      'BlockedRMsDecide',
    ]);
    // BlockedRMsDecide: every RM prepared, tm/1 (the first leader) down before any TM replica
    // decided — where plain 2PC blocks — and tm/2, leading ballot 1, still brings every RM to a decision.
    expect(result.goals).toEqual([
      { name: 'SomeRMCommits', reached: true },
      { name: 'SomeRMAborts', reached: true },
      { name: 'BlockedRMsDecide', reached: true },
    ]);
  });

  it('an adapter that applies learned slots past a gap is caught: a leader commits what its group decided to abort', () => {
    const result = check(tmOverMultiPaxos(bounds, replicated(transactionManager, { consensus: skipsGaps })));
    expect(result.verdict).toBe('violation');
    expect(result.violation).toMatchObject({ property: 'DecisionConsistent', kind: 'always' });
    const steps = result.violation!.trace!.steps.map((step) => step.action);
    expect(steps).toHaveLength(18);
    // tm/2 leads ballot 1 after tm/1 crashed; the vote timeout is ordered in slot 0, rm1's vote in slot 1.
    expect(steps.slice(0, 2)).toEqual([
      { kind: 'crash', node: 'tm/1' },
      { kind: 'timer', node: 'tm/2', timer: ELECTION },
    ]);
    // Slot 1 is chosen before slot 0: the broken leader applies rm1's vote with slot 0 unapplied.
    const accepted = steps.flatMap((step) => (step.kind === 'deliver' && step.message.message.type === 'Accepted' ? [step.message.message.slot] : []));
    expect(accepted).toEqual([1, 0, 2]);
    const final = result.violation!.trace!.final.nodes;
    const actorValue = (id: string) => (final.find((n) => n.id === id)!.context as unknown as ReplicaContext).actor.value;
    // tm/3 applied slot 0 (the timeout: abort); tm/2 applied rm1's and rm2's votes (commit).
    expect(actorValue('tm/3')).toMatchObject({ aborted: expect.anything() });
    expect(actorValue('tm/2')).toMatchObject({ committed: expect.anything() });
  });
});

const sends = (effects: readonly Effect[]) => effects.filter((e): e is SendEffect => e.type === 'send');

describe('multiPaxosConsensus: the adapter', () => {
  it('fills in the group, refuses a mismatched group or a first ballot taken on boot', () => {
    const group = ['tm/1', 'tm/2', 'tm/3'];
    expect(multiPaxosConsensus.configForGroup!(multiPaxosConsensus.defaultConfig, group)).toEqual({
      replicas: group,
      leadFirstBallot: false,
      electionTimeoutMs: 300,
      heartbeatMs: 100,
    });
    expect(() => multiPaxosConsensus.configForGroup!({ replicas: ['tm/2', 'tm/1', 'tm/3'] }, group)).toThrow(/is not the group \[tm\/1, tm\/2, tm\/3\]/);
    expect(() => multiPaxosConsensus.configForGroup!({ leadFirstBallot: true }, group)).toThrow(/leadFirstBallot must be false/);
  });

  it('reads leadership and the chosen gap-free prefix, no-ops as the wrapper\'s NO_OP', () => {
    const context = { votes: [], proposals: [], decided: ['{"type":"A"}', NOOP, '{"type":"B"}', null, '{"type":"C"}'], applied: ['{"type":"A"}', NOOP, '{"type":"B"}'] };
    expect(multiPaxosConsensus.leads({ serving: 'leading' }, context)).toBe(true);
    expect(multiPaxosConsensus.leads({ serving: 'campaigning' }, context)).toBe(false);
    expect(multiPaxosConsensus.committedSince(context, 1)).toEqual([NO_OP, '{"type":"B"}']);
    expect(multiPaxosConsensus.logLength(context)).toBe(5);
    expect(multiPaxosConsensus.propose('{"type":"A"}')).toEqual({ type: 'ClientRequest', value: '{"type":"A"}' });
  });

  it('a replica leads once a quorum promised its ballot: it re-sends the outbox and arms the actor timers', () => {
    const directory = { tm: ['tm/1', 'tm/2', 'tm/3'], rm1: ['rm1/1'], rm2: ['rm2/1'] };
    const stepper = new Stepper(replicatedTM);
    const start = stepper.start({ id: 'tm/2', peers: [], durable: EMPTY_DURABLE, config: { actor: 'tm', directory, actorPeers: ['rm1', 'rm2'], actorConfig: tmConfig } });
    // tm/2 campaigns in ballot 1, the first it owns (ballots go round the group in directory order).
    const campaigning = stepper.step(start.snapshot, { type: ELECTION });
    expect(campaigning.snapshot.value).toBe('member');
    expect(sends(campaigning.effects)).toEqual(['tm/1', 'tm/3'].map((to) => ({ type: 'send', to, message: { type: 'Prepare', ballot: 1 } })));
    const leading = stepper.step(campaigning.snapshot, { type: 'Promise', from: 'tm/3', ballot: 1, votes: [] });
    expect(leading.snapshot.value).toBe('leader');
    expect(sends(leading.effects)).toEqual([
      { type: 'send', to: 'rm1/1', message: { type: 'Prepare' } },
      { type: 'send', to: 'rm2/1', message: { type: 'Prepare' } },
    ]);
    expect(leading.armed).toContain('xstate.after.voteTimeout.tm.collecting');
  });

  it("a new leader re-proposes its predecessor's voted command in its slot and applies it once chosen, with no no-op slot of its own", () => {
    const directory = { tm: ['tm/1', 'tm/2', 'tm/3'], rm1: ['rm1/1'], rm2: ['rm2/1'] };
    const stepper = new Stepper(replicatedTM);
    const start = stepper.start({ id: 'tm/2', peers: [], durable: EMPTY_DURABLE, config: { actor: 'tm', directory, actorPeers: ['rm1', 'rm2'], actorConfig: tmConfig } });
    const campaigning = stepper.step(start.snapshot, { type: ELECTION });
    const vote = '{"from":"rm1","type":"Prepared"}';
    // tm/3 voted in ballot 0 (tm/1's) for rm1's vote in slot 0: tm/2 must propose it again there.
    const leading = stepper.step(campaigning.snapshot, { type: 'Promise', from: 'tm/3', ballot: 1, votes: [{ ballot: 0, value: vote }] });
    expect(leading.snapshot.value).toBe('leader');
    expect(sends(leading.effects).filter((e) => e.message.type === 'Accept')).toEqual(
      ['tm/1', 'tm/3'].map((to) => ({ type: 'send', to, message: { type: 'Accept', ballot: 1, slot: 0, value: vote } })),
    );
    const member = (step: typeof leading) => (step.snapshot.context as ReplicaContext).consensus.context as unknown as Member['context'];
    expect(member(leading).proposals).toEqual([vote]);
    const chosen = stepper.step(leading.snapshot, { type: 'Accepted', from: 'tm/3', ballot: 1, slot: 0 });
    const context = chosen.snapshot.context as ReplicaContext;
    expect(member(chosen).decided).toEqual([vote]);
    expect(context.lastApplied).toBe(1);
    expect((context.actor.context as { prepared: string[] }).prepared).toEqual(['rm1']);
  });

  it('a group of one elects itself, orders each input into the next slot (a repeat too) and the leader releases the effects', () => {
    const directory = { tm: ['tm/1'], rm1: ['rm1/1'] };
    const stepper = new Stepper(replicatedRM);
    const start = stepper.start({ id: 'rm1/1', peers: [], durable: EMPTY_DURABLE, config: { actor: 'rm1', directory, actorPeers: ['tm'], actorConfig: rmConfig } });
    expect(start.armed).toEqual([ELECTION]);
    const elected = stepper.step(start.snapshot, { type: ELECTION });
    expect(elected.snapshot.value).toBe('leader');
    const prepared = stepper.step(elected.snapshot, { type: 'Prepare', from: 'tm/1' });
    expect((prepared.snapshot.context as ReplicaContext).actor.value).toBe('prepared');
    expect(sends(prepared.effects)).toEqual([{ type: 'send', to: 'tm/1', message: { type: 'Prepared' } }]);
    // The replica's own clients' repeats are dropped; an actor's repeated input is ordered again.
    const again = stepper.step(prepared.snapshot, { type: 'Prepare', from: 'tm/1' });
    const context = again.snapshot.context as ReplicaContext;
    expect(context.lastApplied).toBe(2);
    expect((context.consensus.context as unknown as Member['context']).decided).toEqual(['{"from":"tm","type":"Prepare"}', '{"from":"tm","type":"Prepare"}']);
    expect(sends(again.effects)).toEqual([{ type: 'send', to: 'tm/1', message: { type: 'Prepared' } }]);
  });
});

import { describe, expect, it } from 'vitest';
import { always, check, sometimes, type CheckResult, type GlobalView, type Model } from '../../src/checker/index.ts';
import { leader, phase2aValue } from '../../src/protocols/paxos-commit/index.ts';
import { tcommitState } from '../../models/_shared/commit.ts';
import { acceptorIds } from '../../models/paxos-commit/_build.ts';
import { paxosCommitTlaState } from '../../models/paxos-commit/_projection.ts';
import forgetsPromise from '../../models/paxos-commit/broken/acceptor-forgets-promise.ts';
import ignoresReportedVotes from '../../models/paxos-commit/broken/leader-ignores-reported-votes.ts';
import tooFewAcceptors from '../../models/paxos-commit/broken/too-few-acceptors.ts';
import eventuallyDecides from '../../models/paxos-commit/eventually-decides.ts';
import faulty from '../../models/paxos-commit/faulty.ts';
import tla from '../../models/paxos-commit/tla.ts';
import twoPhaseTla from '../../models/two-phase/tla.ts';

const defaults = (file: typeof faulty) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

function expectAllGoalsReached(result: CheckResult) {
  expect(result.goals.length).toBeGreaterThan(0);
  for (const goal of result.goals) expect(goal, goal.name).toMatchObject({ reached: true });
}

const rmsOf = (model: Model) => model.nodes.filter((n) => n.id.startsWith('rm')).map((n) => n.id);
const messagesOf = (state: GlobalView, type: string) => state.messages.filter((e) => e.message.type === type);

describe('the phase 2a value rule (PaxosCommit.tla Phase2a)', () => {
  it('proposes aborted only when no reporter has voted', () => {
    expect(phase2aValue([{ bal: -1, val: 'none' }, { bal: -1, val: 'none' }])).toBe('aborted');
  });
  it('proposes the value voted in the highest ballot reported', () => {
    expect(phase2aValue([{ bal: -1, val: 'none' }, { bal: 0, val: 'prepared' }])).toBe('prepared');
    expect(phase2aValue([{ bal: 0, val: 'prepared' }, { bal: 1, val: 'aborted' }])).toBe('aborted');
  });
  it('rejects a report of a vote without a value', () => {
    expect(() => phase2aValue([{ bal: 0, val: 'none' }])).toThrow(/carries no value/);
  });
});

describe("paxos-commit/tla: the semantics of PaxosCommit.tla", () => {
  // TLC's counts for the same constants, run on PaxosCommit.tla (tlaplus/Examples @ 32a32c7).
  it.each([
    [1, 3, 2, 5145, 1461],
    [2, 1, 2, 1675, 1425],
    [1, 1, 3, 245, 245],
    [3, 1, 1, 392, 302],
  ])('%i RMs, %i acceptors, %i ballots: %i states, which are TLC\'s %i as the spec\'s variables', (rms, acceptors, ballots, distinct, tlc) => {
    const model = tla.build({ rms, acceptors, ballots });
    const specStates = new Set<string>();
    const project = always('ProjectionRecorded', (state) => specStates.add(paxosCommitTlaState(state, rmsOf(model), acceptorIds(acceptors))) !== undefined);
    const result = check({ ...model, properties: [...model.properties, project] });
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(distinct);
    expect(tla.expected({ rms, acceptors, ballots })).toEqual({ verdict: 'ok', distinct });
    expect(specStates.size).toBe(tlc);
    expectAllGoalsReached(result);
  });

  it('the leader keeps what the spec reads off the message set: one report of a majority held', () => {
    const model = tla.build({ rms: 1, acceptors: 3, ballots: 2 });
    const holdsOneReport = sometimes('LeaderHoldsOneReport', (state) => Object.keys(state.node('l1').context.promises).length > 0);
    const result = check({ ...model, properties: [...model.properties, holdsOneReport] });
    expect(result.goals).toContainEqual({ name: 'LeaderHoldsOneReport', reached: true });
  });
});

describe('with one acceptor (F = 0) Paxos Commit is Two-Phase Commit', () => {
  it("the acceptor is the TM's log: written once per RM, and the leader decides as 2PC's TM on it", () => {
    const model = tla.build({ rms: 2, acceptors: 1, ballots: 2 });
    const rms = rmsOf(model);
    const record = (state: GlobalView) => state.node('a1').context.instances as Record<string, { val: string }>;
    const reached = new Set<string>();
    const result = check({
      ...model,
      properties: [
        ...model.properties,
        // The message set keeps every vote ever cast: one value per instance means it never changed.
        always('RecordWrittenOnce', (state) =>
          rms.every((rm) => new Set(messagesOf(state, 'Phase2b').filter((e) => e.message.ins === rm).map((e) => e.message.val)).size <= 1),
        ),
        // TwoPhase.tla's TMCommit: commit only with every RM's Prepared recorded (tmPrepared = RM).
        always('CommitOnEveryPreparedRecorded', (state) => messagesOf(state, 'Commit').length === 0 || rms.every((rm) => record(state)[rm]!.val === 'prepared')),
        always('AbortOnAnAbortRecorded', (state) => messagesOf(state, 'Abort').length === 0 || rms.some((rm) => record(state)[rm]!.val === 'aborted')),
        always('TCommitStatesRecorded', tcommitState(rms), (abstract) => reached.add(JSON.stringify(abstract)) !== undefined),
      ],
    });
    expect(result.verdict).toBe('ok'); // the model's own properties include the refinement of TCommit
    expect(result.distinct).toBe(1675);

    // The same RM outcomes as TwoPhase.tla's: every TCommit state one reaches, the other reaches.
    const twoPhase = twoPhaseTla.build({ rms: 2 });
    const reachedBy2PC = new Set<string>();
    const twoPhaseResult = check({
      ...twoPhase,
      properties: [...twoPhase.properties, always('TCommitStatesRecorded', tcommitState(rms), (abstract) => reachedBy2PC.add(JSON.stringify(abstract)) !== undefined)],
    });
    expect(twoPhaseResult).toMatchObject({ verdict: 'ok', distinct: 56 });
    expect([...reached].sort()).toEqual([...reachedBy2PC].sort());
  });
});

describe('paxos-commit/faulty: crashes of acceptors and the leader, retries', () => {
  it('keeps TCConsistent and refines TCommit; an RM commits while an acceptor is down', () => {
    const parameters = defaults(faulty);
    const result = check(faulty.build(parameters));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(247943);
    expect(faulty.expected(parameters)).toEqual({ verdict: 'ok', distinct: 247943, distinctWithoutSymmetry: 2809015 });
    expectAllGoalsReached(result);
  });

  it('with RMs and acceptors as symmetry sets, and without (at most 5 messages in flight)', () => {
    const model = faulty.build({ ...defaults(faulty), inFlight: 5 });
    expect(check(model)).toMatchObject({ verdict: 'ok', distinct: 30318 });
    expect(check({ ...model, symmetry: [] })).toMatchObject({ verdict: 'ok', distinct: 320175 });
  });

  it('a restarted leader learns the outcome again from the acceptors, in a ballot of its own', () => {
    // One RM: a restarted leader starts its ballot in every instance at once, and one instance keeps that small.
    const model = faulty.build({ ...defaults(faulty), rms: 1 });
    const result = check({
      ...model,
      faults: { ...model.faults, crashable: ['l1'] },
      properties: [
        // Acceptors do not crash here, so the goal of committing while one is down is left out.
        ...model.properties.filter((property) => property.name !== 'CommitWhileAnAcceptorIsDown'),
        // Its one crash spent, the leader is up and committed: it decided after restarting undecided.
        sometimes('CommitAfterLeaderRestart', (state) => state.budgets.crash === 0 && state.node('l1').value === 'committed'),
      ],
    });
    expect(result).toMatchObject({ verdict: 'ok', distinct: 33806 });
    expectAllGoalsReached(result);
  });
});

describe('broken: a leader that proposes Aborted whatever phase 1 reports', () => {
  it('aborts an RM while another commits (TCConsistent), in 13 steps', () => {
    const result = check(ignoresReportedVotes.build({}));
    expect(result.violation?.property).toBe('TCConsistent');
    const steps = result.violation!.trace!.steps.map((step) => step.action);
    expect(steps).toHaveLength(13);
    const at = (predicate: (action: (typeof steps)[number]) => boolean) => steps.findIndex(predicate);
    const isDelivery = (type: string, to?: string) => (a: (typeof steps)[number]) => a.kind === 'deliver' && a.message.message.type === type && (to === undefined || a.node === to);
    // A Commit reaches an RM; later a phase 1b reporting the chosen `prepared` is answered with `aborted` ...
    const commit = at(isDelivery('Commit'));
    const report = at((a) => a.kind === 'deliver' && a.message.message.type === 'Phase1b' && a.message.message.val === 'prepared');
    const abortProposal = at((a) => a.kind === 'deliver' && a.message.message.type === 'Phase2a' && (a.message.message.bal as number) > 0 && a.message.message.val === 'aborted');
    expect(commit).toBeGreaterThanOrEqual(0);
    expect(report).toBeGreaterThan(commit);
    expect(abortProposal).toBeGreaterThan(report);
    // ... and the other leader, learning that outcome, aborts the other RM: the last step.
    expect(steps.at(-1)).toMatchObject({ kind: 'deliver', message: { from: 'l2', message: { type: 'Abort' } } });
    const final = result.violation!.trace!.final.nodes;
    expect(final.filter((n) => n.id.startsWith('rm')).map((n) => n.value).sort()).toEqual(['aborted', 'committed']);
  });

  it('the correct leaders keep TCConsistent in the same two-leader configuration', () => {
    const broken = ignoresReportedVotes.build({});
    const correct = { ...broken, nodes: broken.nodes.map((node) => (node.id.startsWith('l') ? { ...node, machine: leader } : node)) };
    const result = check(correct);
    expect(result).toMatchObject({ verdict: 'ok', distinct: 136425 });
    expectAllGoalsReached(result);
  });
});

describe('broken: an acceptor that forgets its promises on restart', () => {
  it('votes, after a crash, in a ballot below the one it promised: both outcomes are chosen', () => {
    const result = check(forgetsPromise.build({}));
    expect(result.violation?.property).toBe('TCConsistent');
    const steps = result.violation!.trace!.steps.map((step) => step.action);
    expect(steps).toHaveLength(15);
    const crash = steps.findIndex((a) => a.kind === 'crash');
    expect(steps[crash]).toEqual({ kind: 'crash', node: 'a1' });
    expect(steps[crash + 1]).toEqual({ kind: 'restart', node: 'a1' });
    // Before the crash it promised ballot 1 of some instance ...
    const promise = steps.slice(0, crash).find((a) => a.kind === 'deliver' && a.node === 'a1' && a.message.message.type === 'Phase1a');
    expect(promise).toBeDefined();
    const ins = promise!.kind === 'deliver' ? promise!.message.message.ins : undefined;
    // ... and after it, having forgotten, it votes in ballot 0 of that instance.
    const votesAfterRestart = steps
      .slice(crash + 2)
      .flatMap((a) => (a.kind === 'deliver' && a.node === 'a1' && a.message.message.type === 'Phase2a' ? [a.message.message] : []));
    expect(votesAfterRestart).toContainEqual({ type: 'Phase2a', ins, bal: 0, val: 'prepared' });
    const final = result.violation!.trace!.final.nodes;
    expect(final.filter((n) => n.id.startsWith('rm')).map((n) => n.value).sort()).toEqual(['aborted', 'committed']);
  });
});

describe('liveness: every prepared RM eventually decides while one of 2F+1 acceptors crash-stops', () => {
  it('holds with three acceptors, on every fair behaviour within 6 messages in flight', () => {
    const one = check(eventuallyDecides.build({ rms: 1, acceptors: 3, inFlight: 6 }));
    expect(one).toMatchObject({ verdict: 'ok', distinct: 88696 });
    const parameters = defaults(eventuallyDecides);
    expect(parameters).toEqual({ rms: 2, acceptors: 3, inFlight: 6 });
    const result = check(eventuallyDecides.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 824588 });
    expect(eventuallyDecides.expected(parameters)).toEqual({ verdict: 'ok', distinct: 824588 });
    expectAllGoalsReached(result);
  });

  it('fails with two acceptors (2F for F = 1): once one is down, the prepared RM waits forever', () => {
    const result = check(tooFewAcceptors.build({ rms: 1 }));
    expect(result).toMatchObject({ verdict: 'violation', distinct: 1647 });
    expect(result.violation).toMatchObject({ property: 'PreparedRMsEventuallyDecide', kind: 'leadsTo' });
    const trace = result.violation!.trace!;
    // It ends by stuttering: the acceptor crashed, and no fair step is left.
    expect(trace.loopsTo).toBe(trace.steps.length);
    expect(trace.steps.filter((step) => step.action.kind === 'crash')).toHaveLength(1);
    expect(trace.final.nodes.find((n) => n.id === 'rm1')?.value).toBe('prepared');
    expect(tooFewAcceptors.expected({ rms: 1 })).toEqual({ verdict: 'violation', property: 'PreparedRMsEventuallyDecide' });
  });
});

import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/checker/simulate.ts';
import { pair, received } from '../checker/ping-pair.ts';
import { commitProperties } from '../../models/_shared/commit.ts';
import { TWO_PHASE_TLA, twoPhaseModel } from '../../models/two-phase/_build.ts';
import { tmCommitsBeforeAllVote } from '../../src/protocols/two-phase-commit/index.ts';
import { check, whenQuiescent, type ModelFile, type Parameters, type Trace } from '../../src/checker/index.ts';
import { ExplorerSession, PathError } from '../../src/inspect/explorer/explorer-session.ts';
import { describeAction } from '../../src/inspect/trace-text.ts';
import { replayTrace } from '../../src/inspect/explorer/replay.ts';
import { readTraceDocument, TraceDocumentError } from '../../src/inspect/explorer/trace-document.ts';
import faulty from '../../models/two-phase/faulty.ts';
import commitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';

const FAULTY_PARAMETERS = { rms: 2, loss: 1, duplication: 1, crashes: 1, inFlight: 4 };

function session(name: string, file: ModelFile, parameters: Parameters): ExplorerSession {
  return new ExplorerSession({ name, description: file.description, parameters, model: file.build(parameters) });
}

const faultySession = () => session('two-phase/faulty', faulty, FAULTY_PARAMETERS);

/** The path that takes the actions with these labels one after the other. */
function pathOf(explorer: ExplorerSession, labels: readonly string[]): number[] {
  const path: number[] = [];
  for (const label of labels) {
    const actions = explorer.stateReport(path).actions;
    const action = actions.find((candidate) => candidate.label === label);
    if (!action) throw new Error(`"${label}" is not enabled at ${path.join('.')}: ${actions.map((a) => a.label).join(' | ')}`);
    path.push(action.index);
  }
  return path;
}

const TO_COMMIT = ['deliver Prepare tm→rm1', 'deliver Prepare tm→rm2', 'deliver Prepared rm1→tm', 'deliver Prepared rm2→tm'];

/** The shortest counterexample the checker finds in the broken 2PC variant (TM commits after one vote). */
function commitsEarlyTrace(): Trace {
  const result = check(commitsEarly.build({ rms: 3 }));
  expect(result.violation?.property).toBe('TCConsistent');
  return result.violation!.trace!;
}

describe('ExplorerSession', () => {
  it('shows the initial state of two-phase/faulty: nodes, network, budgets, properties and the actions in canonical order', () => {
    const report = faultySession().stateReport([]);
    expect(report.path).toEqual([]);
    expect(report.nodes.map((node) => [node.id, node.state, node.activeStates])).toEqual([
      ['tm', 'collecting', ['tm.collecting']],
      ['rm1', 'working', ['rm.working']],
      ['rm2', 'working', ['rm.working']],
    ]);
    expect(report.nodes[0]).toMatchObject({ crashed: false, durable: { begun: true }, timers: ['voteTimeout'], context: { prepared: [] } });
    expect(report.messages.map((message) => message.label)).toEqual(['Prepare tm→rm1', 'Prepare tm→rm2']);
    expect(report.budgets).toEqual({ loss: 1, duplication: 1, crash: 1 });
    expect(report.insideBoundary).toBe(true);
    expect(report.quiescent).toBe(false);
    expect(report.arrivedBy).toBeUndefined();
    expect(report.properties.map((p) => [p.name, p.kind, p.holds])).toEqual([
      ['TCTypeOK', 'always', true],
      ['TCConsistent', 'always', true],
      ['TCommit', 'refines', true],
      ['SomeRMCommits', 'sometimes', false],
      ['SomeRMAborts', 'sometimes', false],
    ]);
    expect(report.actions.map((action) => `${action.index} ${action.label}`)).toEqual([
      '0 deliver Prepare tm→rm1',
      '1 deliver Prepare tm→rm2',
      '2 tm: timer voteTimeout fires',
      '3 rm1: takes ChooseToAbort',
      '4 rm2: takes ChooseToAbort',
      '5 tm: crashes',
      '6 rm1: crashes',
      '7 rm2: crashes',
      '8 network: loses Prepare tm→rm1',
      '9 network: loses Prepare tm→rm2',
      '10 network: duplicates Prepare tm→rm1',
      '11 network: duplicates Prepare tm→rm2',
    ]);
    expect(report.actions[0]!.outcome).toBe('rm1: working → prepared (persists); sends Prepared rm1→tm');
  });

  it('steps to a commit: the TM is in committed.awaitingAcks, the step that led there is described, goals and budgets follow', () => {
    const explorer = faultySession();
    const path = pathOf(explorer, TO_COMMIT);
    expect(path).toEqual([0, 1, 0, 0]);
    const report = explorer.stateReport(path);
    expect(report.nodes[0]!.activeStates).toEqual(['tm.committed', 'tm.committed.awaitingAcks']);
    expect(report.nodes[0]!.durable).toEqual({ begun: true, decision: 'commit' });
    expect(report.arrivedBy?.label).toBe('deliver Prepared rm2→tm');
    expect(report.arrivedBy?.outcome).toBe('tm: collecting → committed.awaitingAcks, prepared=["rm1","rm2"] (persists); sends Commit tm→rm1, Commit tm→rm2');
    expect(report.messages.map((message) => message.label)).toEqual(['Commit tm→rm1', 'Commit tm→rm2']);

    const committed = explorer.stateReport([...path, 0]);
    expect(committed.nodes[1]!.state).toBe('committed');
    expect(committed.properties.find((p) => p.name === 'SomeRMCommits')?.holds).toBe(true);
    expect(committed.properties.find((p) => p.name === 'TCommit')).toMatchObject({ holds: true, note: "the step here is TCommit's Commit" });

    const crashed = explorer.stateReport(pathOf(explorer, ['tm: crashes']));
    expect(crashed.nodes[0]).toMatchObject({ crashed: true, state: 'crashed', activeStates: [], durable: { begun: true } });
    expect(crashed.budgets.crash).toBe(0);
    expect(crashed.actions.map((action) => action.label)).toContain('tm: restarts from its durable state');
    expect(crashed.actions.map((action) => action.label)).not.toContain('rm1: crashes');
  });

  it('names a state by the same path whatever was explored before (no interned ids in the order)', () => {
    const fresh = faultySession();
    const seasoned = faultySession();
    // Explore another branch first, so that messages and local states are interned in another order.
    seasoned.stateReport(pathOf(seasoned, ['deliver Prepare tm→rm2', 'deliver Prepared rm2→tm', 'rm1: takes ChooseToAbort', 'tm: timer voteTimeout fires']));
    const path = pathOf(fresh, [...TO_COMMIT, 'network: duplicates Commit tm→rm2']);
    expect(seasoned.stateReport(path)).toEqual(fresh.stateReport(path));
  });

  it('refuses a path that leads nowhere, saying which step', () => {
    const explorer = faultySession();
    expect(() => explorer.stateReport([0, 99])).toThrow(PathError);
    expect(() => explorer.stateReport([0, 99])).toThrow('step 2 of the path takes action 99, but that state has actions 0 to 10');
    expect(() => explorer.stateReport([0.5])).toThrow('step 1 of the path takes action 0.5');
  });

  it('marks a state outside the boundary, and judges refinement on the step that led there', () => {
    const explorer = faultySession();
    // Four messages in flight is the boundary's limit (inFlight=4); a fifth leaves it.
    const path = pathOf(explorer, ['tm: timer voteTimeout fires']);
    const report = explorer.stateReport(path);
    expect(report.messages.map((message) => message.label)).toEqual(['Prepare tm→rm1', 'Prepare tm→rm2', 'Abort tm→rm1', 'Abort tm→rm2']);
    expect(report.insideBoundary).toBe(true);
    const beyond = explorer.stateReport(pathOf(explorer, ['tm: timer voteTimeout fires', 'network: duplicates Abort tm→rm1']));
    expect(beyond.messages).toHaveLength(5);
    expect(beyond.insideBoundary).toBe(false);
    expect(beyond.quiescent).toBe(false);
    expect(beyond.properties.find((p) => p.name === 'TCommit')).toMatchObject({ holds: true, note: 'the step here is a stutter of the abstract spec' });
  });
});

describe('refinement', () => {
  it('judges the step into a state: a TCommit step, a stutter, or not a step of TCommit', () => {
    // The broken TM with the TCommit refinement on (the model file leaves it off to reach TCConsistent).
    const model = twoPhaseModel({ ...TWO_PHASE_TLA, rms: 2, tmMachine: tmCommitsBeforeAllVote, properties: (ids) => commitProperties(ids) });
    const explorer = new ExplorerSession({ name: 'tm-commits-early+TCommit', description: '', parameters: {}, model });
    const tcommit = (labels: string[]) => explorer.stateReport(pathOf(explorer, labels)).properties.find((p) => p.name === 'TCommit');
    expect(tcommit([])).toMatchObject({ holds: true, note: "maps to TCommit's initial state" });
    expect(tcommit(['deliver Prepare tm→rm1'])).toMatchObject({ holds: true, note: "the step here is TCommit's Prepare" });
    const decided = ['deliver Prepare tm→rm1', 'deliver Prepared rm1→tm', 'tm: takes DecideCommit'];
    expect(tcommit(decided)).toMatchObject({ holds: true, note: 'the step here is a stutter of the abstract spec' });
    expect(tcommit([...decided, 'deliver Commit tm→rm1'])).toMatchObject({ holds: false, note: 'the step here is not a step of TCommit' });
  });
});

describe('quiescence', () => {
  it('judges whenQuiescent properties only where nothing but faults can happen, as the checker does', () => {
    const model = {
      nodes: pair(2),
      network: 'multiset' as const,
      faults: { loss: 1, crash: 1, crashable: ['a'], restart: false },
      properties: [whenQuiescent('AllReceived', (state) => received(state).length === 2)],
    };
    const explorer = new ExplorerSession({ name: 'ping-pair', description: 'two Pings from a to b', parameters: {}, model });
    const verdict = (path: number[]) => {
      const report = explorer.stateReport(path);
      return [report.quiescent, report.properties[0]!.holds, report.properties[0]!.note];
    };
    expect(verdict([])).toEqual([false, undefined, 'not judged here: more than faults can happen']);
    const delivered = pathOf(explorer, ['deliver Ping {"n":1} a→b', 'deliver Ping {"n":2} a→b']);
    expect(explorer.stateReport(delivered).actions.map((action) => action.label)).toEqual(['a: crashes']);
    expect(verdict(delivered)).toEqual([true, true, 'holds in this quiescent state']);
    const lost = pathOf(explorer, ['network: loses Ping {"n":1} a→b', 'deliver Ping {"n":2} a→b']);
    expect(verdict(lost)).toEqual([true, false, 'fails in this quiescent state']);
  });
});

describe('replaying a trace', () => {
  it('replays the counterexample of two-phase/broken/tm-commits-early step by step onto the model', () => {
    const trace = commitsEarlyTrace();
    const explorer = session('two-phase/broken/tm-commits-early', commitsEarly, { rms: 3 });
    const replay = replayTrace(explorer, { trace, model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 } });
    expect(replay.mismatch).toBeUndefined();
    expect(replay.property).toBe('TCConsistent');
    expect(replay.steps.map((step) => step.label)).toEqual(trace.steps.map((step) => describeAction(step.action)));
    expect(replay.steps[0]!.label).toBe('deliver Prepare tm→rm1');
    expect(replay.path).toHaveLength(trace.steps.length);
    expect(replay.steps.every((step, i) => step.position === replay.path[i])).toBe(true);
    const last = explorer.stateReport(replay.path);
    expect(last.properties.find((p) => p.name === 'TCConsistent')).toMatchObject({ holds: false, note: 'fails here' });
    expect(explorer.traceNodesAt(replay.path)).toEqual(trace.final.nodes);
    expect(last.nodes.map((node) => node.activeStates.at(-1))).toEqual(['tm.committed.announced', 'rm.committed', 'rm.aborted', 'rm.working']);
    // Every state before the last satisfies TCConsistent: the checker's trace is the shortest.
    for (let i = 0; i < replay.path.length; i++) {
      expect(explorer.stateReport(replay.path.slice(0, i)).properties.find((p) => p.name === 'TCConsistent')?.holds).toBe(true);
    }
  });

  it('replays a counterexample found by simulation (unanimous simulate --json) just as well', () => {
    const result = simulate(commitsEarly.build({ rms: 3 }), { seed: 7, walks: 200, depth: 20 });
    expect(result.violation?.property).toBe('TCConsistent');
    const report = JSON.parse(JSON.stringify({ model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 }, result }));
    const document = readTraceDocument(report, 'two-phase/broken/tm-commits-early');
    const explorer = session('two-phase/broken/tm-commits-early', commitsEarly, { rms: 3 });
    const replay = replayTrace(explorer, document);
    expect(replay.mismatch).toBeUndefined();
    expect(replay.path).toHaveLength(result.violation!.trace.steps.length);
    expect(explorer.traceNodesAt(replay.path)).toEqual(result.violation!.trace.final.nodes);
  });

  it('says where a trace leaves the model: another initial state, a step not enabled, a step that leads elsewhere', () => {
    const trace = commitsEarlyTrace();
    const other = replayTrace(faultySession(), { trace, model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 } });
    expect(other.path).toEqual([]);
    expect(other.mismatch?.step).toBe(0);
    expect(other.mismatch?.message).toBe(
      "The trace does not start in this model's initial state: the trace has 4 nodes, this model 3. " +
        'The trace is of two-phase/broken/tm-commits-early (rms=3); this explorer shows two-phase/faulty (rms=2 loss=1 duplication=1 crashes=1 inFlight=4).',
    );

    const explorer = session('two-phase/broken/tm-commits-early', commitsEarly, { rms: 3 });
    const notEnabled: Trace = {
      ...trace,
      steps: [trace.steps[0]!, { ...trace.steps[1]!, action: { kind: 'deliver', node: 'tm', message: { from: 'rm3', to: 'tm', message: { type: 'Prepared' } } } }],
    };
    const stopped = replayTrace(explorer, { trace: notEnabled });
    expect(stopped.path).toHaveLength(1);
    expect(stopped.mismatch).toEqual({ step: 2, message: 'Step 2 (deliver Prepared rm3→tm) is not enabled in this model at that point.' });
    expect(stopped.steps[1]).toEqual({ label: 'deliver Prepared rm3→tm' });

    const first = trace.steps[0]!;
    const elsewhere: Trace = { ...trace, steps: [{ ...first, changed: first.changed.map(({ before, after }) => ({ before, after: { ...after, value: 'aborted' } })) }] };
    const wrong = replayTrace(explorer, { trace: elsewhere });
    expect(wrong.path).toEqual([]);
    expect(wrong.mismatch?.message).toMatch(/^Step 1 \(deliver Prepare tm→rm\d\) leads elsewhere in this model: rm\d is aborted in the trace but prepared here\.$/);
  });
});

describe('readTraceDocument', () => {
  const trace = commitsEarlyTrace();

  it('takes a bare trace, simulate --json output, and check --json output (the run of the explorer model first)', () => {
    expect(readTraceDocument(JSON.parse(JSON.stringify(trace)))).toEqual({ trace });
    const run = { model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 }, result: { verdict: 'violation', violation: { property: 'TCConsistent', trace } } };
    expect(readTraceDocument(run)).toEqual({ trace, model: run.model, parameters: run.parameters });
    const other = { ...run, model: 'two-phase/broken/rm-forgets-vote', parameters: { rms: 2 } };
    const ok = { model: 'two-phase/tla', parameters: { rms: 3 }, result: { verdict: 'ok' } };
    expect(readTraceDocument([ok, other, run], 'two-phase/broken/tm-commits-early').model).toBe('two-phase/broken/tm-commits-early');
    expect(readTraceDocument([ok, other, run], 'two-phase/faulty').model).toBe('two-phase/broken/rm-forgets-vote');
  });

  it('says what is wrong with anything else', () => {
    const fails = (json: unknown, message: string) => {
      expect(() => readTraceDocument(json)).toThrow(TraceDocumentError);
      expect(() => readTraceDocument(json)).toThrow(message);
    };
    fails(42, 'expected a JSON object');
    fails({ hello: 'world' }, 'expected a trace (with "initial" and "steps")');
    fails([{ model: 'two-phase/tla', result: { verdict: 'ok' } }], 'holds no counterexample trace');
    fails({ model: 'x', result: { verdict: 'ok' } }, 'this result has no counterexample trace');
    fails({ steps: [] }, 'the trace has no initial state');
    fails({ ...trace, steps: [{ action: { kind: 'teleport', node: 'tm' }, changed: [] }] }, 'step 1 of the trace has no valid action');
  });
});

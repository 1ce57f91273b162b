import { assign, type NonReducibleUnknown } from 'xstate';
import { describe, expect, it } from 'vitest';
import { check, type Trace, type TraceNode } from '../../src/checker/index.ts';
import { simulate } from '../../src/checker/simulate.ts';
import { Stepper, type NodeInput } from '../../src/node/index.ts';
import type { LogEntry, RaftContext, RaftEvent } from '../../src/protocols/raft/index.ts';
import { compactsUncommitted as compactsUncommittedMachine, leaderCommitsOldTerm, mergeEntries, server, voteNotPersisted as voteNotPersistedMachine } from '../../src/protocols/raft/index.ts';
import type { Servers } from '../../spec/raft.ts';
import {
  ElectionSafety,
  ElectionSafetyEver,
  LeaderCompleteness,
  LeaderCompletenessEver,
  LogMatching,
  logsUpTo,
  NO_HISTORY,
  recordHistory,
  StateMachineSafety,
} from '../../spec/raft.ts';
import lossy from '../../models/raft/lossy.ts';
import figure8 from '../../models/raft/broken/figure-8.ts';
import voteNotPersisted from '../../models/raft/broken/vote-not-persisted.ts';
import fiveServers from '../../models/raft/five-servers.ts';
import { raftModel, serverState } from '../../models/raft/_build.ts';
import threeServers from '../../models/raft/three-servers.ts';
import compaction from '../../models/raft/compaction.ts';
import compactsUncommitted from '../../models/raft/broken/compacts-uncommitted.ts';
import readIndex from '../../models/raft/read-index.ts';
import staleRead from '../../models/raft/broken/stale-read.ts';

const defaults = (file: typeof threeServers) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

const entry = (term: number, value = 'v'): LogEntry => ({ term, value });

describe('the server machine', () => {
  it('stores entries after prevLogIndex, cutting only at a conflict (Figure 2, AppendEntries steps 3–4)', () => {
    const log = [entry(1), entry(2)];
    // A stale or reordered request carrying fewer entries cuts nothing.
    expect(mergeEntries(log, 0, [entry(1)])).toEqual({ log, appended: [] });
    expect(mergeEntries(log, 1, [entry(2), entry(2)])).toEqual({ log: [entry(1), entry(2), entry(2)], appended: [entry(2)] });
    expect(mergeEntries(log, 1, [entry(3)])).toEqual({ log: [entry(1), entry(3)], truncatedAt: 1, appended: [entry(3)] });
  });

  /** A leader of term 3 with an entry of term 1 that one follower of two also stores (matchIndex 1). */
  function leaderWithOldEntry(machine: typeof server) {
    const stepper = new Stepper(machine);
    const input: NodeInput = { id: 's1', peers: ['s2', 's3'], durable: { currentTerm: 2, votedFor: null, log: [entry(1)] }, config: { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 } };
    let snapshot = stepper.start(input).snapshot;
    snapshot = stepper.step(snapshot, { type: 'xstate.after.electionTimeout.raft.follower' }).snapshot;
    snapshot = stepper.step(snapshot, { type: 'RequestVoteResponse', from: 's2', term: 3, voteGranted: true }).snapshot;
    expect(snapshot.value).toEqual({ leader: 'replicating' });
    snapshot = stepper.step(snapshot, { type: 'AppendEntriesResponse', from: 's3', term: 3, success: true, matchIndex: 1 }).snapshot;
    return { stepper, snapshot, context: snapshot.context as RaftContext };
  }

  it('commits only entries of its own term by counting replicas (§5.4.2), then the earlier ones with them', () => {
    const { stepper, snapshot, context } = leaderWithOldEntry(server);
    expect(context.matchIndex.s3).toBe(1);
    expect(context.commitIndex).toBe(0);
    // A client request appends an entry of term 3; once a majority stores it, both commit.
    const appended = stepper.step(snapshot, { type: 'ClientRequest', value: 'w', client: 'c1', requestId: 7 });
    expect(appended.effects[0]).toEqual({ type: 'persist', append: { log: [{ term: 3, value: 'w', client: 'c1', requestId: 7 }] } });
    expect(appended.effects.slice(1).map((e) => e.type)).toEqual(['send', 'send']);
    const committed = stepper.step(appended.snapshot, { type: 'AppendEntriesResponse', from: 's2', term: 3, success: true, matchIndex: 2 });
    expect((committed.snapshot.context as RaftContext).commitIndex).toBe(2);
    // The client is answered, and every follower told the new commitIndex at once.
    expect(committed.effects).toContainEqual({ type: 'reply', client: 'c1', requestId: 7, result: { index: 2, value: 'w' } });
    expect(committed.effects.filter((e) => e.type === 'send').map((e) => e.type === 'send' && e.message.leaderCommit)).toEqual([2, 2]);
  });

  it("Figure 8's broken leader commits the term-1 entry on a majority of replicas alone", () => {
    expect(leaderWithOldEntry(leaderCommitsOldTerm).context.commitIndex).toBe(1);
  });

  it('persists its new term and vote before it asks for votes', () => {
    const stepper = new Stepper(server);
    const booted = stepper.start({ id: 's1', peers: ['s2', 's3'], durable: { currentTerm: 4, votedFor: 's2', log: [entry(4)] }, config: { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 } });
    expect(booted.snapshot.value).toBe('follower');
    expect(booted.snapshot.context).toMatchObject({ currentTerm: 4, votedFor: 's2', log: [entry(4)], commitIndex: 0 });
    const campaign = stepper.step(booted.snapshot, { type: 'xstate.after.electionTimeout.raft.follower' });
    expect(campaign.effects.map((e) => e.type)).toEqual(['persist', 'send', 'send']);
    expect(campaign.effects[0]).toEqual({ type: 'persist', set: { currentTerm: 5, votedFor: 's1' } });
    expect(campaign.effects[1]).toMatchObject({ message: { type: 'RequestVote', term: 5, candidateId: 's1', lastLogIndex: 1, lastLogTerm: 4 } });
  });
});

describe('raft spec', () => {
  const s = (role: Servers[string]['role'], term: number, terms: number[], commitIndex = 0) => ({ role, term, log: terms.map((t) => entry(t)), commitIndex });

  it('ElectionSafety: two leaders of one term', () => {
    expect(ElectionSafety({ a: s('leader', 2, []), b: s('leader', 3, []) })).toBe(true);
    expect(ElectionSafety({ a: s('leader', 2, []), b: s('leader', 2, []) })).toBe(false);
  });

  it('LogMatching: an entry of the same index and term means the same prefix', () => {
    expect(LogMatching({ a: s('follower', 3, [1, 2]), b: s('follower', 3, [1, 3]) })).toBe(true);
    expect(LogMatching({ a: s('follower', 3, [1, 2]), b: s('follower', 3, [2, 2]) })).toBe(false);
  });

  it('LeaderCompleteness and StateMachineSafety: Figure 8 (d), after (c) committed the term-2 entry', () => {
    const c = { s1: s('crashed', 4, [1, 2, 4]), s2: s('follower', 4, [1, 2], 2), s3: s('follower', 4, [1, 2], 2), s4: s('follower', 4, [1]), s5: s('crashed', 3, [1, 3]) };
    expect(LeaderCompleteness(c) && StateMachineSafety(c)).toBe(true);
    const d = { ...c, s5: s('leader', 5, [1, 3]), s3: s('follower', 5, [1, 3], 2) };
    expect(LeaderCompleteness(d)).toBe(false);
    expect(StateMachineSafety(d)).toBe(false);
  });

  it('the history remembers what the servers forgot: a second leader of a term, a committed entry a later leader lacks', () => {
    // s1 leads term 2, then crashes; s2 leads term 2 as well (votes forgotten). No snapshot shows both.
    const first = { s1: s('leader', 2, []), s2: s('follower', 2, []), s3: s('follower', 2, []) };
    const second = { s1: s('crashed', 2, []), s2: s('leader', 2, []), s3: s('follower', 2, []) };
    expect(ElectionSafety(first) && ElectionSafety(second)).toBe(true);
    const elections = recordHistory(recordHistory(NO_HISTORY, first), second);
    expect(elections.elections).toEqual({ 2: { s1: [], s2: [] } });
    expect(ElectionSafetyEver(elections)).toBe(false);
    // s1 commits its term-1 entry and crashes; s2 leads term 2 without it. The snapshot has
    // nobody who knows the entry committed, so only the history sees the loss.
    const committed = { s1: s('leader', 1, [1], 1), s2: s('follower', 1, [1]), s3: s('follower', 1, []) };
    const later = { s1: s('crashed', 1, [1]), s2: s('follower', 2, []), s3: s('leader', 2, []) };
    expect(LeaderCompleteness(later)).toBe(true);
    const history = recordHistory(recordHistory(NO_HISTORY, committed), later);
    expect(history.committed).toEqual({ 1: { '1:v': 1 } });
    expect(LeaderCompletenessEver(history)).toBe(false);
    // A step that adds nothing leaves the very same history: a stutter.
    expect(recordHistory(history, later)).toBe(history);
  });

  it('lists the logs a leader may be elected with', () => {
    expect(logsUpTo(2, 2, ['v']).map((log) => log.map((e) => e.term))).toEqual([[], [1], [2], [1, 1], [1, 2], [2, 2]]);
  });
});

describe('raft/three-servers: exhaustive, in CI', () => {
  it('every property holds over the recorded number of states; every goal is reached', () => {
    const parameters = defaults(threeServers);
    const result = check(threeServers.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 64637 });
    expect(threeServers.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 64637 });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'LaterLeaderHoldsEarlierEntry', reached: true },
      { name: 'CommittedIndirectly', reached: true },
    ]);
  });

  it('raft/lossy: with a lost message, a duplicated one and a crash, over the recorded number of states', () => {
    const parameters = defaults(lossy);
    const result = check(lossy.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 176744 });
    expect(lossy.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 176744 });
    expect(result.goals.every((goal) => goal.reached)).toBe(true);
  });
});

const role = (node: TraceNode) => (node.crashed ? 'crashed' : typeof node.value === 'string' ? node.value : Object.keys(node.value as object)[0]);
const contextOf = (node: TraceNode) => node.context as RaftContext;

describe('Leader Append-Only is checked, not vacuous', () => {
  it('a leader that drops its first entry when it appends another fails the refinement', () => {
    const forgetful = server.provide({
      actions: {
        appendClientEntry: assign<RaftContext, RaftEvent, NonReducibleUnknown, RaftEvent, never>({
          log: ({ context, event }) => [...context.log.slice(1), { term: context.currentTerm, value: event.type === 'ClientRequest' ? event.value! : '' }],
        }),
      },
    });
    const result = check(raftModel({ servers: 3, values: ['v', 'w'], machine: forgetful, bounds: { maxTerm: 1, maxLog: 2, maxInFlight: 3 }, symmetry: true, properties: { leaderAppendOnly: true } }));
    expect(result.violation).toMatchObject({ kind: 'refines' });
    expect(result.violation?.property).toMatch(/^LeaderAppendOnly\(s[123]\)$/);
    expect(result.violation!.trace!.steps.filter((step) => step.action.kind === 'spontaneous')).toHaveLength(2);
  });
});

describe('broken: votedFor not persisted', () => {
  it('a server votes twice in one term across a crash: two leaders of term 1', () => {
    const result = check(voteNotPersisted.build({}));
    expect(result.violation?.property).toBe('ElectionSafety');
    const trace = result.violation!.trace!;
    const actions = trace.steps.map((step) => step.action);
    const crash = actions.findIndex((a) => a.kind === 'crash');
    const voter = actions[crash]!.node;
    expect(actions[crash + 1]).toEqual({ kind: 'restart', node: voter });
    // Before the crash the voter granted one candidate its vote, after it another, in the same term.
    const grants = trace.steps.filter((step) => step.action.kind === 'deliver' && step.action.node === voter && step.sent.some((e) => e.message.type === 'RequestVoteResponse' && e.message.voteGranted));
    expect(grants).toHaveLength(2);
    const candidates = grants.map((step) => (step.action.kind === 'deliver' ? step.action.message.from : ''));
    expect(new Set(candidates).size).toBe(2);
    const leaders = trace.final.nodes.filter((node) => role(node) === 'leader');
    expect(leaders.map((node) => contextOf(node).currentTerm)).toEqual([1, 1]);
    // The durable image the voter restarted from had the term but no vote.
    const restart = trace.steps[crash + 1]!.changed[0]!;
    expect(restart.before.durable).toEqual({ currentTerm: 1 });
  });
});

describe('broken: votedFor not persisted, judged by the history alone', () => {
  it('ElectionSafetyEver: the elections of one term, one of them by a leader that has since crashed or stepped down', () => {
    const result = check(
      raftModel({
        servers: 3,
        values: [],
        machine: voteNotPersistedMachine,
        bounds: { maxTerm: 2, maxLog: 0, maxInFlight: 5 },
        faults: { crash: 1 },
        symmetry: true,
        properties: { overHistory: ['ElectionSafetyEver'] },
      }),
    );
    expect(result.violation?.property).toBe('ElectionSafetyEver');
    const elections = (result.violation!.trace!.final.history as { elections: Record<string, Record<string, unknown>> }).elections;
    expect(Object.values(elections).some((leaders) => Object.keys(leaders).length === 2)).toBe(true);
  });
});

/** Every state of a trace, as its nodes: the initial one, then one after each step. */
function statesOf(trace: Trace): TraceNode[][] {
  let nodes = [...trace.initial.nodes];
  const states = [nodes];
  for (const step of trace.steps) {
    nodes = nodes.map((node) => step.changed.find((change) => change.after.id === node.id)?.after ?? node);
    states.push(nodes);
  }
  return states;
}

/** The index-1 entry term and commitIndex of each running server in a trace state. */
const firstEntries = (state: Trace['final']) =>
  state.nodes.filter((node) => !node.crashed).map((node) => ({ id: node.id, term: contextOf(node).log[0]?.term, commitIndex: contextOf(node).commitIndex }));

describe("broken: Figure 8, a leader that commits an earlier term's entry by counting replicas", () => {
  /**
   * Found by `unanimous simulate raft/broken/figure-8 --seed 7 --walks 100000 --depth 150`: walk
   * 83,198 fails, about seven minutes here with shrinking — too long for CI, so the test replays
   * the shrunk walk from its path (an exhaustive search cannot reach it in seconds; see the model).
   */
  const FOUND = {
    seed: 7,
    depth: 150,
    path: '83197:8:15:23:31:39:47:55:63:71:78:93:90:88:85:85:85:109:87:85:88:95:98:93:93:93:93:96:93:107:124:103:116:112:112:103:103:103:113:119:113:111:125:135:132:136:133:139:134:135:132:132:149:142:142:280:282:276:281:283:330:355:363:369:372:367:326:327:248:245:249:253:264:267:255:263:262:261:264:323:322:328:321:321:326:321:326:322:331:331:329:332:330:329:333:332:333:340:343:339:351:338:340:346:354:360:338:339:339:338:339:340:342:341:343:338:338:354:354:354:361:358:354:354:364:364:365:363:363:363:363:369:363:369:367:377:376:377:394:401:392:395:404:374:371:133:260:269:284:291:291:291:293:292:294:291:291:296:291:292:292:292:293:293:291:370:369:362:362:374:415:404:404:471:429:408:441:423:427:423:473:465:518:415:404:413:412:421:423:427:477:503:487:513:499:514:512:509:509:509:509:545:536:533:533:533:536:547:555:546:547:547:547:550:566:559:559:533:547:537:510:512:513:511:511:569:563:563:594:516:562:543:528:572:556:570:578:568:555:553:571:590:582:475:464:464:437:487:419:418:420:420:418:418:430:427:426:426:426:427:428:427:456:482:483:432:433:430:430:435:458:456:457:454:432:433:435:432:454:462:364:369:364:364:364:365:368:365:292:316:316:324:324:331:335:339:339:377:394:377:382:356:358:373:374:372:371:374:371:372:372:371:371:381:389:389:404:405:405:381:385:383:381:381:381:382:382:381:382:382:381:381:381:381:382:381:382:382:381:408:405:410:407:404:457:434:426:406:405:405:404:427:420:451:466:466:467:470:485:477:474:474:481:484:527:519:562:558:547:557:564:454:419:419:476:452:459:458:466:471:481:482:474:510:498:498:494:506:519:504:504:522:513:535:511:489:505:511:507:511:527:518:518:518:522:518:539:504:506:505:516:512:513:512:513:504:497:510:520:518:523:520:519:522:517:529:524:555:510:503:503:489:520:510:510:510:510:512:489:489:515:529:532:502:508:505:510:502:502:535:540:476:509:508:508:508:527:541:529:529:495:510:480:484:476:479:496:479:248:3:61:56:56:57:48:56:56:63:66:62:67:48:48:63:61:61:61:61:61:61:207:100:128:139:109:101:102:100:100:93:113:109:109:102:108:118:117:135:117:166:168:119:93:93:108:160:161:161:160:161:160:169:159:174:198:212:305:322:321:341:290:295:289:252:281:303:281:353:384:379:386:379:412:382:384:379:379:385:407:404:404:404:408:378:361:356:357:394:391:391:391:391:400:391:391:407:295:400:398:398:399:400:400:398:399:403:399:399:398:407:419:229:269:279:288:283:283:279:279:269:272:275:308:322:318:312:312:337:327:327:331:331:325:326:317:347:335:334:346:350:345:352:349:360:331:356:350:354:352:323:335:334:339:340:344:400:381:399:346:333:357:354:355:356:355:354:355:355:359:359:367:348:386:344:346:348:348:354:348:348:349:352:380:345:377:407:369:351:346:357:344:358',
  };

  it('the replayed counterexample breaks StateMachineSafety in the shape of Figure 8', () => {
    const result = simulate(figure8.build({}), { ...FOUND, walks: 1 });
    expect(result.violation).toMatchObject({ property: 'StateMachineSafety', kind: 'always' });
    const trace = result.violation!.trace;
    const states = statesOf(trace);
    const servers = (nodes: readonly TraceNode[]) => Object.fromEntries(nodes.map((node) => [node.id, serverState({ ...node, value: node.value, context: node.context })]));
    // (c) a leader commits index 1, whose entry is of an earlier term than its own, by counting replicas.
    const oldCommit = states.findIndex((nodes) =>
      nodes.some((node) => role(node) === 'leader' && contextOf(node).commitIndex >= 1 && contextOf(node).log.every((e) => e.term < contextOf(node).currentTerm)),
    );
    expect(oldCommit).toBeGreaterThan(0);
    const committer = states[oldCommit]!.find((node) => role(node) === 'leader' && contextOf(node).commitIndex >= 1)!;
    const committedTerm = contextOf(committer).log[0]!.term;
    // (d) later a leader of a higher term, whose index-1 entry is of a newer term, is elected ...
    const usurper = states
      .slice(oldCommit + 1)
      .flat()
      .find((node) => role(node) === 'leader' && contextOf(node).currentTerm > contextOf(committer).currentTerm);
    expect(usurper).toBeDefined();
    const usurperTerm = contextOf(usurper!).log[0]!.term;
    expect(usurperTerm).toBeGreaterThan(committedTerm);
    // ... and overwrites the committed entry: two servers hold different committed entries at index 1.
    const committed = firstEntries(trace.final).filter((server) => server.commitIndex >= 1);
    expect(new Set(committed.map((server) => server.term))).toEqual(new Set([committedTerm, usurperTerm]));
    // StateMachineSafety held until the last step; LeaderCompleteness, left out of the model, fails before it.
    expect(states.slice(0, -1).every((nodes) => StateMachineSafety(servers(nodes)))).toBe(true);
    const incomplete = states.findIndex((nodes) => !LeaderCompleteness(servers(nodes)));
    expect(incomplete).toBeGreaterThan(oldCommit);
    expect(incomplete).toBeLessThan(states.length - 1);
  });
});

describe('raft/five-servers: simulation', () => {
  it('a fixed seed: no walk breaks a property, entries commit', () => {
    const result = simulate(fiveServers.build(defaults(fiveServers)), { seed: 2024, walks: 150, depth: 120 });
    expect(result.verdict).toBe('ok');
    expect(result.goals.find((goal) => goal.name === 'EntryCommitted')?.reached).toBe(true);
  });
});

describe('raft/compaction: snapshots and InstallSnapshot (thesis ch. 5), exhaustive, in CI', () => {
  it('every property holds over whole logs (snapshot entries included); a snapshot is installed, a server restarts from one', () => {
    const parameters = defaults(compaction);
    const result = check(compaction.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 852977 });
    expect(compaction.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 852977 });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'SnapshotInstalled', reached: true },
      { name: 'RestartFromSnapshot', reached: true },
    ]);
  });

  it('the refinement mapping puts a compacted prefix back in front of the suffix, crashed or not', () => {
    const snapshot = { lastIncludedIndex: 1, lastIncludedTerm: 1, data: '[[1,"v"]]' };
    const running = { id: 's1', crashed: false, value: 'follower', context: { currentTerm: 2, log: [entry(2, 'w')], snapshot: snapshot.data, lastIncludedIndex: 1, commitIndex: 1 }, durable: {}, timers: [] };
    expect(serverState(running)).toEqual({ role: 'follower', term: 2, log: [entry(1), entry(2, 'w')], commitIndex: 1 });
    const crashed = { id: 's1', crashed: true, value: undefined, context: undefined, durable: { currentTerm: 2, snapshot, log: [entry(2, 'w')] }, timers: [] };
    expect(serverState(crashed)).toEqual({ role: 'crashed', term: 2, log: [entry(1), entry(2, 'w')], commitIndex: 0 });
  });
});

describe('broken: a server that compacts entries it has not committed', () => {
  it('two servers apply different entries at one index: StateMachineSafety fails, the compactions beyond commitIndex in the trace', () => {
    const result = check(compactsUncommitted.build({}));
    expect(result.violation).toMatchObject({ property: 'StateMachineSafety', kind: 'always' });
    expect(compactsUncommitted.expected({})).toMatchObject({ verdict: 'violation', property: 'StateMachineSafety' });
    const trace = result.violation!.trace!;
    // Every Compact the trace takes is of an entry its server did not know committed.
    const states = statesOf(trace);
    const compactions = trace.steps.flatMap((step, i) => (step.action.kind === 'spontaneous' && step.action.event.type === 'Compact' ? [{ i, node: step.action.node }] : []));
    expect(compactions.length).toBeGreaterThan(0);
    for (const { i, node } of compactions) {
      const before = states[i]!.find((n) => n.id === node)!;
      expect(contextOf(before).commitIndex).toBeLessThan((trace.steps[i]!.action as unknown as { event: { index: number } }).event.index);
    }
    // In the end two servers know different entries committed at index 1, a snapshot behind each claim.
    const committed = trace.final.nodes.filter((node) => !node.crashed && contextOf(node).commitIndex >= 1);
    const firsts = committed.map((node) => serverState({ ...node, value: node.value, context: node.context }).log[0]);
    expect(new Set(firsts.map((e) => `${e!.term}:${e!.value}`)).size).toBe(2);
    expect(committed.every((node) => contextOf(node).lastIncludedIndex >= 1)).toBe(true);
  });

  it('the same model with the correct server (which compacts committed entries only) is safe', () => {
    const result = check(raftModel({ servers: 3, values: ['v'], bounds: { maxTerm: 2, maxLog: 1, maxInFlight: 4 }, compaction: true, symmetry: true, properties: { invariants: ['ElectionSafety', 'LogMatching', 'StateMachineSafety'] } }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 64010 });
  });

  it('the broken guard alone takes an index the correct one refuses', () => {
    const stepper = new Stepper(compactsUncommittedMachine);
    const booted = stepper.start({ id: 's1', peers: ['s2', 's3'], durable: { currentTerm: 1, votedFor: null, log: [entry(1)] }, config: { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 } });
    const compact = { type: 'Compact', index: 1, snapshot: '[[1,"v"]]' };
    expect(stepper.step(booted.snapshot, compact).snapshot.context).toMatchObject({ lastIncludedIndex: 1, commitIndex: 1, log: [] });
    const correct = new Stepper(server);
    expect(correct.step(correct.start({ id: 's1', peers: ['s2', 's3'], durable: { currentTerm: 1, votedFor: null, log: [entry(1)] }, config: { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 } }).snapshot, compact).effects).toEqual([]);
  });
});

describe('raft/read-index: ReadIndex reads (thesis §6.4), exhaustive, in CI', () => {
  it('every answered read comes after every entry known committed before it was issued, over the recorded number of states', () => {
    const parameters = defaults(readIndex);
    const result = check(readIndex.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 490426 });
    expect(readIndex.expected(parameters)).toMatchObject({ verdict: 'ok', distinct: 490426 });
    expect(result.goals).toEqual([
      { name: 'EntryCommitted', reached: true },
      { name: 'ReadAnswered', reached: true },
    ]);
  });
});

describe('broken: a leader that answers reads without confirming its leadership', () => {
  it('a deposed leader answers with a stale readIndex: LinearizableReads fails', () => {
    const result = check(staleRead.build({}));
    expect(result.violation).toMatchObject({ property: 'LinearizableReads', kind: 'always' });
    expect(staleRead.expected({})).toMatchObject({ verdict: 'violation', property: 'LinearizableReads' });
    const trace = result.violation!.trace!;
    // The last step: a leader of an older term than another leader's answers the read at once.
    const last = trace.steps[trace.steps.length - 1]!;
    expect(last.action).toMatchObject({ kind: 'spontaneous', event: { type: 'ReadRequest' } });
    const answerer = trace.final.nodes.find((node) => node.id === (last.action as { node: string }).node)!;
    const newer = trace.final.nodes.find((node) => role(node) === 'leader' && contextOf(node).currentTerm > contextOf(answerer).currentTerm)!;
    expect(role(answerer)).toBe('leader');
    expect(newer).toBeDefined();
    const [answer] = (answerer.context as { readReplies: { result: { readIndex: number } }[] }).readReplies;
    // It answered below what the newer leader had committed, and no follower had acknowledged its round.
    expect(answer!.result.readIndex).toBeLessThan(contextOf(newer).commitIndex);
    expect(contextOf(answerer).acknowledgedRound).toEqual({});
  });
});

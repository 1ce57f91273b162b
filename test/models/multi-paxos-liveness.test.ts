import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import decidesWithAll from '../../models/multi-paxos/broken/decides-with-all.ts';
import eventuallyDecided from '../../models/multi-paxos/eventually-decided.ts';
import { multiPaxosLivenessModel } from '../../models/multi-paxos/_liveness.ts';

const defaults = (file: typeof eventuallyDecided) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

describe('Multi-Paxos liveness: with an eventually stable leader, a proposed command is eventually decided', () => {
  it('holds on every fair behaviour, cycles included, with r2 deposing r1 and r3 crash-stopping; safety throughout', () => {
    const parameters = defaults(eventuallyDecided);
    expect(parameters).toEqual({ ballots: 3, inFlight: 5 });
    const result = check(eventuallyDecided.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 79300 });
    // Not vacuous: a command is chosen, and chosen again under a later leader (r1 in ballot 3).
    expect(result.goals).toEqual([
      expect.objectContaining({ name: 'CommandChosen', reached: true }),
      expect.objectContaining({ name: 'CommandChosenAfterLeaderChange', reached: true }),
    ]);
    expect(eventuallyDecided.expected(parameters)).toEqual({ verdict: 'ok', distinct: 79300 });
    expect(check(eventuallyDecided.build({ ballots: 3, inFlight: 4 }))).toMatchObject({ verdict: 'ok', distinct: 11948 });
  });

  it('needs its assumption: with r1\'s timer not fair, r2 may lead an empty log for ever while r1 waits', () => {
    const model = multiPaxosLivenessModel({ ballots: 3, inFlight: 4 });
    const result = check({ ...model, fairness: { weak: ['deliver'] } });
    expect(result.violation).toMatchObject({ property: 'ProposedCommandEventuallyDecided', kind: 'leadsTo' });
    const trace = result.violation!.trace!;
    expect(trace.steps.some((step) => step.action.kind === 'timer' && step.action.node === 'r2')).toBe(true);
    expect(trace.final.nodes.find((node) => node.id === 'r2')!.value).toEqual({ serving: 'leading' });
  });

  it('fails for a leader that decides only what every replica voted for: once r3 is down nothing is decided, for ever', () => {
    const result = check(decidesWithAll.build({}));
    expect(result).toMatchObject({ verdict: 'violation', distinct: 62652 });
    expect(result.violation).toMatchObject({ property: 'ProposedCommandEventuallyDecided', kind: 'leadsTo' });
    const trace = result.violation!.trace!;
    // It ends by stuttering: r3 crashed, r2 voted, and no fair step is left.
    expect(trace.loopsTo).toBe(trace.steps.length);
    expect(trace.steps.map((step) => step.action.kind)).toEqual(['spontaneous', 'deliver', 'deliver', 'crash']);
    const r1 = trace.final.nodes.find((node) => node.id === 'r1')!;
    expect([r1.value, (r1.context as { decided: unknown[] }).decided]).toEqual([{ serving: 'leading' }, []]);
    expect(decidesWithAll.expected({})).toEqual({ verdict: 'violation', property: 'ProposedCommandEventuallyDecided' });
  });
});

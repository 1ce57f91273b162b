import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import commitsWithAll from '../../models/raft/broken/commits-with-all.ts';
import eventuallyCommits from '../../models/raft/eventually-commits.ts';

const defaults = (file: typeof eventuallyCommits) => Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, p.default]));

describe('Raft liveness: with an eventually stable leader, its entry is eventually committed', () => {
  it('holds on every fair behaviour, cycles included, with s3 crash-stopping at any moment; safety throughout', () => {
    const parameters = defaults(eventuallyCommits);
    expect(parameters).toEqual({ terms: 3, inFlight: 5 });
    const result = check(eventuallyCommits.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 66732 });
    // Not vacuous: the entry does commit (and the leadsTo's P is met on the way).
    expect(result.goals).toEqual([expect.objectContaining({ name: 'EntryCommitted', reached: true })]);
    expect(eventuallyCommits.expected(parameters)).toEqual({ verdict: 'ok', distinct: 66732 });
    expect(check(eventuallyCommits.build({ terms: 3, inFlight: 4 }))).toMatchObject({ verdict: 'ok', distinct: 10976 });
  });

  it('fails for a leader that commits only what every server stores: once s3 is down nothing commits, for ever', () => {
    const result = check(commitsWithAll.build({}));
    expect(result).toMatchObject({ verdict: 'violation' });
    expect(result.violation).toMatchObject({ property: 'LeaderEntryEventuallyCommitted', kind: 'leadsTo' });
    const trace = result.violation!.trace!;
    // It ends by stuttering: s3 crashed, s2 holds the entry, and no fair step is left.
    expect(trace.loopsTo).toBe(trace.steps.length);
    expect(trace.steps.filter((step) => step.action.kind === 'crash')).toHaveLength(1);
    const s1 = trace.final.nodes.find((node) => node.id === 's1')!;
    expect([s1.value, (s1.context as { commitIndex: number }).commitIndex]).toEqual([{ leader: 'replicating' }, 0]);
    expect(commitsWithAll.expected({})).toEqual({ verdict: 'violation', property: 'LeaderEntryEventuallyCommitted' });
  });
});

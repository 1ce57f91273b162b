import { describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { simulate } from '../../src/checker/simulate.ts';
import { commitPoint, deliverUpTo } from '../../src/protocols/zab/index.ts';
import { Agreement, GlobalPrimaryOrder, Integrity, LocalPrimaryOrder, OnePrimaryPerEpoch, PrimaryIntegrity, TotalOrder } from '../../spec/zab.ts';
import acksUnlogged from '../../models/zab/broken/follower-acks-unlogged-proposal.ts';
import faulty from '../../models/zab/faulty.ts';
import large from '../../models/zab/large.ts';

const t = (epoch: number, counter: number, value = 'x') => ({ epoch, counter, value });
const defaults = (file: { parameters: Record<string, { default: number }> }) =>
  Object.fromEntries(Object.entries(file.parameters).map(([name, p]) => [name, p.default]));

describe('spec/zab: the properties of Junqueira, Reed and Serafini, Section III', () => {
  it('Agreement and TotalOrder: deliveries are prefixes of one another', () => {
    expect(Agreement([[t(1, 1)], [t(1, 1), t(1, 2)], []])).toBe(true);
    expect(Agreement([[t(1, 1)], [t(2, 1)]])).toBe(false);
    expect(TotalOrder([[t(1, 1), t(1, 2)], [t(1, 2)]])).toBe(false);
    expect(TotalOrder([[t(1, 1), t(1, 2)], [t(1, 1)]])).toBe(true);
  });
  it('Integrity: only what some primary broadcast is delivered', () => {
    expect(Integrity([[t(1, 1)]], [[t(1, 1)], []])).toBe(true);
    expect(Integrity([[t(1, 1, 'y')]], [[t(1, 1)]])).toBe(false);
  });
  it('primary order: local (per primary), global (by epoch), primary integrity', () => {
    expect(LocalPrimaryOrder([[t(1, 2)]], [[t(1, 1), t(1, 2)]])).toBe(false);
    expect(LocalPrimaryOrder([[t(1, 1), t(1, 2)]], [[t(1, 1), t(1, 2)]])).toBe(true);
    expect(GlobalPrimaryOrder([[t(2, 1), t(1, 1)]])).toBe(false);
    expect(PrimaryIntegrity([{ epoch: 2, delivered: [] }], [[t(1, 1)]])).toBe(false);
    expect(PrimaryIntegrity([{ epoch: 2, delivered: [t(1, 1)] }], [[t(1, 1)], [t(2, 1)]])).toBe(true);
    expect(OnePrimaryPerEpoch([[t(1, 1)], [t(1, 2)]])).toBe(false);
  });
});

describe('the peer: commit point and delivery', () => {
  it('commits what a quorum holds, the leader included', () => {
    const leader = { currentEpoch: 2, history: [t(1, 1), t(2, 1), t(2, 2)], peers: ['p2', 'p3'] };
    expect(commitPoint({ ...leader, acked: { p2: null } })).toBeNull();
    expect(commitPoint({ ...leader, acked: { p2: { epoch: 2, counter: 0 }, p3: null } })).toEqual({ epoch: 2, counter: 0 });
    expect(commitPoint({ ...leader, acked: { p2: { epoch: 2, counter: 1 }, p3: { epoch: 2, counter: 2 } } })).toEqual({ epoch: 2, counter: 2 });
  });
  it('delivers the history after what it delivered, up to the commit', () => {
    expect(deliverUpTo([t(1, 1), t(2, 1), t(2, 2)], [t(1, 1)], { epoch: 2, counter: 1 })).toEqual([t(1, 1), t(2, 1)]);
  });
});

describe('zab/faulty: 3 peers, a crash, 2 epochs, 2 broadcasts', () => {
  it('every property holds over 14,675 states; a value is delivered everywhere; epoch 2 delivers', () => {
    const parameters = defaults(faulty);
    const result = check(faulty.build(parameters));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 14675 });
    expect(faulty.expected(parameters)).toEqual({ verdict: 'ok', distinct: 14675, distinctWithoutSymmetry: 87547 });
    expect(result.goals).toEqual([
      { name: 'DeliveredEverywhere', reached: true },
      { name: 'SecondEpochDelivers', reached: true },
    ]);
  });
});

describe('broken: a follower that acknowledges a proposal it did not persist', () => {
  it('is caught: the next primary misses a delivered transaction', () => {
    const result = check(acksUnlogged.build({}));
    expect(result.verdict).toBe('violation');
    expect(result.violation?.property).toBe('PrimaryIntegrity');
    const steps = result.violation!.trace!.steps;
    const crash = steps.findIndex((step) => step.action.kind === 'crash');
    const victim = steps[crash]!.action.node;
    // Before the crash the victim acknowledged the proposal (1,1) ...
    expect(
      steps.slice(0, crash).some((s) => s.action.kind === 'deliver' && s.action.node === victim && s.action.message.message.type === 'Proposal'),
    ).toBe(true);
    expect(steps.slice(0, crash).some((s) => s.sent.some((m) => m.from === victim && m.message.type === 'Ack'))).toBe(true);
    // ... and came back without it: it reports an empty history for epoch 2.
    expect(steps[crash + 1]!.action).toEqual({ kind: 'restart', node: victim });
    const report = steps.slice(crash + 2).flatMap((s) => s.sent).find((m) => m.from === victim && m.message.type === 'AckEpoch');
    expect(report?.message).toMatchObject({ epoch: 2, history: [] });
    const final = result.violation!.trace!.final.nodes.map((n) => n.context as { leader: string | null; currentEpoch: number; committed: unknown; delivered: unknown[] });
    expect(final.some((c) => c.currentEpoch === 1 && c.delivered.length === 1)).toBe(true);
    expect(final.some((c, i) => c.leader === result.violation!.trace!.final.nodes[i]!.id && c.currentEpoch === 2 && c.committed !== null && c.delivered.length === 0)).toBe(true);
  });

  it('without PrimaryIntegrity, Agreement fails: two peers deliver different first transactions', () => {
    const model = acksUnlogged.build({});
    const result = check({ ...model, properties: model.properties.filter((p) => p.name !== 'PrimaryIntegrity') });
    expect(result.violation?.property).toBe('Agreement');
    const delivered = result.violation!.trace!.final.nodes.map((n) => (n.context as { delivered: { epoch: number }[] } | undefined)?.delivered?.[0]?.epoch);
    expect(delivered).toContain(1);
    expect(delivered).toContain(2);
  });
});

describe('zab/large: simulation', () => {
  it('fixed seed: no walk breaks a property', () => {
    expect(large.simulationOnly).toBe(true);
    const result = simulate(large.build(defaults(large)), { seed: 7, walks: 200, depth: 80 });
    expect(result.verdict).toBe('ok');
    expect(result.walks).toBe(200);
    expect(result.distinct).toBeGreaterThan(1000);
  });
});

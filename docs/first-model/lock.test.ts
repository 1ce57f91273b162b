import { check } from 'unanimous';
import { describe, expect, it } from 'vitest';
import broken from './lock-broken.ts';
import lock from './lock.ts';

describe('the lock server', () => {
  it('keeps mutual exclusion in every one of its 39 states with two clients', () => {
    const result = check(lock.build({ clients: 2 }));
    expect(result).toMatchObject({ verdict: 'ok', distinct: 39, depth: 10 });
    expect(result.goals).toEqual([{ name: 'SomeoneHolds', reached: true }]);
  });

  it('granting a held lock breaks it, after 6 steps', () => {
    const result = check(broken.build({}));
    expect(result.verdict).toBe('violation');
    expect(result.violation?.property).toBe('MutualExclusion');
    expect(result.violation?.trace?.steps).toHaveLength(6);
    expect(result.depth).toBe(7);
  });
});

import { describe, expect, it } from 'vitest';
import { attempt, outcomeOf } from '../../src/nemesis/workloads/outcome.ts';

/** How the workloads read the API's answers into ok / fail / info (the statuses of http-api.ts). */
describe('outcomes of requests', () => {
  it.each([
    [200, { key: 'k', value: 'v' }, 'ok'],
    [404, { error: 'key not found', key: 'k' }, 'ok'],
    [409, { committed: false, reason: 'compare failed: …' }, 'fail'],
    [503, { error: 'shard s0 has no reachable leader right now', retryable: true }, 'fail'],
    [503, { error: 'no outcome within 5000 ms', outcome: 'unknown' }, 'info'],
    [503, { error: 'committed, but shard s1 has not confirmed', outcome: 'committed' }, 'info'],
    [400, { error: 'bad request' }, 'fail'],
    [429, { error: 'too many requests' }, 'fail'],
    [404, { error: 'no route GET /x' }, 'fail'],
    [500, { error: 'internal error: …' }, 'info'],
    [502, { error: 'node n2 answered 502' }, 'info'],
  ] as const)('%i %j is %s', (status, body, type) => {
    expect(outcomeOf({ status, body }).type).toBe(type);
  });

  it('a connection refused is fail (nothing was sent); a timeout or a reset is info', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect((await attempt(() => Promise.reject(refused))).type).toBe('fail');
    expect((await attempt(() => Promise.reject(reset))).type).toBe('info');
    expect((await attempt(() => Promise.reject(new Error('no answer within 6000 ms')))).type).toBe('info');
  });
});

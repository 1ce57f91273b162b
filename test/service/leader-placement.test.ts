import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTLE_MS, LeaderPlacement } from '../../src/service/leader-placement.ts';
import type { ShardReplica, TransferOutcome } from '../../src/service/shard-replica.ts';
import { recordingLogger } from '../runtime/helpers.ts';

/** A replica that leads or not, and answers transfers as told. */
function replica(shard: string, leads: boolean, answer: () => TransferOutcome) {
  const asked: string[] = [];
  const fake = { shard, isLeader: () => leads, transferLeadership: async (to: string) => (asked.push(to), answer()) };
  return { asked, replica: fake as unknown as ShardReplica };
}
const settled = () => new Promise((resolve) => setImmediate(resolve));
const moved = (leader: string): TransferOutcome => ({ transferred: true, leader, term: 2 });
const failed: TransferOutcome = { transferred: false, status: 503, error: 'transfer timed out', leader: 'n1' };

describe('LeaderPlacement: shard leaders moved to their preferred replicas', () => {
  const preferred: Record<string, string> = { s0: 'n1', s1: 'n2', s2: 'n3' };

  it('asks a transfer for each shard led here whose preferred leader is another node, and none for the rest', async () => {
    const s0 = replica('s0', true, () => moved('n1'));
    const s1 = replica('s1', true, () => moved('n2'));
    const s2 = replica('s2', false, () => moved('n3'));
    const placement = new LeaderPlacement('n1', () => [s0.replica, s1.replica, s2.replica], (shard) => preferred[shard]!, { logger: recordingLogger() });
    placement.tick(1_000_000);
    placement.tick(1_000_000 + DEFAULT_SETTLE_MS);
    await settled();
    expect([s0.asked, s1.asked, s2.asked]).toEqual([[], ['n2'], []]);
  });

  it('hands a leadership over only once it has led the shard for the settle time, counted again after losing it', async () => {
    let leads = true;
    const asked: string[] = [];
    const s1 = { shard: 's1', isLeader: () => leads, transferLeadership: async (to: string) => (asked.push(to), moved(to)) } as unknown as ShardReplica;
    const placement = new LeaderPlacement('n1', () => [s1], (shard) => preferred[shard]!, { logger: recordingLogger() });
    placement.tick(0);
    placement.tick(DEFAULT_SETTLE_MS - 1);
    await settled();
    expect(asked).toEqual([]);
    leads = false;
    placement.tick(DEFAULT_SETTLE_MS);
    leads = true;
    placement.tick(DEFAULT_SETTLE_MS + 1);
    placement.tick(2 * DEFAULT_SETTLE_MS);
    await settled();
    expect(asked).toEqual([]);
    placement.tick(2 * DEFAULT_SETTLE_MS + 1);
    await settled();
    expect(asked).toEqual(['n2']);
  });

  it('backs off after a failed transfer, doubling, and not while one is under way', async () => {
    let now = 1_000_000;
    const s1 = replica('s1', true, () => failed);
    const placement = new LeaderPlacement('n1', () => [s1.replica], (shard) => preferred[shard]!, { logger: recordingLogger(), settleMs: 0 });
    placement.tick(now);
    placement.tick(now); // the first is still under way
    await settled();
    expect(s1.asked).toHaveLength(1);
    placement.tick((now += 5_000));
    await settled();
    expect(s1.asked).toHaveLength(1);
    // The real clock decides the backoff's start; well past 10 s it is tried again, then waits 20 s.
    placement.tick(Date.now() + 10_001);
    await settled();
    expect(s1.asked).toHaveLength(2);
    placement.tick(Date.now() + 10_001);
    await settled();
    expect(s1.asked).toHaveLength(2);
    placement.tick(Date.now() + 20_001);
    await settled();
    expect(s1.asked).toHaveLength(3);
  });
});

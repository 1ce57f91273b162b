import { describe, expect, it } from 'vitest';
import { ConfigError, parseClusterConfig } from '../../src/service/cluster-config.ts';
import { SlowDisk } from '../../src/service/slow-disk.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('the slow disk of the slow-fsync fault', () => {
  it('blocks each commit for its delay while SIGUSR2 has switched it on, and not otherwise', () => {
    const disk = new SlowDisk(60, quiet);
    try {
      const timed = () => {
        const start = performance.now();
        disk.beforeCommit();
        return performance.now() - start;
      };
      expect(timed()).toBeLessThan(30);
      process.emit('SIGUSR2');
      expect(timed()).toBeGreaterThanOrEqual(55);
      process.emit('SIGUSR2');
      expect(timed()).toBeLessThan(30);
    } finally {
      disk.close();
    }
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('is a test-only config field with a bounded delay', () => {
    const valid = {
      self: 'n1',
      dataDir: '/tmp/x',
      clusterSecret: 'a-secret-of-16-chars-or-more',
      nodes: [{ id: 'n1', host: '127.0.0.1', raftPort: 7001, httpPort: 7000 }],
      shards: [{ id: 's0', replicas: ['n1'] }],
    };
    expect(parseClusterConfig({ ...valid, slowDiskForTesting: 200 }).slowDiskForTesting).toBe(200);
    expect(() => parseClusterConfig({ ...valid, slowDiskForTesting: 0 })).toThrow(ConfigError);
    expect(() => parseClusterConfig({ ...valid, slowDiskForTesting: 60_000 })).toThrow('slowDiskForTesting must be a whole number of milliseconds from 1 to 10000, not 60000');
  });
});

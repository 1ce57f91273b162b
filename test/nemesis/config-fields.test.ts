import { describe, expect, it } from 'vitest';
import { ConfigError, parseClusterConfig } from '../../src/service/cluster-config.ts';

/** The two configuration fields the nemesis suite uses: the dial override, and the broken build's switch. */
const node = (id: string, port: number) => ({ id, host: '127.0.0.1', raftPort: port, httpPort: port + 1 });
const valid = { self: 'n1', dataDir: '/tmp/x', clusterSecret: 'a-secret-of-16-chars', nodes: [node('n1', 7000), node('n2', 7002)], shards: [{ id: 's0', replicas: ['n1', 'n2'] }] };

const refusal = (change: object): string => {
  try {
    parseClusterConfig({ ...valid, ...change });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('the nemesis fields of a cluster configuration', () => {
  it('reads dialAddresses (where to dial each peer) and the one broken build', () => {
    const config = parseClusterConfig({ ...valid, dialAddresses: { n2: { host: '127.0.0.1', port: 9100 } }, unsafeForTesting: 'follower-reads' });
    expect(config.dialAddresses).toEqual({ n2: { host: '127.0.0.1', port: 9100 } });
    expect(config.unsafeForTesting).toBe('follower-reads');
    expect(parseClusterConfig(valid)).not.toHaveProperty('unsafeForTesting');
  });

  it('names what is wrong with them', () => {
    expect(refusal({ dialAddresses: { n9: { host: '127.0.0.1', port: 1 } } })).toBe('dialAddresses: "n9" is not a node');
    expect(refusal({ dialAddresses: { n2: { host: '127.0.0.1', port: 0 } } })).toBe('dialAddresses.n2.port must be a port from 1 to 65535, not 0');
    expect(refusal({ dialAddresses: [] })).toBe('dialAddresses must be an object');
    expect(refusal({ unsafeForTesting: 'stale-reads' })).toBe('unsafeForTesting: the one broken build is "follower-reads", not "stale-reads"');
  });
});

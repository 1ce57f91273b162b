// Three Raft servers in one process, over TCP on 127.0.0.1, each on its own SQLite file, with real
// timers. It commits one command through the leader, prints the reply, and stops.
//   node --import tsx docs/embedding/raft-cluster.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_RAFT_CONFIG, type RaftContext, server, validateRaftMessage,
} from 'unanimous/protocols/raft';
import { NodeHost, SqliteStore, TcpTransport } from 'unanimous/runtime';

const ids = ['s1', 's2', 's3'];
const secret = process.env.CLUSTER_SECRET ?? 'a-secret-of-16-chars-or-more';
const dir = mkdtempSync(join(tmpdir(), 'raft-'));

// Listen first (port 0: a free one), then tell each transport where its peers are.
const transports = await Promise.all(ids.map((id) => TcpTransport.listen({
  id,
  secret, // the same on every node, at least 16 characters: a mutual HMAC handshake
  listen: { host: '127.0.0.1', port: 0 },
  peers: Object.fromEntries(ids.filter((peer) => peer !== id).map((peer) => [peer, undefined])),
  validate: validateRaftMessage, // every incoming frame must be a well-formed Raft message
})));
for (const [i, transport] of transports.entries()) {
  for (const [j, peer] of ids.entries()) {
    if (i !== j) transport.setPeerAddress(peer, transports[j]!.address);
  }
}

const hosts = ids.map((id, i) => new NodeHost({
  machine: server,
  id,
  peers: ids.filter((peer) => peer !== id),
  config: DEFAULT_RAFT_CONFIG,
  store: new SqliteStore(join(dir, `${id}.db`)), // WAL, synchronous=FULL
  transport: transports[i]!,
  timers: { electionTimeout: { min: 150, max: 300 }, heartbeatTimeout: 50 },
  statusOf: (context: RaftContext) => ({ term: context.currentTerm }),
}));
for (const host of hosts) host.start();

const isLeader = (host: NodeHost) => {
  const state = host.status().state;
  return typeof state === 'object' && state !== null && 'leader' in state;
};
try {
  for (let attempt = 0; ; attempt++) {
    const leader = hosts.find(isLeader);
    if (leader) {
      const reply = await leader.submit({ type: 'ClientRequest', value: 'hello' }).catch(() => null);
      if (reply && !(typeof reply === 'object' && 'error' in reply)) {
        console.log(`${leader.id} committed`, JSON.stringify(reply)); // {"index":1,"value":"hello"}
        break;
      }
    }
    if (attempt === 100) throw new Error('no leader committed within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
} finally {
  await Promise.all(hosts.map((host) => host.stop())); // commits what is pending, closes all
  rmSync(dir, { recursive: true, force: true });
}

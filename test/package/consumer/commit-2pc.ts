// Two-Phase Commit embedded as a consumer would: a transaction manager and two resource managers,
// each in a NodeHost on an in-memory store, over the in-memory network with real timers. The TM
// asks for votes on boot; both RMs vote Prepared, so it commits. Prints each node's final state
// and the TM's durable decision as JSON, for the test.
import { resourceManager, transactionManager, DEFAULT_RM_CONFIG, DEFAULT_TM_CONFIG } from 'unanimous/protocols/two-phase-commit';
import { MemoryNetwork, MemoryStore, NodeHost } from 'unanimous/runtime';

const network = new MemoryNetwork({ seed: 1 });
const rms = ['rm1', 'rm2'];
const tmStore = new MemoryStore();
const hosts = [
  new NodeHost({
    machine: transactionManager,
    id: 'tm',
    peers: rms,
    config: { ...DEFAULT_TM_CONFIG, voteTimeoutMs: 10_000 },
    store: tmStore,
    transport: network.endpoint('tm'),
    timers: { voteTimeout: 10_000, retryTimeout: 50 },
  }),
  ...rms.map((id) => new NodeHost({
    machine: resourceManager,
    id,
    peers: ['tm'],
    config: DEFAULT_RM_CONFIG,
    store: new MemoryStore(),
    transport: network.endpoint(id),
    timers: {},
  })),
];
for (const host of hosts) host.start();

// Every RM committed and the TM has every acknowledgement: nothing is left to happen.
const done = () => hosts.every((host) => JSON.stringify(host.status().state).includes('committed'))
  && JSON.stringify(hosts[0]!.status().state).includes('announced');
const deadline = Date.now() + 10_000;
while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));

const states = Object.fromEntries(hosts.map((host) => [host.id, host.status().state]));
const decision = tmStore.load().decision;
for (const host of hosts) await host.stop();
console.log(JSON.stringify({ states, decision }));

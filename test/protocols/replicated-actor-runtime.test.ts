import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/node/index.ts';
import type { ReplicaConfig, ReplicaContext } from '../../src/protocols/replicated-actor/index.ts';
import { replicated } from '../../src/protocols/replicated-actor/index.ts';
import { resourceManager, transactionManager } from '../../src/protocols/two-phase-commit/index.ts';
import { ManualClock } from '../../src/runtime/manual-clock.ts';
import { NodeHost } from '../../src/runtime/node-host.ts';
import { seededRandom } from '../../src/runtime/random.ts';
import { MemoryStore } from '../../src/runtime/storage/memory-store.ts';
import { MemoryNetwork } from '../../src/runtime/transport/memory-network.ts';

/**
 * The replicated actors of 2PC over Raft groups, unchanged from the models, hosted by the runtime:
 * NodeHost, an in-memory network with delays, a manual clock, randomised election timeouts.
 */
const replicatedTM = replicated(transactionManager);
const replicatedRM = replicated(resourceManager);
const group = (actor: string) => [1, 2, 3].map((i) => `${actor}/${i}`);
const directory = { tm: group('tm'), rm1: group('rm1'), rm2: group('rm2') };
const everyone = Object.values(directory).flat();
const TIMERS = { electionTimeout: { min: 150, max: 300 }, heartbeatTimeout: 50, voteTimeout: 3000, retryTimeout: 200 };

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function cluster(seed: number) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ seed, clock, faults: { delayMs: { min: 1, max: 5 } } });
  const hosts = everyone.map((id, i) => {
    const actor = id.split('/')[0]!;
    const isTM = actor === 'tm';
    const config: ReplicaConfig = {
      actor,
      directory,
      actorPeers: isTM ? ['rm1', 'rm2'] : ['tm'],
      actorConfig: isTM ? { commitOnLastVote: true, retransmit: true, voteTimeoutMs: 3000, retryTimeoutMs: 200 } : { acknowledge: true },
    };
    return new NodeHost<ReplicaConfig>({
      machine: isTM ? replicatedTM : replicatedRM,
      id,
      peers: everyone.filter((peer) => peer !== id),
      config,
      store: new MemoryStore(),
      transport: network.endpoint(id),
      timers: TIMERS,
      random: seededRandom(seed * 100 + i),
      clock,
      statusOf: (context: ReplicaContext): Json => ({ actor: context.actor.value as Json, lastApplied: context.lastApplied }),
    });
  });
  for (const host of hosts) host.start();
  const actorState = (host: NodeHost) => (host.status().details as { actor: Json }).actor;
  const rmStates = () => hosts.filter((host) => !host.id.startsWith('tm/')).map(actorState);
  async function runUntil(what: string, condition: () => boolean, limitMs = 20_000) {
    for (let ms = 0; !condition(); ms++) {
      if (ms >= limitMs) throw new Error(`${what}: not within ${limitMs} simulated ms (RMs: ${JSON.stringify(rmStates())})`);
      clock.advance(1);
      await turn();
      await turn();
      // TCConsistent over every RM replica's copy, at every millisecond.
      const states = rmStates();
      if (states.includes('committed') && states.includes('aborted')) throw new Error(`TCConsistent: ${JSON.stringify(states)}`);
    }
  }
  return { hosts, rmStates, actorState, runUntil };
}

const decided = (states: Json[]) => states.every((s) => s === 'committed') || states.every((s) => s === 'aborted');
const isLeader = (host: NodeHost) => host.status().phase === 'running' && host.status().state === 'leader';

describe('2PC over Raft groups on the runtime', () => {
  it('every replica of every RM reaches one decision', async () => {
    const { hosts, rmStates, runUntil } = cluster(3);
    await runUntil('every RM replica decided', () => decided(rmStates()));
    // With this seed both RM groups had a leader when the TM's Prepare came: they commit.
    expect(rmStates()[0]).toBe('committed');
    for (const host of hosts) await host.stop();
  });

  it('the TM group fails over: its leader crashes once the RMs are prepared, and every RM replica still decides', async () => {
    const { hosts, rmStates, actorState, runUntil } = cluster(3);
    // Every RM group's leader has applied its vote, and no TM replica has applied a decision.
    const votedEverywhere = () =>
      ['rm1', 'rm2'].every((rm) => hosts.some((h) => h.id.startsWith(`${rm}/`) && actorState(h) === 'prepared')) &&
      hosts.filter((h) => h.id.startsWith('tm/')).every((h) => actorState(h) === 'collecting');
    await runUntil('both RMs prepared, the TM undecided', () => votedEverywhere() && hosts.some((h) => h.id.startsWith('tm/') && isLeader(h)));
    const leader = hosts.find((h) => h.id.startsWith('tm/') && isLeader(h))!;
    await leader.crash();
    await runUntil('every RM replica decided after the failover', () => decided(rmStates()));
    // With this seed the new leader holds both votes: it commits.
    expect(rmStates()[0]).toBe('committed');
    // The decision came from a new leader: the old one had not applied one when it crashed.
    expect((leader.status().details as { actor: Json }).actor).toBe('collecting');
    expect(hosts.filter((h) => h.id.startsWith('tm/') && h !== leader).some(isLeader)).toBe(true);
    for (const host of hosts) if (host !== leader) await host.stop();
  });
});

/**
 * What one step of the Raft server machine costs the host, by log length: a leader taking a client
 * request (append, persist, AppendEntries to two followers) and then the acknowledgement that
 * commits it, and a follower taking that AppendEntries. Microseconds per step, median of runs.
 *
 *   node --import tsx bench/raft-step.ts [--steps 20000] [--logs 0,1000,10000]
 */
import { parseArgs } from 'node:util';
import type { AnyMachineSnapshot } from 'xstate';
import { Stepper } from '../src/node/index.ts';
import { type LogEntry, type RaftConfig, type RaftContext, server } from '../src/protocols/raft/index.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20000' }, logs: { type: 'string', default: '0,1000,10000' }, runs: { type: 'string', default: '5' } } });
const steps = Number(values.steps);
const CONFIG: RaftConfig = { electionTimeoutMs: 300, heartbeatTimeoutMs: 50 };
const value = JSON.stringify({ batch: [['id-0000000000', { kind: 'txn', txn: { ops: [{ op: 'put', key: 'k', value: 'v'.repeat(100) }] } }]] });

function run(logLength: number): { request: number; ack: number; follower: number } {
  const log: LogEntry[] = Array.from({ length: logLength + 1 }, () => ({ term: 1, value }));
  const stepper = new Stepper(server);
  let leader: AnyMachineSnapshot = stepper.start({ id: 's1', peers: ['s2', 's3'], durable: { currentTerm: 1, votedFor: null, log }, config: CONFIG }).snapshot;
  leader = stepper.step(leader, { type: 'xstate.after.electionTimeout.raft.follower' }).snapshot;
  leader = stepper.step(leader, { type: 'RequestVoteResponse', from: 's2', term: 2, voteGranted: true }).snapshot;
  const followerStepper = new Stepper(server);
  let follower: AnyMachineSnapshot = followerStepper.start({ id: 's2', peers: ['s1', 's3'], durable: { currentTerm: 2, votedFor: 's1', log }, config: CONFIG }).snapshot;
  let request = 0;
  let ack = 0;
  let followerTime = 0;
  for (let i = 0; i < steps; i++) {
    let t = performance.now();
    const proposed = stepper.step(leader, { type: 'ClientRequest', value });
    request += performance.now() - t;
    leader = proposed.snapshot;
    const append = proposed.effects.find((effect) => effect.type === 'send' && effect.to === 's2');
    t = performance.now();
    const followed = followerStepper.step(follower, { ...(append as { message: object }).message, from: 's1' } as never);
    followerTime += performance.now() - t;
    follower = followed.snapshot;
    const context = leader.context as RaftContext;
    t = performance.now();
    leader = stepper.step(leader, { type: 'AppendEntriesResponse', from: 's2', term: context.currentTerm, success: true, matchIndex: context.log.length + context.lastIncludedIndex }).snapshot;
    ack += performance.now() - t;
    if (i % 1000 === 999) {
      // Keep the log at its length, as compaction does in the service.
      const c = leader.context as RaftContext;
      leader = stepper.step(leader, { type: 'Compact', index: c.commitIndex - logLength, snapshot: 'x' } as never).snapshot;
      const f = follower.context as RaftContext;
      follower = followerStepper.step(follower, { type: 'Compact', index: f.commitIndex - logLength, snapshot: 'x' } as never).snapshot;
    }
  }
  const us = (ms: number) => (1000 * ms) / steps;
  return { request: us(request), ack: us(ack), follower: us(followerTime) };
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('log length   client request µs   acknowledgement µs   follower AppendEntries µs');
for (const length of values.logs.split(',').map(Number)) {
  const results = Array.from({ length: Number(values.runs) }, () => run(length));
  const m = (key: 'request' | 'ack' | 'follower') => median(results.map((r) => r[key])).toFixed(1).padStart(10);
  console.log(`${String(length).padStart(10)}   ${m('request')}          ${m('ack')}           ${m('follower')}`);
}

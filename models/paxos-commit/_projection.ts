import type { GlobalView } from '../../src/checker/index.ts';

/**
 * A global state of the machine model as a state of PaxosCommit.tla: its variables rmState, aState
 * and msgs, as one canonical string. Messages are taken without their recipients (the spec's
 * messages have none; a broadcast is one message), phase 1b and 2b messages with their sender as
 * the spec's `acc` field, and the leader's Prepare requests left out (the spec's RMs prepare on
 * their own). What it leaves out is the leader's context: the phase 1b reports and 2b votes
 * delivered to it, which PaxosCommit.tla does not have because its leader reads the message set.
 */
export function paxosCommitTlaState(state: GlobalView, rms: readonly string[], acceptors: readonly string[]): string {
  const rmState = rms.map((rm) => String(state.node(rm).value));
  const aState = acceptors.map((a) => JSON.stringify(state.node(a).context.instances));
  const msgs = new Set<string>();
  for (const { from, message } of state.messages) {
    if (message.type === 'Prepare') continue;
    const acc = message.type === 'Phase1b' || message.type === 'Phase2b' ? from : '';
    msgs.add(JSON.stringify([message.type, message.ins ?? '', message.mbal ?? '', message.bal ?? '', message.val ?? '', acc]));
  }
  return `${rmState.join(',')}|${aState.join(',')}|${[...msgs].sort().join(',')}`;
}

import type { AnyMachineSnapshot } from 'xstate';
import { type NodeInput, Stepper } from '../../src/node/index.ts';
import { latestConfiguration, type RaftContext, type server } from '../../src/protocols/raft/index.ts';

export const contextOf = (snapshot: AnyMachineSnapshot) => snapshot.context as RaftContext;

/** A Raft server stepped event by event (for the machine's unit tests), its last step's effects and timers kept. */
export function driven(machine: typeof server, input: NodeInput) {
  const stepper = new Stepper(machine);
  let result = stepper.start(input);
  return {
    get snapshot() {
      return result.snapshot;
    },
    get context() {
      return contextOf(result.snapshot);
    },
    /** The server's latest configuration's members (thesis §4.1). */
    get members() {
      return latestConfiguration(contextOf(result.snapshot)).members;
    },
    step(event: { type: string; [field: string]: unknown }) {
      result = stepper.step(result.snapshot, event);
      return result;
    },
  };
}

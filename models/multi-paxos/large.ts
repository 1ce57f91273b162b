import { defineModel } from '../../src/checker/index.ts';
import { faultParameters } from '../_shared/faults.ts';
import { commandNames, multiPaxosModel } from './_build.ts';

/**
 * Multi-Paxos at a size meant for `unanimous simulate`, far beyond exhaustive checking: five
 * replicas, every command asked of every replica, leaders that retransmit on their heartbeat, and
 * every fault at once — lost, duplicated and reordered messages, crashes and restarts of any
 * replica, leader changes up to ballot `ballots`. The boundary (ballots, slots, messages in flight)
 * keeps the state space finite, not small: `unanimous check` with no model named skips it.
 */
export default defineModel({
  description: 'Multi-Paxos, 5 replicas, all faults, heartbeats: for unanimous simulate',
  simulationOnly: true,
  parameters: {
    replicas: { description: 'replicas; a quorum is a majority', default: 5, min: 3, max: 7 },
    commands: { description: 'commands clients may ask of any replica', default: 3, min: 1, max: 5 },
    ballots: { description: 'highest ballot a replica may campaign in', default: 20, min: 0, max: 50 },
    slots: { description: 'log slots', default: 4, min: 1, max: 8 },
    ...faultParameters({ loss: 3, duplication: 3, crashes: 2 }, 'replica', 10),
    inFlight: { description: 'most messages in flight explored (the boundary)', default: 64, min: 1, max: 256 },
  },
  build: (p) =>
    multiPaxosModel({
      replicas: p.replicas!,
      commands: commandNames(p.commands!),
      maxBallot: p.ballots!,
      maxSlots: p.slots!,
      maxInFlight: p.inFlight!,
      network: 'multiset',
      faults: { crash: p.crashes!, loss: p.loss!, duplication: p.duplication! },
      heartbeat: true,
    }),
});

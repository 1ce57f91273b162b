import { defineModel } from 'unanimous';
import { chainModel, PARAMETERS } from '../model.ts';

// BROKEN on purpose: the head acknowledges a write before the tail has it, so a read at the tail
// right after the acknowledgement misses it — what the checker must catch.
export default defineModel({
  description: 'BROKEN: the head acknowledges writes before the rest of the chain has them',
  parameters: PARAMETERS,
  build: (p) => chainModel({ servers: p.servers!, clients: p.clients!, writes: p.writes!, reads: p.reads!, resends: p.resends!, bug: 'ackAtHead' }),
  expected: () => ({ verdict: 'violation', property: 'ReadSeesAcknowledgedWrites' }),
});

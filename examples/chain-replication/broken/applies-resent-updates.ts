import { defineModel } from 'unanimous';
import { chainModel, PARAMETERS } from '../model.ts';

// BROKEN on purpose: a server applies an update the client sent again (its first copy was only
// slow), so the update is in the chain's history twice — what the checker must catch.
export default defineModel({
  description: 'BROKEN: servers apply a resent update a second time',
  parameters: PARAMETERS,
  build: (p) => chainModel({ servers: p.servers!, clients: p.clients!, writes: p.writes!, reads: p.reads!, resends: p.resends!, bug: 'applyResent' }),
  expected: () => ({ verdict: 'violation', property: 'NoUpdateAppliedTwice' }),
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { check } from 'unanimous';
import { describe, expect, it } from 'vitest';
import broken from './broken/ack-at-head.ts';
import appliesResent from './broken/applies-resent-updates.ts';
import chain from './model.ts';

describe('chain replication, model-checked', () => {
  it('three servers, two clients writing and reading once, each request sent again once: 157,769 states', () => {
    const parameters = { servers: 3, clients: 2, writes: 1, reads: 1, resends: 1 };
    const result = check(chain.build(parameters));
    expect(result.verdict).toBe('ok');
    expect(result.distinct).toBe(157_769);
    expect(chain.expected(parameters)).toEqual({ verdict: 'ok', distinct: 157_769 });
  });

  it('one client, more writes and reads, each sent up to twice again: 20,080 states', () => {
    const result = check(chain.build({ servers: 3, clients: 1, writes: 2, reads: 2, resends: 2 }));
    expect([result.verdict, result.distinct]).toEqual(['ok', 20_080]);
  });

  it('the broken variant (the head acknowledges early) is caught: a read at the tail misses an acknowledged write', () => {
    const result = check(broken.build({ servers: 3, clients: 2, writes: 1, reads: 1, resends: 1 }));
    expect(result.verdict).toBe('violation');
    expect(result.violation!.property).toBe('ReadSeesAcknowledgedWrites');
    // The shortest counterexample: write, the head's early Acked, read, the tail answers without it.
    const actions = result.violation!.trace!.steps.map((step) => step.action);
    expect(actions).toHaveLength(6);
    expect(actions[2]).toMatchObject({ kind: 'deliver', message: { from: 's1', message: { type: 'Acked' } } });
  });

  it('the other broken variant (a resent update applied again) is caught', () => {
    const result = check(appliesResent.build({ servers: 3, clients: 2, writes: 1, reads: 1, resends: 1 }));
    expect([result.verdict, result.violation?.property]).toEqual(['violation', 'NoUpdateAppliedTwice']);
  });

  it('draws both machines as a statechart', () => {
    const cli = fileURLToPath(new URL('../../bin/unanimous.js', import.meta.url));
    const chart = spawnSync(process.execPath, [cli, 'chart', fileURLToPath(new URL('./model.ts', import.meta.url))], { encoding: 'utf8' });
    expect(chart.status).toBe(0);
    expect(chart.stdout).toContain('chain_server_serving --> chain_server_serving : Update [isTail] / apply, persistUpdate, acknowledge');
    expect(chart.stdout).toContain('chain_client_idle --> chain_client_writing : Write [mayWrite] / write, sendUpdate');
  });
});

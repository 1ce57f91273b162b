import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/checker/index.ts';
import { openExplorer } from '../../src/cli/explore-command.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import type { ExplorerServer } from '../../src/inspect/explorer/explorer-server.ts';
import commitsEarly from '../../models/two-phase/broken/tm-commits-early.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'unanimous-explorer-'));
let faulty: ExplorerServer;
let broken: ExplorerServer;
/** `unanimous check two-phase/broken/tm-commits-early --json`, as the CLI prints it. */
const checkJson = () => [
  { model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 }, result: check(commitsEarly.build({ rms: 3 })) },
];

beforeAll(async () => {
  faulty = (await openExplorer({ model: 'two-phase/faulty', parameters: {}, port: 0 })).server;
  const file = join(scratch, 'tm-commits-early.json');
  writeFileSync(file, JSON.stringify(checkJson()));
  broken = (await openExplorer({ model: 'two-phase/broken/tm-commits-early', parameters: {}, port: 0, trace: file })).server;
});

afterAll(async () => {
  await faulty?.close();
  await broken?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function get(server: ExplorerServer, path: string): Promise<{ status: number; type: string; body: any }> {
  const response = await fetch(new URL(path, server.url));
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, body: type.startsWith('application/json') ? await response.json() : await response.text() };
}

async function post(server: ExplorerServer, path: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, server.url), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: await response.json() };
}

describe('the explorer server', () => {
  it('listens on 127.0.0.1 only, on a free port', () => {
    expect(faulty.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(faulty.port).toBeGreaterThan(0);
    expect(broken.port).not.toBe(faulty.port);
  });

  it('serves the page and its files', async () => {
    const html = await get(faulty, '/');
    expect(html.status).toBe(200);
    expect(html.type).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<script src="explorer.js" defer></script>');
    const script = await get(faulty, '/explorer.js');
    expect(script.type).toBe('text/javascript; charset=utf-8');
    expect(script.body).toContain("fetch(`/api/chart/${machine.index}.svg`)");
    expect((await get(faulty, '/explorer.css')).type).toBe('text/css; charset=utf-8');
  });

  it('describes the model: its machines, which nodes run them, its properties', async () => {
    const { status, body } = await get(faulty, '/api/model');
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'two-phase/faulty', network: 'multiset', parameters: { rms: 2, inFlight: 4 }, budgets: { loss: 1, duplication: 1, crash: 1 } });
    expect(body.machines.map((m: any) => [m.index, m.id, m.nodes])).toEqual([
      [0, 'tm', ['tm']],
      [1, 'rm', ['rm1', 'rm2']],
    ]);
    expect(body.nodes).toEqual([
      { id: 'tm', machine: 0 },
      { id: 'rm1', machine: 1 },
      { id: 'rm2', machine: 1 },
    ]);
    expect(body.properties.map((p: any) => `${p.kind} ${p.name}`)).toEqual(['always TCTypeOK', 'always TCConsistent', 'refines TCommit', 'sometimes SomeRMCommits', 'sometimes SomeRMAborts']);
  });

  it('draws each machine as SVG with every state addressable', async () => {
    const { status, type, body } = await get(faulty, '/api/chart/0.svg');
    expect(status).toBe(200);
    expect(type).toBe('image/svg+xml; charset=utf-8');
    for (const state of ['tm.collecting', 'tm.committed', 'tm.committed.awaitingAcks', 'tm.aborted']) expect(body).toContain(`data-state="${state}"`);
    expect((await get(faulty, '/api/chart/1.svg')).body).toContain('data-state="rm.prepared"');
  });

  it('steps through two-phase/faulty by path: forwards to a commit, and back', async () => {
    const initial = (await get(faulty, '/api/state?path=')).body;
    expect(initial.path).toEqual([]);
    expect(initial.actions.slice(0, 2).map((a: any) => a.label)).toEqual(['deliver Prepare tm→rm1', 'deliver Prepare tm→rm2']);

    const committed = (await get(faulty, '/api/state?path=0.1.0.0')).body;
    expect(committed.path).toEqual([0, 1, 0, 0]);
    expect(committed.nodes.map((node: any) => [node.id, node.state, node.activeStates])).toEqual([
      ['tm', 'committed.awaitingAcks', ['tm.committed', 'tm.committed.awaitingAcks']],
      ['rm1', 'prepared', ['rm.prepared']],
      ['rm2', 'prepared', ['rm.prepared']],
    ]);
    expect(committed.arrivedBy.label).toBe('deliver Prepared rm2→tm');
    expect(committed.messages.map((m: any) => m.label)).toEqual(['Commit tm→rm1', 'Commit tm→rm2']);

    const back = (await get(faulty, '/api/state?path=0.1.0')).body;
    expect(back.nodes[0]).toMatchObject({ state: 'collecting', context: { prepared: ['rm1'] } });
    expect(back.arrivedBy.label).toBe('deliver Prepared rm1→tm');
  });

  it('answers bad requests with 4xx and a JSON error', async () => {
    const refuse = async (response: Promise<{ status: number; body: any }>, status: number, error: string) => {
      const { status: actual, body } = await response;
      expect(actual).toBe(status);
      expect(body.error).toContain(error);
    };
    await refuse(get(faulty, '/api/state?path=one.two'), 400, 'a path is action numbers separated by dots (3.0.2), not "one.two"');
    await refuse(get(faulty, '/api/state?path=0.99'), 404, 'step 2 of the path takes action 99, but that state has actions 0 to 10');
    await refuse(get(faulty, '/api/nothing'), 404, 'no such page or API: /api/nothing');
    await refuse(get(faulty, '/api/chart/7.svg'), 404, 'no machine 7: this model has machines 0 to 1');
    await refuse(post(faulty, '/api/state', '{}'), 405, 'POST is not allowed here: use GET');
    await refuse(get(faulty, '/api/replay'), 405, 'GET is not allowed here: use POST');
    await refuse(post(faulty, '/api/replay', '{"steps": ['), 400, 'not JSON');
    await refuse(post(faulty, '/api/replay', '{"hello": 1}'), 400, 'expected a trace (with "initial" and "steps")');
    const foreign = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: faulty.port, path: '/api/model', headers: { host: 'attacker.example:80' } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toContain('requests must be addressed to 127.0.0.1');
  });

  it('replays a counterexample posted as check --json output, and says where a trace from another model parts from this one', async () => {
    const own = await post(broken, '/api/replay', JSON.stringify(checkJson()));
    expect(own.status).toBe(200);
    expect(own.body.mismatch).toBeUndefined();
    expect(own.body.property).toBe('TCConsistent');
    expect(own.body.path).toHaveLength(5);
    const last = (await get(broken, `/api/state?path=${own.body.path.join('.')}`)).body;
    expect(last.properties.find((p: any) => p.name === 'TCConsistent')).toMatchObject({ holds: false });

    const other = await post(faulty, '/api/replay', JSON.stringify(checkJson()));
    expect(other.status).toBe(200);
    expect(other.body.path).toEqual([]);
    expect(other.body.mismatch.step).toBe(0);
    expect(other.body.mismatch.message).toContain('The trace is of two-phase/broken/tm-commits-early (rms=3); this explorer shows two-phase/faulty');
  });

  it('gives the trace of --trace FILE, replayed, to the page (null when none was given)', async () => {
    const preloaded = (await get(broken, '/api/preloaded')).body;
    expect(preloaded).toMatchObject({ property: 'TCConsistent', source: { model: 'two-phase/broken/tm-commits-early', parameters: { rms: 3 } } });
    expect(preloaded.steps.map((step: any) => step.label)[0]).toBe('deliver Prepare tm→rm1');
    expect(preloaded.path).toHaveLength(5);
    expect((await get(faulty, '/api/preloaded')).body).toBeNull();
  });
});

describe('unanimous explore: bad arguments are refused before anything is served', () => {
  it('a bad model, parameter or trace file is a UsageError', async () => {
    await expect(openExplorer({ model: 'two-phase/nope', parameters: {}, port: 0 })).rejects.toThrow('no model "two-phase/nope" ("unanimous list" shows them all)');
    await expect(openExplorer({ model: 'two-phase/faulty', parameters: { rms: 9 }, port: 0 })).rejects.toThrow('two-phase/faulty: rms (resource managers) must be a whole number from 1 to 4, not 9');
    await expect(openExplorer({ model: 'two-phase/faulty', parameters: { ballots: 2 }, port: 0 })).rejects.toThrow('--param ballots: two-phase/faulty has no parameter "ballots"');
    await expect(openExplorer({ model: 'two-phase/faulty', parameters: {}, port: 0, trace: '/nonexistent/trace.json' })).rejects.toThrow(UsageError);
    await expect(openExplorer({ model: 'two-phase/faulty', parameters: {}, port: 0, trace: join(root, 'package.json') })).rejects.toThrow(
      /^--trace .*package\.json: expected a trace/,
    );
    await expect(openExplorer({ model: 'two-phase/faulty', parameters: {}, port: faulty.port })).rejects.toThrow(`--port ${faulty.port}: cannot listen on 127.0.0.1:${faulty.port} (EADDRINUSE)`);
  });

  it('the command exits 2 with one line on stderr', () => {
    const run = spawnSync(process.execPath, [join(root, 'bin/unanimous.js'), 'explore', 'two-phase/faulty', '--rms', '0'], { encoding: 'utf8', cwd: root });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('unanimous: two-phase/faulty: rms (resource managers) must be a whole number from 1 to 4, not 0\n');
    expect(run.stdout).toBe('');
  });
});

describe('unanimous explore, the command', () => {
  it('prints the URL, serves until interrupted, and exits 0', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/unanimous.js'), 'explore', 'two-phase/tla', '--rms', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          output += chunk;
          const match = /^unanimous explore two-phase\/tla: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before printing its URL: ${output}`)));
      });
      const model = await (await fetch(new URL('api/model', url))).json();
      expect(model).toMatchObject({ name: 'two-phase/tla', parameters: { rms: 2 }, network: 'set' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

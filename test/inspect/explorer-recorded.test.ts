import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExplorer } from '../../src/cli/explore-command.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import type { StepRecord } from '../../src/node/index.ts';
import type { ExplorerServer } from '../../src/inspect/explorer/explorer-server.ts';
import { ExplorerSession } from '../../src/inspect/explorer/explorer-session.ts';
import { isStepTrace, readRecordedDocument } from '../../src/inspect/explorer/recorded-document.ts';
import { replayTrace, type Replay } from '../../src/inspect/explorer/replay.ts';
import { TraceDocumentError } from '../../src/inspect/explorer/trace-document.ts';
import { RECORDED_RAFT_PARAMETERS, recordedRaftModel, recordedRun } from '../checker/recorded-run.ts';

const jsonLines = (records: readonly StepRecord[]) => records.map((record) => JSON.stringify(record)).join('\n') + '\n';

let records: StepRecord[];
let scratch: string;
let explorer: { server: ExplorerServer; session: ExplorerSession; preloaded?: Replay };

beforeAll(async () => {
  records = await recordedRun();
  scratch = mkdtempSync(join(tmpdir(), 'unanimous-explorer-recorded-'));
  const file = join(scratch, 'run.jsonl');
  writeFileSync(file, jsonLines(records));
  explorer = await openExplorer({ model: 'raft/three-servers', parameters: { heartbeats: 1 }, port: 0, trace: file });
});

afterAll(async () => {
  await explorer?.server.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function post(body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL('/api/replay', explorer.server.url), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: await response.json() };
}

/** The node whose last record leaves it leading: the leader at the end of the production run. */
function recordedLeader(): string {
  const last = new Map(records.map((record) => [record.node, record]));
  const leaders = [...last.values()].filter((record) => JSON.stringify(record.after).includes('leader'));
  expect(leaders).toHaveLength(1);
  return leaders[0]!.node;
}

describe('the explorer on a run hosts recorded (raft/three-servers, heartbeats=1)', () => {
  it('replays the whole run, matching each client request to the model\'s ClientRequest, and ends with the leader and its two entries committed', () => {
    const session = new ExplorerSession({ name: 'raft/three-servers', description: '', parameters: RECORDED_RAFT_PARAMETERS, model: recordedRaftModel() });
    const text = jsonLines(records);
    expect(isStepTrace(text)).toBe(true);
    const replay = replayTrace(session, readRecordedDocument(text, recordedRaftModel()));
    expect(replay.mismatch).toBeUndefined();
    expect(replay.recorded).toEqual({ records: records.length, nodes: expect.arrayContaining(['s1', 's2', 's3']), problems: [] });
    expect(replay.property).toBe('');
    expect(replay.path).toHaveLength(replay.steps.length);
    expect(replay.steps.length).toBeGreaterThan(20);

    // Each client request, as recorded and as the model's event it was matched to.
    const leader = recordedLeader();
    const requests = replay.steps.filter((step) => step.matchedTo !== undefined);
    expect(requests.map((step) => [step.label, step.matchedTo])).toEqual([
      [`${leader}: takes ClientRequest {"client":"${leader}-client","requestId":1,"value":"a"}`, `${leader}: takes ClientRequest {"value":"v"}`],
      [`${leader}: takes ClientRequest {"client":"${leader}-client","requestId":2,"value":"b"}`, `${leader}: takes ClientRequest {"value":"v"}`],
    ]);

    // The model's own state at the end: the recorded leader leads, every log holds the two entries (in the model's terms), committed.
    const final = session.stateReport(replay.path);
    const term = (final.nodes.find((node) => node.id === leader)!.context as { currentTerm: number }).currentTerm;
    expect(final.nodes.map((node) => [node.id, node.state])).toEqual(
      ['s1', 's2', 's3'].map((id) => [id, id === leader ? 'leader.replicating' : 'follower']),
    );
    for (const node of final.nodes) {
      expect(node.context).toMatchObject({ currentTerm: term, log: [{ term, value: 'v' }, { term, value: 'v' }], commitIndex: 2 });
      expect(node.durable).toMatchObject({ log: [{ term, value: 'v' }, { term, value: 'v' }] });
    }
  });

  it('opens on the run given with --trace, and replays the same run posted to /api/replay as JSON lines', async () => {
    const { preloaded } = explorer;
    expect(preloaded?.recorded?.problems).toEqual([]);
    expect(preloaded?.mismatch).toBeUndefined();
    const posted = await post(jsonLines(records));
    expect(posted.status).toBe(200);
    expect(posted.body.path).toEqual(preloaded!.path);
    expect(posted.body.recorded.records).toBe(records.length);
    const state = (await (await fetch(new URL(`/api/state?path=${posted.body.path.join('.')}`, explorer.server.url))).json()) as { nodes: { id: string; state: string }[] };
    expect(state.nodes.find((node) => node.id === recordedLeader())?.state).toBe('leader.replicating');
  });

  it('shows which record of which node the model does not allow, and still replays the part that does', async () => {
    const tampered = records.map((record) => (record.kind === 'step' && record.node === 's2' && record.seq === 3 ? { ...record, after: 'leader' } : record));
    const posted = await post(jsonLines(tampered));
    expect(posted.status).toBe(200);
    expect(posted.body.recorded.problems).toEqual([{ node: 's2', seq: 3, message: expect.stringMatching(/the record says "leader"/) }]);
    expect(posted.body.property).toBe('RecordedStepsAllowed');
    expect(posted.body.path.length).toBeGreaterThan(0);
  });

  it('refuses a file that is not a step trace with the line and what is wrong with it', async () => {
    const noSeq = await post('{"kind":"step","node":"s1"}\n');
    expect(noSeq).toEqual({ status: 400, body: { error: 'line 1: not a step record: seq should be a whole number' } });
    const garbled = await post(`${JSON.stringify(records[0])}\n{"kind": "step", oops\n`);
    expect(garbled.status).toBe(400);
    expect(garbled.body.error).toMatch(/^line 2: not JSON: /);
    expect(() => readRecordedDocument('{"kind":"start","node":"s1","seq":0,"effects":[]}', recordedRaftModel())).toThrow(
      new TraceDocumentError('line 1: not a step record: a start needs its durable image'),
    );

    const bad = join(scratch, 'bad.jsonl');
    writeFileSync(bad, '{"kind":"step","node":"s1"}\n');
    await expect(openExplorer({ model: 'raft/three-servers', parameters: { heartbeats: 1 }, port: 0, trace: bad })).rejects.toThrow(
      new UsageError(`--trace ${bad}: line 1: not a step record: seq should be a whole number`),
    );
  });
});

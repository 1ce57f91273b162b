import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assign, emit, setup } from 'xstate';
import { afterAll, describe, expect, it } from 'vitest';
import { abstraction, always, check, ModelError, type Model, type NodeDefinition } from '../../src/checker/index.ts';
import { simulate } from '../../src/checker/simulate.ts';
import { persist, send } from '../../src/node/index.ts';
import { sender } from './ping-pair.ts';

/**
 * The node contract: a machine's context, its messages and its durable state hold plain JSON
 * only. A model that breaks it is refused with a ModelError that says which node, which machine,
 * which state, which step, which field, what is there and what to use instead, not with a
 * TypeError from deep inside interning.
 */

/** A one-node model of `machine`, booted as node "a". */
const alone = (machine: NodeDefinition['machine']): Model => ({ nodes: [{ id: 'a', machine, peers: [], config: {} }], network: 'multiset', properties: [] });

/** The message of the ModelError that checking `model` throws. */
function refusal(model: Model): string {
  try {
    check(model);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return (error as Error).message;
  }
  throw new Error('check() did not refuse the model');
}

class Ballot {
  constructor(readonly number: number) {}
}

/** Node b: gets a Ping from a (ping-pair's sender) and takes `action` on it, an assign or an emit. */
const receiverThat = (id: string, action: unknown) =>
  setup({ types: { events: {} as { type: 'Ping'; n: number; from: string } } }).createMachine({
    id,
    initial: 'waiting',
    context: { ballot: null as unknown },
    states: { waiting: { on: { Ping: { target: 'voted', actions: action as never } } }, voted: {} },
  });

const withReceiver = (machine: NodeDefinition['machine']): Model => ({
  nodes: [
    { id: 'a', machine: sender, peers: ['b'], config: { count: 1 } },
    { id: 'b', machine, peers: [], config: {} },
  ],
  network: 'multiset',
  properties: [],
});

describe('a context that is not plain JSON', () => {
  it('a Set in the initial context: the node, machine, state, field and advice', () => {
    const voter = setup({}).createMachine({ id: 'voter', initial: 'idle', context: { votes: new Set(['a']) }, states: { idle: {} } });
    expect(refusal(alone(voter))).toBe(
      'node "a" (machine "voter"), starting in state "idle": context.votes is a Set, which is not plain JSON: use a sorted array of its members',
    );
  });

  it('a Map, nested in an array', () => {
    const log = setup({}).createMachine({
      id: 'log',
      context: { log: [{ value: 1 }, { value: 2 }, { value: new Map([['k', 1]]) }] },
    });
    expect(refusal(alone(log))).toBe(
      'node "a" (machine "log"), starting in state {}: context.log[2].value is a Map, which is not plain JSON: use a plain object keyed by string, or an array of [key, value] pairs',
    );
  });

  it('a function', () => {
    const callback = setup({}).createMachine({ id: 'callback', initial: 'idle', context: { onCommit: () => 1 }, states: { idle: {} } });
    expect(refusal(alone(callback))).toBe(
      `node "a" (machine "callback"), starting in state "idle": context.onCommit is a function, which is not plain JSON: keep functions in the machine's actions and guards, not in context`,
    );
  });

  it('a class instance put in context by a step: the event and the states before and after', () => {
    const machine = receiverThat('acceptor', assign({ ballot: ({ event }) => new Ballot(event.n) }));
    expect(refusal(withReceiver(machine))).toBe(
      'node "b" (machine "acceptor") in state "waiting", on Ping from "a", going to state "voted": context.ballot is an instance of class Ballot, which is not plain JSON: use a plain object with its fields',
    );
  });

  it('NaN, a bigint, a key that is not an identifier, a cycle', () => {
    const withContext = (context: object) => alone(setup({}).createMachine({ id: 'm', context }));
    expect(refusal(withContext({ term: { 'next-term': NaN } }))).toContain('context.term["next-term"] is the number NaN, which is not plain JSON: use a finite number');
    expect(refusal(withContext({ index: 10n }))).toContain('context.index is a bigint (10n), which is not plain JSON: use a number');
    const node: Record<string, unknown> = { name: 'n' };
    node.self = { parent: node };
    expect(refusal(withContext({ tree: node }))).toContain('context.tree.self.parent is a reference back to context.tree (a cycle)');
  });

  it('a Set in a message sent: the message, its receiver and the field', () => {
    const machine = setup({}).createMachine({ id: 'tm', initial: 'idle', entry: emit(send('b', { type: 'Prepare', rms: new Set(['b']) as never })), states: { idle: {} } });
    const model: Model = { nodes: [{ id: 'a', machine, peers: ['b'], config: {} }, { id: 'b', machine: setup({}).createMachine({}), peers: [], config: {} }], network: 'set', properties: [] };
    expect(refusal(model)).toBe(
      'node "a" (machine "tm"), starting in state "idle": in the Prepare message it sent to "b", message.rms is a Set, which is not plain JSON: use a sorted array of its members',
    );
  });

  it('a Set persisted by a step: the durable state', () => {
    const machine = receiverThat('rm', emit(persist({ set: { seen: new Set([1]) as never } })));
    expect(refusal(withReceiver(machine))).toBe(
      'node "b" (machine "rm") in state "waiting", on Ping from "a", going to state "voted": durable.seen is a Set, which is not plain JSON: use a sorted array of its members',
    );
  });

  it('a timer step is named by its delay', () => {
    const machine = setup({ delays: { retryTimeout: 10 } }).createMachine({
      id: 'retrier',
      initial: 'waiting',
      context: { at: null as unknown },
      states: { waiting: { after: { retryTimeout: { actions: assign({ at: () => new Date(0) }) } } } },
    });
    expect(refusal(alone(machine))).toBe(
      'node "a" (machine "retrier") in state "waiting", on its retryTimeout timer, staying there: context.at is a Date, which is not plain JSON: use a number (milliseconds since the epoch) or an ISO 8601 string',
    );
  });

  it('the simulator refuses it with the same error', () => {
    const machine = receiverThat('acceptor', assign({ ballot: ({ event }) => new Ballot(event.n) }));
    expect(() => simulate(withReceiver(machine), { seed: 1, walks: 5, depth: 5 })).toThrow(ModelError);
    expect(() => simulate(withReceiver(machine), { seed: 1, walks: 5, depth: 5 })).toThrow(
      'node "b" (machine "acceptor") in state "waiting", on Ping from "a", going to state "voted": context.ballot is an instance of class Ballot',
    );
    const voter = setup({}).createMachine({ id: 'voter', context: { votes: new Set() } });
    expect(() => simulate(alone(voter), { seed: 1, walks: 1, depth: 1 })).toThrow('node "a" (machine "voter"), starting in state {}: context.votes is a Set');
  });

  it('an abstraction whose part is not JSON', () => {
    const parts = abstraction((node) => ({ ids: new Set([node.id]) }) as never, () => null);
    const model: Model = { ...alone(setup({}).createMachine({})), properties: [always('P', parts, () => true)] };
    expect(refusal(model)).toBe(`an abstraction's project, for node "a": part.ids is a Set, which is not plain JSON: use a sorted array of its members`);
  });

  it('a failure that is not about JSON is left as it was', () => {
    const bad = setup({}).createMachine({ id: 'bad', entry: [emit(persist({ set: { log: 1 } })), emit(persist({ append: { log: [1] } }))] });
    expect(() => check(alone(bad))).toThrow(new TypeError('durable key "log" is not a log'));
    expect(() => check(alone(bad))).not.toThrow(ModelError);
  });
});

describe('unanimous check on such a model', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const scratch = mkdtempSync(join(tmpdir(), 'unanimous-context-json-'));
  writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
  // The model file imports xstate as a model of one's own would: from the project's node_modules.
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('exit 2 and one line on stderr: the model, then where and what; no stack trace', () => {
    const path = join(scratch, 'set-votes.ts');
    writeFileSync(
      path,
      `import { setup } from 'xstate';
import { defineModel } from '${pathToFileURL(join(root, 'src/checker/index.ts')).href}';

const voter = setup({}).createMachine({ id: 'voter', initial: 'collecting', context: { votes: new Set<string>() }, states: { collecting: {} } });

export default defineModel({
  description: 'a voter that keeps its votes in a Set',
  build: () => ({ nodes: [{ id: 'v1', machine: voter, peers: [], config: {} }], network: 'multiset', properties: [] }),
});
`,
    );
    const run = spawnSync(process.execPath, [join(root, 'bin/unanimous.js'), 'check', path], { encoding: 'utf8', cwd: root });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `${path}: node "v1" (machine "voter"), starting in state "collecting": context.votes is a Set, which is not plain JSON: use a sorted array of its members`,
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain('TypeError');
    expect(run.stderr).not.toContain('canonicalJson');
  });
});

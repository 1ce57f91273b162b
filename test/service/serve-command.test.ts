import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/service/http-json.ts';

const BIN = join(import.meta.dirname, '../../bin/unanimous.js');
const dir = mkdtempSync(join(tmpdir(), 'unanimous-serve-'));
const started: ChildProcess[] = [];

afterAll(() => {
  // If a test failed half-way, take its processes down (the nodes follow when serve's pipes close).
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
/** The CLI run without blocking this process (its output and exit status once it exits). */
const spawnAsync = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UNANIMOUS_TOKEN: '', UNANIMOUS_CA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });

describe('unanimous serve, node and kv', () => {
  it('serve starts a local cluster, prints its endpoints, serves kv requests, and stops every node on SIGINT', async () => {
    const data = join(dir, 'cluster');
    const serve = spawn(process.execPath, [BIN, 'serve', '--nodes', '3', '--shards', '2', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(serve);
    let stdout = '';
    let stderr = '';
    serve.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!stdout.includes('Ctrl-C stops every node.')) {
      if (serve.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not come up: ${stdout}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stdout).toContain(`unanimous serve: 3 nodes, 2 shards, data in ${data}`);
    const endpoints = [...stdout.matchAll(/^ {2}n\d {2}(http:\/\/127\.0\.0\.1:\d+)/gm)].map((match) => match[1]!);
    expect(endpoints).toHaveLength(3);
    expect(stdout).toMatch(/shard s0: replicas n1, n2, n3; leader n\d \(term \d+\)/);

    const put = cli('kv', 'put', 'colour', 'blue', '--endpoint', endpoints[0]!);
    expect(put.status, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ key: 'colour', version: 1 });
    const get = cli('kv', 'get', 'colour', '--endpoint', endpoints[2]!);
    expect(get.status, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ key: 'colour', value: 'blue' });
    const aborted = cli('kv', 'txn', '{"compare":[{"key":"colour","value":"red"}],"ops":[{"op":"put","key":"colour","value":"green"}]}', '--endpoint', endpoints[1]!);
    expect(aborted.status).toBe(1);
    expect(aborted.stderr).toContain('compare failed: \\"colour\\" has value \\"blue\\", expected == \\"red\\"');
    const missing = cli('kv', 'get', 'nothing', '--endpoint', endpoints[1]!);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('404');

    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    serve.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('every node stopped');
    for (const endpoint of endpoints) await expect(requestJson(`${endpoint}/status?local=1`, { timeoutMs: 2_000 })).rejects.toThrow();
  }, 90_000);

  it('serve --tls --token makes a throwaway CA, prints where it is, and kv needs --ca and --token to be served', async () => {
    const data = join(dir, 'tls-cluster');
    const token = 'a-token-for-serve-tls-test';
    const serve = spawn(process.execPath, [BIN, 'serve', '--nodes', '1', '--shards', '1', '--data', data, '--tls', '--token', token], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(serve);
    let stdout = '';
    let stderr = '';
    serve.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!stdout.includes('Ctrl-C stops every node.')) {
      if (serve.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not come up: ${stdout}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const caFile = join(data, 'tls', 'ca.pem');
    expect(stdout).toContain(`TLS on every link; the CA certificate: ${caFile} (unanimous kv --ca ${caFile}, curl --cacert)`);
    expect(stdout).toContain('every client request must carry the token');
    expect(stdout).not.toContain(token);
    const endpoint = /^ {2}n1 {2}(https:\/\/127\.0\.0\.1:\d+)/m.exec(stdout)![1]!;
    const kv = (...args: string[]) => spawnAsync([BIN, 'kv', ...args, '--endpoint', endpoint]);
    const put = await kv('put', 'colour', 'green', '--ca', caFile, '--token', token);
    expect(put.status, put.stderr).toBe(0);
    const untrusted = await kv('get', 'colour', '--token', token);
    expect(untrusted.status).toBe(2);
    expect(untrusted.stderr).toContain("is --ca the CA that signed the nodes' certificates?");
    const anonymous = await kv('get', 'colour', '--ca', caFile);
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toContain('401');
    const badToken = cli('serve', '--token', 'short');
    expect(badToken.status).toBe(2);
    expect(badToken.stderr).toContain('--token must be a string of at least 16 characters');
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    serve.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 90_000);

  it('node and kv refuse bad arguments with exit status 2 and a clear message', () => {
    const noConfig = cli('node');
    expect(noConfig.status).toBe(2);
    expect(noConfig.stderr).toContain('node needs --config FILE');
    const badFile = join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ self: 'n9', dataDir: dir, nodes: [{ id: 'n1', host: '127.0.0.1', raftPort: 1, httpPort: 2 }], shards: [{ id: 's0', replicas: ['n1'] }] }));
    const badConfig = cli('node', '--config', badFile);
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr).toContain(`--config ${badFile}: self: "n9" is not one of the nodes (n1)`);
    const badAction = cli('kv', 'frob', '--endpoint', 'http://127.0.0.1:1');
    expect(badAction.status).toBe(2);
    expect(badAction.stderr).toContain('kv takes one of get, put, del, txn, status, transfer, member, replica, not "frob"');
    const membership: [string[], string][] = [
      [['member', 'join', 'n4'], 'usage: unanimous kv member add <node> <host> <raft-port> <http-port> | unanimous kv member remove <node> | unanimous kv member list'],
      [['member', 'add', 'n4', '127.0.0.1', '7104'], 'usage: unanimous kv member add <node> <host> <raft-port> <http-port> --endpoint URL'],
      [['member', 'add', 'n4', '127.0.0.1', '7104', 'x'], 'a port is a number from 1 to 65535, not "x"'],
      [['replica', 'move', 's0', 'n1'], 'usage: unanimous kv replica move <shard> <from-node> <to-node> --endpoint URL'],
    ];
    for (const [args, message] of membership) {
      const refused = cli('kv', ...args, '--endpoint', 'http://127.0.0.1:1');
      expect([refused.status, refused.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    const unreachable = cli('kv', 'get', 'a', '--endpoint', 'http://127.0.0.1:1');
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toContain('http://127.0.0.1:1');
  }, 60_000);
});

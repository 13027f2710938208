/** Real etcd members through the local provisioner: health, replication, leader election, pause, teardown. */
import assert from 'node:assert/strict';
import { etcdHealthy, httpJson } from '../../harness/backends/etcd.js';
import { waitUntil } from '../../harness/backends/process.js';
import type { NodeHandle } from '../../harness/backends/types.js';
import { useLocalBackends } from '../support/backends.js';

/** Fast raft timers so elections take well under a second. */
const FAST = { heartbeatMs: 50, electionMs: 500 } as const;

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function put(node: NodeHandle, key: string, value: string): Promise<void> {
  const { status } = await httpJson(node.endpoint.port, 'POST', '/v3/kv/put', { key: b64(key), value: b64(value) }, 3000);
  assert.equal(status, 200, `put via ${node.name}`);
}

async function get(node: NodeHandle, key: string): Promise<string | undefined> {
  const { status, body } = await httpJson(node.endpoint.port, 'POST', '/v3/kv/range', { key: b64(key) }, 3000);
  assert.equal(status, 200, `range via ${node.name}`);
  const kv = (body as { kvs?: { value: string }[] }).kvs?.[0];
  return kv ? Buffer.from(kv.value, 'base64').toString() : undefined;
}

describe('etcd backend (local)', function () {
  this.timeout(60_000);
  const { provision, assertTornDown } = useLocalBackends('etcd', { readyTimeoutMs: 20_000 });

  it('single member: health, leader, data survives a hard restart, teardown', async () => {
    const t0 = Date.now();
    const c = await provision({ kind: 'etcd', nodes: 1, ...FAST });
    console.log(`      1-member etcd ready in ${Date.now() - t0} ms`);
    const n = c.nodes[0];
    assert.deepEqual(Object.keys(n.ports).sort(), ['client', 'peer']);
    assert.equal(n.endpoint.port, n.ports.client);
    assert.equal(await etcdHealthy(n.endpoint.port), true);
    assert.equal(await c.leader!(), n);
    await put(n, 'k', 'v1');
    const pids = [n.pid()!];
    await n.restart({ hard: true });
    pids.push(n.pid()!);
    assert.equal(await get(n, 'k'), 'v1', 'data dir reused across restart');
    await n.restart();
    pids.push(n.pid()!);
    assert.equal(await get(n, 'k'), 'v1');
    await assertTornDown(c, pids);
  });

  it('3 members: replication, leader election after killing the leader, pause and resume', async () => {
    const t0 = Date.now();
    const c = await provision({ kind: 'etcd', nodes: 3, ...FAST });
    console.log(`      3-member etcd ready in ${Date.now() - t0} ms`);
    assert.equal(c.nodes.length, 3);
    for (const n of c.nodes) assert.equal(await etcdHealthy(n.endpoint.port), true, `${n.name} healthy`);
    const pids = c.nodes.map((n) => n.pid()!);

    await put(c.nodes[0], 'a', '1');
    assert.equal(await get(c.nodes[2], 'a'), '1', 'write via n1 readable via n3');

    const first = await c.leader!();
    assert.ok(first && c.nodes.includes(first), 'leader() names a member');

    await first.kill();
    assert.equal(first.state(), 'stopped');
    let second: NodeHandle | undefined;
    await waitUntil(async () => {
      second = await c.leader!();
      return second !== undefined && second !== first;
    }, { timeoutMs: 10_000, what: 'a new etcd leader' });
    assert.ok(second && second.state() === 'running');
    const survivor = c.nodes.find((n) => n !== first && n !== second)!;
    await put(second, 'b', '2');
    assert.equal(await get(survivor, 'b'), '2');

    await first.start();
    pids.push(first.pid()!);
    assert.equal(await etcdHealthy(first.endpoint.port), true, 'restarted member rejoins');
    assert.equal(await get(first, 'b'), '2');

    // Pause a follower: its client port stops answering; resume: it answers again.
    const leaderNow = await c.leader!();
    const victim = c.nodes.find((n) => n !== leaderNow)!;
    await victim.pause();
    assert.equal(victim.state(), 'paused');
    await assert.rejects(httpJson(victim.endpoint.port, 'GET', '/health', undefined, 500), /no answer within 500 ms/);
    await victim.resume();
    assert.equal(victim.state(), 'running');
    await waitUntil(() => etcdHealthy(victim.endpoint.port), { timeoutMs: 5000, what: `${victim.name} after resume` });

    await assertTornDown(c, pids);
  });
});

/** Real ZooKeeper JVMs through the local provisioner: standalone lifecycle, a 3-node ensemble's failover, teardown. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { assertPortFree } from '../../harness/backends/ports.js';
import { waitUntil } from '../../harness/backends/process.js';
import { ProvisionError, type NodeHandle } from '../../harness/backends/types.js';
import { fourLetterWord, parseMode, requireZookeeperRuntime, zkMode, zooCfg } from '../../harness/backends/zookeeper.js';
import { assertDead, useLocalBackends } from '../support/backends.js';

async function modeOf(n: NodeHandle): Promise<string | undefined> {
  return zkMode(n.endpoint, 1000);
}

describe('zookeeper backend (local)', function () {
  this.timeout(90_000);
  before(() => {
    requireZookeeperRuntime(); // fails naming the jar / java and the Debian packages when missing
  });
  const env = useLocalBackends('zk', { readyTimeoutMs: 45_000, clusterDirPrefix: 'zookeeper-' });
  const { provision, assertTornDown } = env;

  it('generates zoo.cfg for standalone and ensembles, and parses srvr', () => {
    const solo = zooCfg({ dataDir: '/d', clientPort: 2181, tickMs: 200 });
    assert.match(solo, /^tickTime=200$/m);
    assert.match(solo, /^clientPortAddress=127\.0\.0\.1$/m);
    assert.match(solo, /^admin\.enableServer=false$/m);
    assert.match(solo, /^4lw\.commands\.whitelist=srvr,stat,ruok,mntr/m);
    assert.doesNotMatch(solo, /^server\./m);
    const servers = [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', quorumPort: 3000 + id, electionPort: 4000 + id }));
    const ens = zooCfg({ dataDir: '/d', clientPort: 2181, tickMs: 50, servers });
    assert.deepEqual(ens.match(/^server\.\d=.*$/gm), ['server.1=127.0.0.1:3001:4001', 'server.2=127.0.0.1:3002:4002', 'server.3=127.0.0.1:3003:4003']);
    assert.equal(parseMode('Zookeeper version: 3.8.0\nMode: follower\nNode count: 5\n'), 'follower');
    assert.equal(parseMode('This ZooKeeper instance is not currently serving requests\n'), undefined);
  });

  it('standalone: start, srvr, pause, resume, stop, start, kill, restart, teardown', async () => {
    const t0 = Date.now();
    const c = await provision({ kind: 'zookeeper', nodes: 1 });
    console.log(`      standalone ZooKeeper ready in ${Date.now() - t0} ms`);
    assert.equal(c.nodes.length, 1);
    const n = c.nodes[0];
    assert.equal(n.name, 'n1');
    assert.equal(n.endpoint.host, '127.0.0.1');
    assert.equal(n.state(), 'running');
    assert.equal(await modeOf(n), 'standalone');
    assert.equal(await c.leader?.(), n, 'a standalone server leads itself');
    assert.equal((await fourLetterWord(n.endpoint, 'ruok')).trim(), 'imok');
    assert.ok(existsSync(n.logFile), 'log file exists');
    const pids = [n.pid()!];
    assert.ok(env.registry.snapshot().pids.some((p) => p.pid === pids[0]), 'pid registered');

    await n.pause();
    assert.equal(n.state(), 'paused');
    assert.equal(await modeOf(n), undefined, 'a paused server does not answer');
    await n.resume();
    assert.equal(await modeOf(n), 'standalone');

    await n.stop();
    assert.equal(n.state(), 'stopped');
    assert.equal(n.pid(), undefined);
    assertDead(pids[0]);
    await assertPortFree(n.endpoint.port);
    await n.start();
    pids.push(n.pid()!);
    assert.equal(await modeOf(n), 'standalone');

    await n.kill();
    assertDead(pids[1]);
    assert.equal(n.state(), 'stopped');
    await n.restart({ hard: true });
    pids.push(n.pid()!);
    assert.equal(n.state(), 'running');
    assert.equal(await modeOf(n), 'standalone');

    await assertTornDown(c, pids);
  });

  it('3-node ensemble: one leader; kill it and another takes over; the old leader rejoins as follower', async () => {
    const t0 = Date.now();
    const c = await provision({ kind: 'zookeeper', nodes: 3 });
    console.log(`      3-node ZooKeeper ensemble ready in ${Date.now() - t0} ms`);
    assert.deepEqual(c.nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
    for (const n of c.nodes) assert.deepEqual(Object.keys(n.ports).sort(), ['client', 'election', 'quorum']);
    const modes = await Promise.all(c.nodes.map(modeOf));
    assert.equal(modes.filter((m) => m === 'leader').length, 1, `one leader: ${modes.join(', ')}`);
    assert.equal(modes.filter((m) => m === 'follower').length, 2, `two followers: ${modes.join(', ')}`);
    const leader = await c.leader!();
    assert.ok(leader, 'leader() finds it');
    assert.equal(modes[c.nodes.indexOf(leader)], 'leader');
    const pids = c.nodes.map((n) => n.pid()!);

    const t1 = Date.now();
    await leader.kill();
    assertDead(pids[c.nodes.indexOf(leader)]);
    let next: NodeHandle | undefined;
    await waitUntil(async () => (next = await c.leader!()) !== undefined, { timeoutMs: 30_000, what: 'a new leader' });
    console.log(`      new leader ${next!.name} after ${Date.now() - t1} ms`);
    assert.notEqual(next, leader);

    await leader.start();
    pids.push(leader.pid()!);
    await waitUntil(async () => (await modeOf(leader)) === 'follower', { timeoutMs: 30_000, what: `${leader.name} as follower` });
    assert.equal(await c.leader!(), next, 'the new leader keeps leading');

    await assertTornDown(c, pids);
  });

  it('a start that fails mid-way kills and removes everything it made', async () => {
    const before = env.registry.snapshot().pids.length;
    await assert.rejects(
      provision({ kind: 'zookeeper', nodes: 1 }, { readyTimeoutMs: 1 }),
      (e: unknown) => e instanceof ProvisionError && /zookeeper n1 .*not ready/.test(e.message),
    );
    assert.equal(env.registry.snapshot().pids.length, before, 'nothing left registered');
    assert.deepEqual(readdirSync(env.ctx.tmpRoot).filter((d) => d.startsWith('zookeeper-')), []);
    await assert.rejects(
      provision({ kind: 'zookeeper', nodes: 2 as 3 }),
      (e: unknown) => e instanceof ProvisionError && /nodes must be 1, 3 or 5/.test(e.message),
    );
  });
});

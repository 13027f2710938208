/** Real redis-server processes through the local provisioner: lifecycle, replication, persistence, teardown. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../../harness/backends/process.js';
import { redisCommand, redisPing } from '../../harness/backends/redis.js';
import { ProvisionError } from '../../harness/backends/types.js';
import { assertDead, useLocalBackends } from '../support/backends.js';

describe('redis backend (local)', function () {
  this.timeout(60_000);
  const env = useLocalBackends('redis', { readyTimeoutMs: 15_000 });
  const { provision, assertTornDown } = env;

  it('single: start, pause, resume, stop, start, kill, restart, teardown', async () => {
    const t0 = Date.now();
    const c = await provision({ kind: 'redis', topology: 'single' });
    const startMs = Date.now() - t0;
    console.log(`      single redis ready in ${startMs} ms`);
    assert.equal(c.nodes.length, 1);
    const n = c.nodes[0];
    assert.equal(c.primary?.(), n);
    assert.equal(n.name, 'n1');
    assert.equal(n.endpoint.host, '127.0.0.1');
    assert.equal(n.state(), 'running');
    assert.ok(existsSync(n.logFile), 'log file exists');
    const port = n.endpoint.port;
    assert.equal(await redisCommand(port, ['SET', 'k', 'v']), 'OK');
    const pids = [n.pid()!];
    assert.ok(env.registry.snapshot().pids.some((p) => p.pid === pids[0]), 'pid registered');

    await n.pause();
    assert.equal(n.state(), 'paused');
    await assert.rejects(redisCommand(port, ['PING'], 300), /did not answer/);
    await n.pause(); // idempotent
    await n.resume();
    assert.equal(n.state(), 'running');
    assert.equal(await redisPing(port), true);

    await n.stop();
    assert.equal(n.state(), 'stopped');
    assert.equal(n.pid(), undefined);
    assertDead(pids[0]);
    await n.stop(); // idempotent
    await n.start();
    assert.equal(n.endpoint.port, port);
    pids.push(n.pid()!);
    assert.equal(await redisPing(port), true);

    await n.kill();
    assert.equal(n.state(), 'stopped');
    assertDead(pids[1]);
    await n.restart({ hard: true });
    pids.push(n.pid()!);
    assert.equal(n.state(), 'running');
    await n.restart();
    pids.push(n.pid()!);
    assert.equal(new Set(pids).size, pids.length, 'every start is a new process');
    assert.equal(await redisPing(port), true);

    await assertTornDown(c, pids);
  });

  it('replicated: a write on the primary is readable on every replica', async () => {
    const c = await provision({ kind: 'redis', topology: 'replicated', nodes: 3 });
    assert.equal(c.nodes.length, 3);
    const primary = c.primary!();
    assert.equal(primary.name, 'n1');
    assert.equal(await redisCommand(primary.endpoint.port, ['SET', 'x', '42']), 'OK');
    for (const r of c.nodes.slice(1)) {
      await waitUntil(async () => (await redisCommand(r.endpoint.port, ['GET', 'x'])) === '42', {
        timeoutMs: 5000,
        what: `replica ${r.name} sees x=42`,
      });
      const err = await redisCommand(r.endpoint.port, ['SET', 'y', '1']);
      assert.match(String((err as { message?: string }).message), /READONLY/);
    }
    // A restarted replica resyncs from the primary.
    const r2 = c.nodes[1];
    await r2.restart({ hard: true });
    assert.equal(await redisCommand(primary.endpoint.port, ['SET', 'x', '43']), 'OK');
    await waitUntil(async () => (await redisCommand(r2.endpoint.port, ['GET', 'x'])) === '43', {
      timeoutMs: 5000,
      what: 'restarted replica sees x=43',
    });
    const pids = c.nodes.map((n) => n.pid()!);
    await assertTornDown(c, pids);
  });

  it('independent: N unrelated nodes on distinct ports', async () => {
    const c = await provision({ kind: 'redis', topology: 'independent', nodes: 3 });
    assert.equal(c.nodes.length, 3);
    assert.equal(c.primary, undefined);
    assert.equal(new Set(c.nodes.map((n) => n.endpoint.port)).size, 3);
    assert.equal(new Set(c.nodes.map((n) => n.dataDir)).size, 3);
    await redisCommand(c.nodes[0].endpoint.port, ['SET', 'lock', 'a']);
    assert.equal(await redisCommand(c.nodes[1].endpoint.port, ['GET', 'lock']), null);
    assert.equal(await redisCommand(c.nodes[2].endpoint.port, ['SET', 'lock', 'b', 'NX']), 'OK');
    await assertTornDown(c, c.nodes.map((n) => n.pid()!));
  });

  it('AOF on: acknowledged writes survive kill -9 and restart', async () => {
    const c = await provision({ kind: 'redis', topology: 'single', persistence: { aof: true, appendfsync: 'always' } });
    const n = c.nodes[0];
    for (let i = 0; i < 20; i++) assert.equal(await redisCommand(n.endpoint.port, ['RPUSH', 'l', String(i)]), i + 1);
    await n.kill();
    await n.start();
    assert.equal(await redisCommand(n.endpoint.port, ['LLEN', 'l']), 20);
    await assertTornDown(c, [n.pid()!]);
  });

  it('AOF off: kill -9 and restart loses the data', async () => {
    const c = await provision({ kind: 'redis', topology: 'single' });
    const n = c.nodes[0];
    await redisCommand(n.endpoint.port, ['SET', 'gone', '1']);
    await n.kill();
    await n.start();
    assert.equal(await redisCommand(n.endpoint.port, ['GET', 'gone']), null);
    await assertTornDown(c, [n.pid()!]);
  });

  it('rejects bad specs and names the package when redis-server is missing', async () => {
    await assert.rejects(provision({ kind: 'redis', topology: 'single', nodes: 2 }), ProvisionError);
    await assert.rejects(provision({ kind: 'redis', topology: 'replicated', nodes: 1 }), ProvisionError);
    const path = process.env.PATH;
    process.env.PATH = join(env.root, 'empty-bin');
    try {
      await assert.rejects(provision({ kind: 'redis', topology: 'single' }), (e: Error) => {
        assert.ok(e instanceof ProvisionError);
        assert.match(e.message, /redis-server not found on PATH; install it with: apt-get install redis-server/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });

  it('peerLink routes replicas; a failure mid-start tears down what already started', async () => {
    const dead = { host: '127.0.0.1', port: 1 }; // nothing listens: replicas never sync
    const links: string[] = [];
    const before = env.registry.snapshot().pids.length;
    const t0 = Date.now();
    await assert.rejects(
      provision(
        { kind: 'redis', topology: 'replicated', nodes: 2 },
        {
          readyTimeoutMs: 1500,
          peerLink: async (from, to, target) => {
            links.push(`${from}->${to}:${target.port}`);
            return dead;
          },
        },
      ),
      (e: Error) => {
        assert.ok(e instanceof ProvisionError, String(e));
        assert.match(e.message, /redis n2 \(127\.0\.0\.1:\d+\) not ready after 1\.\d s; last lines of .*redis-n2\.log/);
        return true;
      },
    );
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(links.length, 1);
    assert.match(links[0], /^n2->n1:\d+$/);
    assert.equal(env.registry.snapshot().pids.length, before, 'primary and replica were killed and unregistered');
    assert.equal(existsSync(join(env.ctx.tmpRoot, 'redis-n1')), false, 'data dirs removed');
  });
});

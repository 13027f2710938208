/**
 * The containers provisioner: without a Docker daemon it must fail at once with an actionable message; with one,
 * a real Redis container goes through the NodeHandle lifecycle.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerRecipe, containersProvisioner } from '../../harness/backends/containers.js';
import { dockerAvailable, getProvisioner, PROVISIONERS, UnknownProvisionerError } from '../../harness/backends/provisioner.js';
import { ProvisionError, type Cluster, type Endpoint, type ProvisionContext } from '../../harness/backends/types.js';

const NO_DAEMON = /^containers provisioner: no Docker daemon answers \(.+\); use --provisioner local \(the default\)$/;

/** `PING` -> `+PONG` within `ms`, else false. */
function ping(e: Endpoint, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(e.port, e.host);
    const t = setTimeout(() => (s.destroy(), resolve(false)), ms);
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => (clearTimeout(t), s.destroy(), resolve(d.toString().startsWith('+PONG'))));
    s.once('error', () => (clearTimeout(t), resolve(false)));
  });
}

describe('containers provisioner', function () {
  this.timeout(180_000);
  let root: string;
  let ctx: ProvisionContext;
  let docker: { ok: boolean; detail: string };
  const clusters: Cluster[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'faultline-containers-'));
    ctx = { logDir: join(root, 'logs'), tmpRoot: join(root, 'tmp'), registry: { add() {}, remove() {} }, log: () => {} };
    docker = await dockerAvailable();
  });

  after(async () => {
    await Promise.allSettled(clusters.map((c) => c.teardown()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('getProvisioner resolves both names and lists them for an unknown one', async () => {
    assert.deepEqual(PROVISIONERS, ['local', 'containers']);
    assert.equal((await getProvisioner('local')).name, 'local');
    assert.equal((await getProvisioner('containers')).name, 'containers');
    await assert.rejects(
      getProvisioner('kubernetes'),
      (e: unknown) => e instanceof UnknownProvisionerError && /"kubernetes".*local, containers/.test(e.message),
    );
  });

  it('multi-node topologies say they are not supported yet and point at local', () => {
    assert.throws(() => containerRecipe({ kind: 'etcd', nodes: 3 }, 1), /not supported by the containers provisioner yet: use --provisioner local/);
    assert.throws(() => containerRecipe({ kind: 'zookeeper', nodes: 5 }, 1), /not supported.*use --provisioner local/);
    assert.throws(() => containerRecipe({ kind: 'redis', topology: 'replicated', nodes: 3 }, 1), /not supported.*local/);
    assert.equal(containerRecipe({ kind: 'postgres' }, 1).image, 'postgres:15');
  });

  it('without a Docker daemon, provision fails at once with the message', async function () {
    if (docker.ok) {
      console.log(`      skipped: a Docker daemon answers (${docker.detail})`);
      this.skip();
    }
    for (const spec of [{ kind: 'redis', topology: 'single' }, { kind: 'postgres' }] as const) {
      const t0 = Date.now();
      await assert.rejects(containersProvisioner.provision(spec, ctx), (e: unknown) => {
        assert.ok(e instanceof ProvisionError, `a ProvisionError, got ${String(e)}`);
        assert.match(e.message, NO_DAEMON);
        return true;
      });
      assert.ok(Date.now() - t0 < 4000, `failed within a few seconds (${Date.now() - t0} ms)`);
    }
  });

  it('with a Docker daemon: a Redis container through start, pause, resume, kill, restart, teardown', async function () {
    if (!docker.ok) {
      console.log(`      skipped: no Docker daemon answers (${docker.detail})`);
      this.skip();
    }
    const c = await containersProvisioner.provision({ kind: 'redis', topology: 'single' }, ctx);
    clusters.push(c);
    const n = c.nodes[0];
    assert.equal(c.primary?.(), n);
    assert.equal(await ping(n.endpoint), true);
    await n.pause();
    assert.equal(n.state(), 'paused');
    assert.equal(await ping(n.endpoint), false, 'a paused container does not answer');
    await n.resume();
    assert.equal(await ping(n.endpoint), true);
    await n.kill();
    assert.equal(n.state(), 'stopped');
    assert.equal(await ping(n.endpoint), false);
    await n.restart({ hard: true });
    assert.equal(await ping(n.endpoint), true, 'same port after restart');
    await c.teardown();
    await c.teardown();
    assert.equal(await ping(n.endpoint), false);
  });
});

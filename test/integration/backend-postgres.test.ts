/** A real PostgreSQL cluster through the local provisioner: psql round trips, pause, kill -9 + restart, teardown. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childPids, postgresBinDir } from '../../harness/backends/postgres.js';
import { findOnPath } from '../../harness/backends/process.js';
import type { Cluster, NodeHandle, ProvisionContext } from '../../harness/backends/types.js';
import { useLocalBackends } from '../support/backends.js';

/** Runs one statement through psql (argument array, 2 s connect timeout); resolves stdout, rejects with stderr. */
function psql(n: NodeHandle, sql: string): Promise<string> {
  const args = ['-h', '127.0.0.1', '-p', String(n.endpoint.port), '-U', 'postgres', '-d', 'postgres', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql];
  return new Promise((resolve, reject) => {
    execFile('psql', args, { env: { ...process.env, PGCONNECT_TIMEOUT: '2' }, timeout: 15_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`psql failed: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout).trim()),
    );
  });
}

/** The postmaster and every (non-zombie) child it forked: backends, checkpointer, walwriter, ... */
function serverProcesses(postmaster: number): number[] {
  return [postmaster, ...childPids(postmaster)];
}

/** SysV shared-memory segment ids (a SIGKILLed postmaster leaves one behind). */
function shmIds(): Set<string> {
  try {
    return new Set(readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean));
  } catch {
    return new Set();
  }
}

/** Gone, or a zombie (an orphaned child waits for init to reap it; it holds nothing). */
function assertDead(pid: number): void {
  let state: string | undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return;
  }
  assert.equal(state, 'Z', `pid ${pid} still alive (state ${state})`);
}

describe('postgres backend (local)', function () {
  this.timeout(90_000);
  before(() => {
    assert.ok(postgresBinDir(), 'initdb/postgres not found: apt-get install postgresql');
    assert.ok(findOnPath('psql'), 'psql not found on PATH: apt-get install postgresql-client');
  });
  const env = useLocalBackends('pg', { readyTimeoutMs: 30_000, clusterDirPrefix: 'postgres-', assertDead });
  before(() => chmod(env.root, 0o755)); // like a run directory: the postgres user may pass through
  const provision = (over: Partial<ProvisionContext> = {}): Promise<Cluster> => env.provision({ kind: 'postgres' }, over);

  it('start, psql, pause (connect times out), resume, kill -9 + restart on the same data, teardown', async () => {
    const shmBefore = shmIds();
    const t0 = Date.now();
    const c = await provision();
    console.log(`      PostgreSQL (initdb + start) ready in ${Date.now() - t0} ms`);
    const n = c.nodes[0];
    assert.equal(c.primary?.(), n);
    assert.equal(n.endpoint.host, '127.0.0.1');
    assert.ok(n.dataDir.startsWith(env.ctx.tmpRoot), `data dir ${n.dataDir} under tmpRoot`);
    assert.equal(await psql(n, 'select 1'), '1');
    if (process.getuid?.() === 0) {
      assert.equal(await psql(n, 'select current_setting(\'data_directory\') is not null'), 't');
      const uid = readFileSync(`/proc/${n.pid()}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1];
      assert.notEqual(uid, '0', 'the postmaster does not run as root');
    }
    await psql(n, 'create table t (k int primary key, v text); insert into t values (1, \'kept\')');
    const pids = [n.pid()!];

    await n.pause();
    const tp = Date.now();
    await assert.rejects(psql(n, 'select 1'), /timeout|timed out/i);
    assert.ok(Date.now() - tp < 10_000, 'the attempt gives up on its connect timeout');
    await n.resume();
    assert.equal(await psql(n, 'select 1'), '1');

    const members = serverProcesses(pids[0]);
    assert.ok(members.length > 1, `postmaster has children: ${members.join(', ')}`);
    // A session opened before the pause hangs too: the backends are paused with the postmaster.
    await n.pause();
    for (const pid of childPids(pids[0])) {
      assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1], /^T/, `child ${pid} stopped`);
    }
    await n.resume();
    await n.kill();
    for (const pid of members) assertDead(pid);
    await n.restart({ hard: true });
    pids.push(n.pid()!);
    assert.notEqual(pids[1], pids[0]);
    assert.equal(await psql(n, 'select v from t where k = 1'), 'kept', 'data survives kill -9 + restart');

    await n.stop();
    assert.equal(n.state(), 'stopped');
    await n.start();
    pids.push(n.pid()!);
    await env.assertTornDown(c, [...pids, ...serverProcesses(n.pid()!)]);
    assert.deepEqual([...shmIds()].filter((id) => !shmBefore.has(id)), [], 'no shared memory left behind');
  });

  it('teardown right after a kill -9 leaves no shared memory; an unreachable tmpRoot falls back to the OS temp dir', async function () {
    const shmBefore = shmIds();
    const hidden = join(env.root, 'private');
    await mkdir(hidden, { mode: 0o700 });
    const c = await provision({ tmpRoot: join(hidden, 'tmp') });
    const n = c.nodes[0];
    if (process.getuid?.() === 0) {
      assert.ok(n.dataDir.startsWith(tmpdir()) && !n.dataDir.startsWith(hidden), `fell back: ${n.dataDir}`);
    }
    assert.equal(await psql(n, 'select 2'), '2');
    const members = serverProcesses(n.pid()!);
    await n.kill();
    await c.teardown();
    for (const pid of members) assertDead(pid);
    assert.equal(existsSync(n.dataDir), false);
    assert.deepEqual([...shmIds()].filter((id) => !shmBefore.has(id)), [], 'no shared memory left behind');
  });
});

/**
 * Clients as OS processes (`harness/client-process.ts`) against a real redis-server started by the local
 * provisioner: ops through a forked child, pid registration, SIGSTOP/SIGCONT of a client process (an aborted op is
 * `info`, never `fail`), open failures, close/closeAll leaving nothing behind, and a child killed mid-op.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localProvisioner } from '../../harness/backends/local.js';
import type { Cluster, ProvisionContext } from '../../harness/backends/types.js';
import { processClientFactory, type ProcessClientFactory } from '../../harness/client-process.js';
import { PidRegistry } from '../../harness/pid-registry.js';
import { Rng } from '../../harness/seed.js';
import { redisRegisterClient } from '../../workloads/register/index.js';
import type { Client, ClientContext, OpRequest } from '../../workloads/types.js';

const OP_TIMEOUT_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;
const read = (key: string): OpRequest => ({ f: 'read', key, value: null });
const write = (key: string, v: number): OpRequest => ({ f: 'write', key, value: v });

/** Field 3 of /proc/<pid>/stat (R, S, T, Z, ...), or undefined when there is no such process. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** True when no process `pid` exists (kill 0 -> ESRCH). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('client processes (register-redis)', function () {
  this.timeout(30_000);
  let root: string;
  let registry: PidRegistry;
  let cluster: Cluster;
  let endpoints: ClientContext['endpoints'];
  let factory: ProcessClientFactory;
  let logFile: string;

  const ctxFor = (worker: number): ClientContext => ({ endpoints, worker, opTimeoutMs: OP_TIMEOUT_MS, rng: new Rng(7).fork(`client-${worker}`) });
  const registered = (pid: number) => registry.snapshot().pids.some((p) => p.pid === pid);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'faultline-client-process-'));
    registry = new PidRegistry(join(root, 'store'));
    const ctx: ProvisionContext = { logDir: join(root, 'logs'), tmpRoot: join(root, 'tmp'), registry, log: () => {}, readyTimeoutMs: 20_000 };
    cluster = await localProvisioner.provision({ kind: 'redis', topology: 'single' }, ctx);
    endpoints = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    logFile = join(root, 'logs', 'clients.log');
    factory = processClientFactory({ scenarioRef: 'register-redis', seed: 7, registry, logFile });
    await factory.setup!(endpoints);
  });

  after(async () => {
    await factory?.closeAll();
    await cluster?.teardown();
    registry?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('runs ops in a separate, registered process: write then read returns the value', async () => {
    const c = await factory.open(ctxFor(0));
    const pid = factory.pids().get(0)!;
    assert.ok(pid > 0 && pid !== process.pid, `child pid ${pid}`);
    assert.ok(registered(pid), 'the child pid is in the registry');
    assert.equal(registry.snapshot().pids.find((p) => p.pid === pid)!.name, 'client-0');
    assert.deepEqual(await c.invoke(read('absent'), never()), { type: 'ok', value: null, node: 'n1' });
    assert.equal((await c.invoke(write('a', 17), never())).type, 'ok');
    const r = await c.invoke(read('a'), never());
    assert.deepEqual(r, { type: 'ok', value: 17, node: 'n1' });
    // An already aborted signal: nothing is sent, so fail.
    const ac = new AbortController();
    ac.abort();
    assert.equal((await c.invoke(write('a', 99), ac.signal)).type, 'fail');
    assert.equal((await c.invoke(read('a'), never())).value, 17);
    await c.close();
    assert.ok(gone(pid), 'closed child is gone');
    assert.ok(!registered(pid), 'closed child is unregistered');
    assert.equal(factory.pids().has(0), false);
    // A closed client answers fail at once (nothing can be sent) and close is idempotent.
    assert.equal((await c.invoke(read('a'), never())).type, 'fail');
    await c.close();
  });

  it('per-op overhead: IPC round trip vs in-process client', async () => {
    const N = 300;
    const inproc = await redisRegisterClient().open(ctxFor(9));
    const proc = await factory.open(ctxFor(9));
    try {
      const time = async (c: Client): Promise<number> => {
        for (let i = 0; i < 20; i++) await c.invoke(read('a'), never()); // warm up
        const t0 = performance.now();
        for (let i = 0; i < N; i++) assert.equal((await c.invoke(i % 2 ? read('o') : write('o', i), never())).type, 'ok');
        return (performance.now() - t0) / N;
      };
      const a = await time(inproc);
      const b = await time(proc);
      console.log(`      per op: in-process ${(a * 1000).toFixed(0)} us, client process ${(b * 1000).toFixed(0)} us (IPC overhead ~${((b - a) * 1000).toFixed(0)} us)`);
    } finally {
      await inproc.close();
      await proc.close();
    }
  });

  it('pause: an op aborted after 300 ms is info and the child is stopped (T); resume: the next op is ok', async () => {
    const c = await factory.open(ctxFor(1));
    const pid = factory.pids().get(1)!;
    assert.equal((await c.invoke(write('p', 1), never())).type, 'ok');
    assert.equal(factory.pause(1), true);
    try {
      await waitFor(() => procState(pid) === 'T', 2000, `pid ${pid} to be stopped`);
      const t0 = performance.now();
      const out = await c.invoke(read('p'), AbortSignal.timeout(300));
      const ms = performance.now() - t0;
      assert.equal(out.type, 'info', JSON.stringify(out));
      assert.match(out.error ?? '', /no answer from client process/);
      assert.ok(ms >= 250 && ms < 1000, `came back after ${ms.toFixed(0)} ms`);
      assert.equal(procState(pid), 'T', 'still frozen');
    } finally {
      assert.equal(factory.resume(1), true);
    }
    await waitFor(() => procState(pid) !== 'T', 2000, `pid ${pid} to run again`);
    const w = await c.invoke(write('p', 2), never());
    assert.equal(w.type, 'ok', JSON.stringify(w));
    assert.equal((await c.invoke(read('p'), never())).value, 2);
    await c.close();
    assert.ok(gone(pid));
  });

  it('close() of a frozen child kills it and unregisters it', async () => {
    const c = await factory.open(ctxFor(2));
    const pid = factory.pids().get(2)!;
    factory.pause(2);
    await waitFor(() => procState(pid) === 'T', 2000, 'stopped');
    const t0 = performance.now();
    await c.close();
    assert.ok(performance.now() - t0 < 1000, 'no graceful wait on a frozen child');
    assert.ok(gone(pid));
    assert.ok(!registered(pid));
  });

  it('a child that cannot open rejects with the reason and leaves no process behind', async () => {
    const bad = processClientFactory({ scenarioRef: 'no-such-scenario', seed: 1, registry });
    const before = registry.snapshot().pids.length;
    await assert.rejects(bad.open(ctxFor(3)), /unknown scenario "no-such-scenario"/);
    assert.equal(bad.pids().size, 0);
    assert.equal(registry.snapshot().pids.length, before, 'the failed child was unregistered');
    const missing = processClientFactory({ scenarioRef: join(root, 'missing.ts'), seed: 1, registry });
    await assert.rejects(missing.open(ctxFor(3)), /scenario file not found/);
  });

  it('a child SIGKILLed mid-op gives info with the exit reason; later ops fail (not sent)', async () => {
    const c = await factory.open(ctxFor(4));
    const pid = factory.pids().get(4)!;
    assert.equal((await c.invoke(read('k'), never())).type, 'ok');
    factory.pause(4); // the op is sent but never answered
    const inflight = c.invoke(write('k', 1), never());
    await sleep(100);
    process.kill(pid, 'SIGKILL');
    const out = await inflight;
    assert.equal(out.type, 'info', JSON.stringify(out));
    assert.match(out.error ?? '', /SIGKILL/);
    assert.ok(!registered(pid));
    const after = await c.invoke(write('k', 2), never());
    assert.equal(after.type, 'fail', JSON.stringify(after));
    await c.close();
  });

  it('closeAll() leaves no child alive and the registry holds no client pid', async () => {
    const clients = await Promise.all([5, 6, 7].map((w) => factory.open(ctxFor(w))));
    const pids = [...factory.pids().values()];
    assert.equal(pids.length, 3);
    factory.pause(6); // one frozen, the rest idle
    const busy = clients[0]!.invoke(read('x'), never());
    await factory.closeAll();
    for (const pid of pids) assert.ok(gone(pid), `pid ${pid} still alive`);
    assert.deepEqual(registry.snapshot().pids.filter((p) => p.name.startsWith('client-')), []);
    assert.equal(factory.pids().size, 0);
    // An op racing close settles (whatever the child's client could prove: a read cut short is fail, a write info).
    const out = await busy;
    assert.ok(['ok', 'fail', 'info'].includes(out.type), JSON.stringify(out));
    assert.ok((await readFile(logFile, 'utf8')).includes('client process for worker 5'), 'children log to logFile');
  });
});

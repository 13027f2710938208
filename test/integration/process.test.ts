/** ManagedProcess, waitUntil and freePorts against real child processes. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { assertPortFree, freePorts } from '../../harness/backends/ports.js';
import { ManagedProcess, sleep, waitUntil, type SpawnSpec } from '../../harness/backends/process.js';
import { ProvisionError, type PidRegistrar } from '../../harness/backends/types.js';
import { useTempRoot } from '../support/backends.js';

/** Running (a zombie counts as dead: an orphaned grandchild waits for an init that may never reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('ManagedProcess', function () {
  this.timeout(20_000);
  const procs: ManagedProcess[] = [];
  const root = useTempRoot('proc', () => Promise.allSettled(procs.map((p) => p.kill())));
  const added: number[] = [];
  const removed: number[] = [];
  const registry: PidRegistrar = { add: (pid) => added.push(pid), remove: (pid) => removed.push(pid) };

  function make(name: string, command: string, args: string[], extra: Partial<SpawnSpec> = {}): ManagedProcess {
    const p = new ManagedProcess({ name, command, args, logFile: join(root.path, 'logs', 'deep', `${name}.log`), ...extra }, registry);
    procs.push(p);
    return p;
  }

  it('appends output to the log, runs in its own group, kill() reaps the whole group', async () => {
    const p = make('group', 'sh', ['-c', 'echo "hello $GREETING"; sleep 60 & echo "child $!"; wait'], { env: { GREETING: 'world' } });
    assert.equal(p.running, false);
    assert.deepEqual(await p.exited(), { code: null, signal: null });
    p.start();
    const pid = p.pid!;
    assert.ok(added.includes(pid));
    let child = 0;
    await waitUntil(async () => {
      const m = /child (\d+)/.exec(await p.tailLog());
      if (m) child = Number(m[1]);
      return child > 0;
    }, { timeoutMs: 5000, what: 'grandchild pid' });
    assert.match(await p.tailLog(), /hello world/);
    assert.ok(alive(child));
    await p.kill();
    assert.equal(p.running, false);
    assert.equal(p.pid, undefined);
    assert.ok(removed.includes(pid));
    assert.equal(p.lastExit?.signal, 'SIGKILL');
    await sleep(50);
    assert.equal(alive(child), false, 'the forked sleep died with its group');
    await p.kill(); // idempotent
    p.start(); // a second incarnation, appended to the same log
    await p.stop(1000);
    assert.equal((readFileSync(p.logFile, 'utf8').match(/--- faultline .* start group/g) ?? []).length, 2);
  });

  it('pause/resume stop and continue the group; stop() escalates to SIGKILL after the grace period', async () => {
    const p = make('stubborn', 'sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done']);
    p.start();
    p.pause();
    await sleep(50);
    assert.match(readFileSync(`/proc/${p.pid}/stat`, 'utf8'), /\) T /, 'stopped state');
    p.resume();
    await sleep(50);
    assert.doesNotMatch(readFileSync(`/proc/${p.pid}/stat`, 'utf8'), /\) T /);
    const t0 = Date.now();
    await Promise.all([p.stop(300), p.stop(300)]);
    assert.ok(Date.now() - t0 >= 280);
    assert.equal(p.lastExit?.signal, 'SIGKILL');
  });

  it('stop() of a paused process still terminates it gracefully', async () => {
    const p = make('paused', 'sleep', ['60']);
    p.start();
    p.pause();
    await p.stop(3000);
    assert.equal(p.lastExit?.signal, 'SIGTERM');
  });

  it('runs as another OS user when we are root', async () => {
    const p = make('as-nobody', 'id', ['-u'], { user: 'nobody' });
    p.start();
    assert.equal((await p.exited()).code, 0);
    const expected = process.getuid?.() === 0 ? '65534' : String(process.getuid?.());
    assert.match(await p.tailLog(1), new RegExp(`^${expected}$`));
    assert.throws(() => make('no-user', 'true', [], { user: 'faultline-no-such-user' }).start(), /no OS user named/);
  });

  it('start() of a missing executable throws a ProvisionError naming it', () => {
    const p = make('missing', 'faultline-no-such-binary', []);
    assert.throws(() => p.start(), (e: Error) => e instanceof ProvisionError && /faultline-no-such-binary not found on PATH/.test(e.message));
    assert.equal(p.running, false);
  });

  it('waitUntil fails at once with exit status and log tail when the process dies', async () => {
    const p = make('crash', 'sh', ['-c', 'echo "fatal: bad config" >&2; exit 3']);
    p.start();
    const t0 = Date.now();
    await assert.rejects(waitUntil(async () => false, { timeoutMs: 10_000, what: 'crashy', proc: p }), (e: Error) => {
      assert.ok(e instanceof ProvisionError);
      assert.match(e.message, /^crashy exited before it was ready \(exit code 3\); last lines of .*crash\.log:\n[^]*fatal: bad config/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
  });

  it('waitUntil times out with the elapsed time, and tolerates probe errors', async () => {
    let calls = 0;
    await waitUntil(async () => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      return true;
    }, { timeoutMs: 2000, intervalMs: 10, what: 'x' });
    await assert.rejects(
      waitUntil(() => new Promise<boolean>(() => {}), { timeoutMs: 200, what: 'hung probe' }),
      /^ProvisionError: hung probe not ready after 0\.\d s$|hung probe not ready after 0\.\d s/,
    );
  });
});

describe('ports', () => {
  it('freePorts hands out distinct, free ports and never repeats one', async () => {
    const a = await freePorts(5);
    const b = await freePorts(5);
    assert.equal(new Set([...a, ...b]).size, 10);
    for (const p of a) await assertPortFree(p);
  });

  it('assertPortFree says which port is in use', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      await assert.rejects(assertPortFree(port), (e: Error) => e instanceof ProvisionError && e.message.includes(`port ${port} on 127.0.0.1 is in use`));
    } finally {
      srv.close();
    }
  });
});

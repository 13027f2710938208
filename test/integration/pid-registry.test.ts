/** The pid registry file and orphan reaping, with real `sleep` processes standing in for backends. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from '../../harness/backends/process.js';
import type { PidRegistrar } from '../../harness/backends/types.js';
import { pidDir, PidRegistry, processStartTime, reapOrphans, type PidRegistryFile } from '../../harness/pid-registry.js';
import { useTempRoot } from '../support/backends.js';

const noRegistry: PidRegistrar = { add() {}, remove() {} };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pid registry', function () {
  this.timeout(20_000);
  const procs: ManagedProcess[] = [];
  const root = useTempRoot('pids', () => Promise.allSettled(procs.map((p) => p.kill())));

  function sleeper(name: string, registry: PidRegistrar = noRegistry): ManagedProcess {
    const p = new ManagedProcess({ name, command: 'sleep', args: ['60'], logFile: join(root.path, 'logs', `${name}.log`) }, registry);
    procs.push(p);
    p.start();
    return p;
  }

  /** The pid of a process that has exited (and been reaped). */
  async function deadPid(): Promise<number> {
    const p = new ManagedProcess({ name: 'true', command: 'true', args: [], logFile: join(root.path, 'logs', 'true.log') }, noRegistry);
    p.start();
    const pid = p.pid!;
    await p.exited();
    return pid;
  }

  function forge(store: string, f: PidRegistryFile): string {
    mkdirSync(pidDir(store), { recursive: true });
    const file = join(pidDir(store), `${f.harnessPid}.json`);
    writeFileSync(file, JSON.stringify(f));
    return file;
  }

  it('processStartTime reads /proc for live pids only', async () => {
    assert.match(processStartTime(process.pid) ?? '', /^\d+$/);
    assert.equal(processStartTime(await deadPid()), undefined);
  });

  it('records pids and tmp dirs atomically, and close() deletes the file', async () => {
    const store = join(root.path, 'store-a');
    const reg = new PidRegistry(store, { runDir: '/somewhere/run' });
    const read = () => JSON.parse(readFileSync(reg.file, 'utf8')) as PidRegistryFile;
    assert.equal(reg.file, join(store, '.pids', `${process.pid}.json`));
    assert.equal(read().harnessPid, process.pid);
    assert.equal(read().harnessStart, processStartTime(process.pid));
    assert.equal(read().runDir, '/somewhere/run');

    const p = sleeper('rec', reg);
    const entry = read().pids.find((e) => e.pid === p.pid);
    assert.ok(entry, 'ManagedProcess.start registers');
    assert.equal(entry.pgid, p.pid, 'own process group');
    assert.equal(entry.start, processStartTime(p.pid!));
    assert.equal(entry.name, 'rec');
    assert.equal(entry.command, 'sleep 60');

    reg.addTmpDir(join(root.path, 'x'));
    reg.addTmpDir(join(root.path, 'x'));
    assert.deepEqual(read().tmpDirs, [join(root.path, 'x')]);
    reg.removeTmpDir(join(root.path, 'x'));
    assert.deepEqual(read().tmpDirs, []);

    await p.kill();
    assert.deepEqual(read().pids, [], 'kill unregisters');
    assert.equal(existsSync(`${reg.file}.${process.pid}.tmp`), false);
    reg.close();
    assert.equal(existsSync(reg.file), false);
  });

  it('reapOrphans kills groups left by a dead harness, removes its dirs and file', async () => {
    const store = join(root.path, 'store-b');
    const orphan = sleeper('orphan');
    const pid = orphan.pid!;
    const leftover = join(root.path, 'leftover-tmp');
    mkdirSync(join(leftover, 'redis-n1'), { recursive: true });
    const file = forge(store, {
      harnessPid: await deadPid(),
      harnessStart: '1',
      pids: [{ pid, pgid: pid, start: processStartTime(pid)!, name: 'orphan', command: 'sleep 60' }],
      tmpDirs: [leftover],
    });
    const lines: string[] = [];
    const res = await reapOrphans(store, (s) => lines.push(s));
    assert.deepEqual(res.killed, [pid]);
    assert.deepEqual(res.removedDirs, [leftover]);
    const exit = await orphan.exited();
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(alive(pid), false);
    assert.equal(existsSync(leftover), false);
    assert.equal(existsSync(file), false);
    assert.ok(lines.some((l) => l.includes('killed orphan orphan')));
  });

  it('treats a live harness pid with another start time as dead (pid reuse)', async () => {
    const store = join(root.path, 'store-c');
    const orphan = sleeper('orphan2');
    const pid = orphan.pid!;
    forge(store, {
      harnessPid: process.pid,
      harnessStart: 'not-our-start-time',
      pids: [{ pid, pgid: pid, start: processStartTime(pid)!, name: 'orphan2', command: 'sleep 60' }],
      tmpDirs: [],
    });
    const res = await reapOrphans(store);
    assert.deepEqual(res.killed, [pid]);
    await orphan.exited();
  });

  it('never kills a live process whose start time does not match the record', async () => {
    const store = join(root.path, 'store-d');
    const bystander = sleeper('bystander');
    const pid = bystander.pid!;
    const file = forge(store, {
      harnessPid: await deadPid(),
      harnessStart: '1',
      pids: [{ pid, pgid: pid, start: '1', name: 'old-backend', command: 'redis-server' }],
      tmpDirs: [],
    });
    const lines: string[] = [];
    const res = await reapOrphans(store, (s) => lines.push(s));
    assert.deepEqual(res.killed, []);
    assert.equal(bystander.running, true);
    assert.equal(alive(pid), true);
    assert.equal(existsSync(file), false, 'the stale file is still cleaned up');
    assert.ok(lines.some((l) => l.includes('now belongs to another process')));
    await bystander.kill();
  });

  it('leaves the files of live harnesses (including our own) alone', async () => {
    const store = join(root.path, 'store-e');
    const reg = new PidRegistry(store);
    const p = sleeper('mine', reg);
    const res = await reapOrphans(store);
    assert.deepEqual(res.killed, []);
    assert.equal(p.running, true);
    assert.equal(existsSync(reg.file), true);
    await p.kill();
    reg.close();
  });
});

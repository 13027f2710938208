/**
 * `faultline run` as a user runs it: the built CLI against real backends it starts itself. Checks verdicts, the run
 * directory, the reproduce line, cleanup after success, failure, SIGINT and SIGKILL, orphan reaping, determinism
 * of the op stream and nemesis schedule for a seed, and precise errors for bad options.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readHistory } from '../../checkers/history/io.js';
import type { Op } from '../../checkers/history/types.js';
import { backendProcesses, snapshot, waitNoLeaks } from '../support/leaks.js';
import { bin, faultline, root, useStore, type CliResult } from '../support/cli.js';

function startFaultline(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: 'true' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((res) => child.on('exit', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

/** The only run directory under `store/<scenario>/`. */
function onlyRunDir(store: string, scenario: string): string {
  const dirs = readdirSync(join(store, scenario));
  assert.equal(dirs.length, 1, `expected one run dir, got ${dirs.join(', ')}`);
  return join(store, scenario, dirs[0]!);
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** After an `info`, a worker continues under a new process id: the old id never invokes again. */
function assertFreshProcessAfterInfo(ops: readonly Op[]): number {
  const infoAt = new Map<number | string, number>();
  for (const o of ops) {
    if (typeof o.process !== 'number') continue;
    if (o.type === 'invoke') assert.ok(!infoAt.has(o.process), `process ${o.process} invoked again (op ${o.index}) after its info at op ${infoAt.get(o.process)}`);
    if (o.type === 'info') infoAt.set(o.process, o.index);
  }
  return infoAt.size;
}

const historyLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('faultline run (CLI, real backends)', function () {
  this.timeout(180_000);
  const storeDir = useStore();
  let store: string;
  beforeEach(() => (store = storeDir()));

  it('runs register-redis end to end: VALID, a complete run directory, the reproduce command, nothing left behind', async function () {
    const before = snapshot();
    const r = faultline(['run', 'register-redis', '--seed', '11', '--time-limit', '4s', '--store', store]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^VALID \(as expected\): register-redis, seed 11/m);
    assert.match(r.stdout, /reproduce: +npx faultline run register-redis --seed 11 --time-limit 4s/);
    const dir = onlyRunDir(store, 'register-redis');
    assert.match(r.stdout, new RegExp(`run directory: .*${dir.split('/').pop()}`));
    for (const f of ['scenario.json', 'history.jsonl', 'results.json', 'logs']) assert.ok(existsSync(join(dir, f)), `${f} missing`);
    assert.ok(readdirSync(join(dir, 'logs')).some((f) => f.includes('redis')), 'no redis log captured');
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.equal(results.valid, true);
    assert.equal(results.checkers[0].checker, 'linearizable');
    assert.ok(results.stats.invoked > 100, `only ${results.stats.invoked} ops`);
    assert.ok(results.stats.faults >= 1, 'no fault was injected');
    const { ops } = await readHistory(join(dir, 'history.jsonl'));
    assert.ok(ops.some((o) => o.process === 'nemesis' && String(o.f).startsWith('start-link')), 'no nemesis op recorded');
    assert.ok(ops.some((o) => o.final === true && o.type === 'ok'), 'no final read');
    assertFreshProcessAfterInfo(ops);
    assert.equal(resolve(store, readlinkSync(join(store, 'latest'))), dir, 'store/latest does not point at the run');
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('a run interrupted with SIGINT stops, heals, tears down and still writes a checked result', async function () {
    const before = snapshot();
    const { child, done } = startFaultline(['run', 'register-redis', '--seed', '5', '--time-limit', '60s', '--store', store]);
    await waitFor(() => existsSync(join(store, 'register-redis')) && historyLines(join(onlyRunDir(store, 'register-redis'), 'history.jsonl')) > 200, 30_000, 'ops in the history');
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopping the workload/);
    assert.match(r.stdout, /register-redis, seed 5 \(interrupted\)/);
    const dir = onlyRunDir(store, 'register-redis');
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    assert.equal(results.interrupted, true);
    assert.equal(results.valid, true);
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('a run killed with SIGKILL leaves a checkable history, and the next run reaps its orphans', async function () {
    const before = snapshot();
    const { child, done } = startFaultline(['run', 'register-redis', '--seed', '6', '--time-limit', '60s', '--store', store]);
    await waitFor(() => existsSync(join(store, 'register-redis')) && historyLines(join(onlyRunDir(store, 'register-redis'), 'history.jsonl')) > 200, 30_000, 'ops in the history');
    child.kill('SIGKILL');
    await done;
    const dir = onlyRunDir(store, 'register-redis');
    const orphans = [...snapshot().procs.keys()].filter((p) => !before.procs.has(p));
    assert.ok(orphans.length > 0, 'expected the SIGKILLed harness to leave its redis-server behind');
    assert.ok(readdirSync(join(store, '.pids')).length === 1, 'the pid registry should remember the orphan');
    const check = faultline(['check', join(dir, 'history.jsonl'), '--model', 'kv']);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /^VALID/);
    const next = faultline(['run', 'register-redis', '--seed', '7', '--time-limit', '1s', '--nemesis', 'none', '--store', store]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /reaped 1 process group/);
    // Orphans were re-parented away from the killed harness; once killed they may linger as zombies until init
    // reaps them (some sandboxes' init never does), which hold no port or memory: count those as dead.
    for (const pid of orphans) assert.ok(!backendProcesses().has(pid), `orphan ${pid} still alive`);
    assert.deepEqual(readdirSync(join(store, '.pids')), []);
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('the same seed gives the same op stream and the same nemesis schedule', async function () {
    const args = (s: string) => ['run', 'register-redis', '--seed', s, '--op-limit', '300', '--clients', '3', '--time-limit', '30s', '--nemesis', 'link-latency:node:all', '--store', store];
    const runs = ['21', '21', '22'].map((seed) => {
      const r = faultline(args(seed));
      assert.equal(r.code, 0, r.stderr);
      return r;
    });
    const dirs = readdirSync(join(store, 'register-redis')).sort().map((d) => join(store, 'register-redis', d));
    const bySeed = (seed: string) => dirs.filter((d) => d.endsWith(`seed${seed}`) || d.includes(`seed${seed}-`));
    const [a, b] = bySeed('21');
    const [c] = bySeed('22');
    const streams = async (dir: string) => {
      const { ops } = await readHistory(join(dir, 'history.jsonl'));
      const per: Record<string, string[]> = {};
      for (const o of ops as Op[]) if (o.type === 'invoke' && typeof o.process === 'number' && o.process < 3) (per[o.process] ??= []).push(JSON.stringify([o.f, o.key, o.value]));
      // Compare the first 60 ops of each worker (workers may get different numbers of ops in before the limit).
      return Object.fromEntries(Object.entries(per).map(([p, s]) => [p, s.slice(0, 60)]));
    };
    assert.deepEqual(await streams(a!), await streams(b!));
    assert.notDeepEqual(await streams(a!), await streams(c!));
    const schedule = (dir: string) => JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')).schedule;
    assert.ok(schedule(a!).length > 0);
    assert.deepEqual(schedule(a!), schedule(b!));
    assert.notDeepEqual(schedule(a!), schedule(c!));
    assert.equal(runs.length, 3);
  });

  it('runs register-etcd (3 nodes) through kills, pauses and link faults: VALID, every planned fault started and stopped', async function () {
    const before = snapshot();
    const r = faultline(['run', 'register-etcd', '--seed', '2', '--time-limit', '8s', '--nemesis', 'kill:leader,pause:one,link-blackhole:node:one,kill:minority', '--store', store]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^VALID \(as expected\): register-etcd, seed 2/m);
    const dir = onlyRunDir(store, 'register-etcd');
    const planned = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')).schedule as { fault: { kind: string; mode?: string } }[];
    assert.ok(planned.length >= 2, `only ${planned.length} fault windows planned`);
    const { ops } = await readHistory(join(dir, 'history.jsonl'));
    const nem = ops.filter((o) => o.process === 'nemesis' && o.type === 'info');
    const label = (f: { kind: string; mode?: string }) => (f.kind === 'link' ? `link-${f.mode}` : f.kind);
    assert.deepEqual(
      nem.filter((o) => /^start-/.test(o.f)).map((o) => o.f),
      planned.map((w) => `start-${label(w.fault)}`),
    );
    assert.equal(nem.filter((o) => /^stop-/.test(o.f)).length, planned.length);
    assert.ok(assertFreshProcessAfterInfo(ops) > 0, 'expected some ops with unknown outcome under kills and pauses');
    for (const o of nem.filter((x) => /^start-/.test(x.f))) {
      const targets = (o.value as { targets: string[] }).targets;
      assert.ok(targets.length >= 1 && targets.every((t) => /^n[1-3]$/.test(t)), `bad targets ${JSON.stringify(targets)}`);
      assert.equal(o.error, undefined, `fault failed: ${o.error}`);
    }
    assert.ok(readdirSync(join(dir, 'logs')).filter((f) => f.startsWith('etcd')).length === 3);
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('--client-mode process: one OS process per client, frozen and thawed by pause:client, all gone afterwards', async function () {
    const before = snapshot();
    const r = faultline(['run', 'register-redis', '--seed', '4', '--time-limit', '5s', '--client-mode', 'process', '--nemesis', 'pause:client:one', '--clients', '3', '--store', store]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /reproduce: .*--nemesis pause:client:one --client-mode process/);
    const dir = onlyRunDir(store, 'register-redis');
    const { ops } = await readHistory(join(dir, 'history.jsonl'));
    const pauses = ops.filter((o) => o.process === 'nemesis' && o.type === 'info' && o.f === 'start-pause-client');
    assert.ok(pauses.length >= 1, 'no client was paused');
    for (const p of pauses) assert.equal(p.error, undefined, String(p.error));
    assert.match(readFileSync(join(dir, 'logs', 'clients.log'), 'utf8'), /client process for worker \d: pid \d+/);
    assert.ok(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).stats.ok > 50);
    const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('client-child');
      } catch {
        return false;
      }
    });
    assert.deepEqual(children, [], 'client processes left behind');
    assert.deepEqual(await waitNoLeaks(before), []);
    const bad = faultline(['run', 'register-redis', '--nemesis', 'pause:client:one', '--store', store]);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /pause:client freezes client processes: add --client-mode process/);
  });

  it('--provisioner containers: runs where a Docker daemon answers, else fails at once saying so (exit 70)', async function () {
    const { dockerAvailable } = await import('../../harness/backends/provisioner.js');
    const docker = await dockerAvailable({ timeoutMs: 3000 });
    const t = Date.now();
    const r = faultline(['run', 'register-redis', '--seed', '1', '--time-limit', '2s', '--provisioner', 'containers', '--store', store]);
    if (docker.ok) {
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    } else {
      assert.equal(r.code, 70, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, /no Docker daemon answers.*use --provisioner local/);
      assert.ok(Date.now() - t < 15_000, 'did not fail fast');
    }
  });

  it('faultline doctor reports every backend with its version', function () {
    const r = faultline(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as { tools: { name: string; present: boolean; version?: string; optional: boolean }[] };
    const tool = (n: string) => report.tools.find((t) => t.name === n);
    assert.match(tool('redis-server')?.version ?? '', /^7\./);
    assert.match(tool('etcd')?.version ?? '', /^3\./);
    assert.ok(tool('postgres')?.present, 'postgres not reported present');
    assert.equal(r.code, report.tools.some((t) => !t.present && !t.optional) ? 70 : 0);
  });

  it('bad options get precise errors and exit 64, before anything starts', function () {
    const cases: [string[], RegExp][] = [
      [['run', 'register-mongo'], /unknown scenario "register-mongo"; built-in scenarios: bank-etcd, .*, register-etcd, register-redis, .*txn-pg-serializable/],
      [['run', 'register-redis', '--clients', '0'], /--clients must be between 1 and 1000, got 0/],
      [['run', 'register-redis', '--seed', 'abc'], /--seed expects a whole number, got "abc"/],
      [['run', 'register-redis', '--time-limit', 'soon'], /--time-limit expects a duration such as 10s/],
      [['run', 'register-redis', '--nemesis', 'partition'], /--nemesis: unknown fault "partition".*valid: kill, pause, link-down/],
      [['run', 'register-redis', '--provisioner', 'k8s'], /argument 'k8s' is invalid. Allowed choices are local, containers/],
      [['run', 'register-redis', '--progress', 'fancy'], /Allowed choices are auto, bar, lines, none/],
      [['run', './no-such-scenario.ts'], /scenario file not found: .*no-such-scenario\.ts/],
    ];
    for (const [args, re] of cases) {
      const r = faultline([...args, '--store', store]);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'stack trace printed');
    }
    assert.ok(!existsSync(join(store, 'register-redis')), 'a run directory was created for a bad invocation');
  });

  it('lists the built-in scenarios', function () {
    const r = faultline(['list']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /register-etcd\n  .*etcd/);
    assert.match(r.stdout, /register-redis\n  .*Redis/);
  });

  it('exits 70 and cleans up when the backend will not start or the client fails', async function () {
    const dir = join(root, 'test', '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'failing-setup.ts');
    writeFileSync(
      file,
      `import { defineScenario, registerWorkload, redisRegisterClient } from 'faultline/scenarios';
const base = redisRegisterClient();
export default defineScenario({
  name: 'leak-check',
  backend: { kind: 'redis', topology: 'single' },
  workload: registerWorkload(),
  client: { name: 'broken', open: base.open.bind(base), setup: async () => { throw new Error('setup exploded on purpose'); } },
  checkers: [{ checker: 'linearizable', model: 'kv' }],
});
`,
    );
    const before = snapshot();
    const r = faultline(['run', file, '--seed', '1', '--time-limit', '2s', '--store', store]);
    assert.equal(r.code, 70, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /error: setup exploded on purpose/);
    const results = JSON.parse(readFileSync(join(onlyRunDir(store, 'leak-check'), 'results.json'), 'utf8'));
    assert.equal(results.exitCode, 70);
    assert.deepEqual(await waitNoLeaks(before), []);
  });
});

/**
 * Harness benchmark (issue 3): throughput of a fault-free register run against one Redis through the fault proxy,
 * time to the first op for the built-in scenarios (including Node start-up of the built CLI), and the fault proxy's
 * added latency (bench/proxy.ts). Each measurement runs in a fresh child process. Prints one JSON document on
 * stdout; progress lines go to stderr.
 *
 *   node --import tsx bench/harness.ts                 everything (builds dist first)
 *   node --import tsx bench/harness.ts --quick         shorter throughput run, one first-op run per scenario
 *   node --import tsx bench/harness.ts --no-build      use dist/ as it is
 *   node --import tsx bench/harness.ts --profile       also CPU-profile the throughput run and summarise it
 *   node --import tsx bench/harness.ts --only ops|first-op|proxy   (repeatable)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '..');
const CLI = join(ROOT, 'dist', 'harness', 'cli.js');

const log = (line: string): void => void process.stderr.write(`[bench:harness] ${line}\n`);
const r1 = (x: number): number => Math.round(x * 10) / 10;

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** What the in-process throughput case reports (the child's stdout). */
interface OpsCaseResult {
  scenario: string;
  clients: number;
  timeLimitMs: number;
  verdict: boolean | 'unknown';
  exitCode: number;
  error?: string;
  opsPerSec: number;
  invoked: number;
  ok: number;
  fail: number;
  info: number;
  workloadMs?: number;
  provisionMs?: number;
  timeToFirstOpMs?: number;
  checkMs?: number;
  totalMs: number;
  peakRssMB: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Harness-process CPU (user + system, provisioning and checking included) per invoked op. */
  cpuUsPerOp: number;
}

/** Child mode: one fault-free register-redis run, in this process, through the fault proxy. */
async function opsCase(spec: { clients: number; timeLimitMs: number }): Promise<OpsCaseResult> {
  const { loadScenario } = await import('../scenarios/index.js');
  const { runScenario } = await import('../harness/run.js');
  const store = mkdtempSync(join(tmpdir(), 'faultline-bench-store-'));
  try {
    const scenario = await loadScenario('register-redis');
    const cpu0 = process.cpuUsage();
    const outcome = await runScenario({
      scenario,
      scenarioRef: 'register-redis',
      seed: 1,
      overrides: { clients: spec.clients, timeLimitMs: spec.timeLimitMs, nemesis: null },
      storeRoot: store,
      progress: 'none',
      log: (line) => log(`  ${line}`),
    });
    const cpu = process.cpuUsage(cpu0);
    const s = outcome.stats;
    return {
      scenario: 'register-redis',
      clients: spec.clients,
      timeLimitMs: spec.timeLimitMs,
      verdict: outcome.verdict,
      exitCode: outcome.exitCode,
      ...(outcome.error ? { error: outcome.error } : {}),
      opsPerSec: s.opsPerSec,
      invoked: s.invoked,
      ok: s.ok,
      fail: s.fail,
      info: s.info,
      workloadMs: s.workloadMs,
      provisionMs: s.provisionMs,
      timeToFirstOpMs: s.timeToFirstOpMs,
      checkMs: s.checkMs,
      totalMs: s.totalMs,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      cpuUsPerOp: s.invoked ? Math.round((cpu.user + cpu.system) / s.invoked) : 0,
    };
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

/** Runs this file in a child in `--case` mode (optionally under --cpu-prof) and parses its JSON. */
function runOpsChild(spec: { clients: number; timeLimitMs: number }, profileDir?: string): OpsCaseResult {
  const nodeArgs = ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), SELF, '--case', JSON.stringify(spec)];
  const out = execFileSync(process.execPath, nodeArgs, { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out) as OpsCaseResult;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time of a V8 .cpuprofile, grouped by area (our files, each dependency, Node internals) and by function. */
function summariseProfile(file: string): {
  totalMs: number;
  byArea: { area: string; pct: number }[];
  byOwner: { owner: string; pct: number }[];
  topFunctions: { fn: string; pct: number }[];
} {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const area = (url: string, fn: string): string => {
    if (!url) return fn === '(idle)' ? '(idle)' : fn === '(garbage collector)' ? '(gc)' : fn === '(program)' ? '(program)' : '(native)';
    if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) {
      const rest = url.slice(nm + 'node_modules/'.length).split('/');
      return `dep:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
    }
    const rel = url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
    return rel;
  };
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native and node: frames (socket writes, timers, AbortController) charged to the nearest caller in our code or a dependency.
  const owner = (id: number): string => {
    const own = area(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName);
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const a = area(n.callFrame.url, n.callFrame.functionName);
      if (!a.startsWith('(') && !a.startsWith('node:')) return a;
    }
    return own;
  };
  const areas = new Map<string, number>();
  const owners = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const o = owner(id);
    owners.set(o, (owners.get(o) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${a}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([name, us]) => ({ name, pct: r1((us * 100) / total) }));
  return {
    totalMs: Math.round(total / 1000),
    byArea: top(areas, 20).map(({ name, pct }) => ({ area: name, pct })),
    byOwner: top(owners, 20).map(({ name, pct }) => ({ owner: name, pct })),
    topFunctions: top(fns, 25).map(({ name, pct }) => ({ fn: name, pct })),
  };
}

/**
 * Child mode `--diag`: where the per-op time goes, without the run loop. Starts its own redis-server and drives the
 * register-redis workload with 10 concurrent workers for a few seconds per stage: raw ioredis GETs, the register
 * client directly, the register client through faultline's proxy server (in this process, as in a run), and the
 * same plus the run loop's per-op extras (an AbortController and deadline timer per op, two recorder writes), and
 * finally with the run loop's back-off after a `fail`.
 */
async function diagCase(spec: { clients: number; stageMs: number }): Promise<Record<string, number>> {
  const { createServer, connect } = await import('node:net');
  const { Redis } = await import('ioredis');
  const { loadScenario } = await import('../scenarios/index.js');
  const { Rng } = await import('../harness/seed.js');
  const { startProxyServer } = await import('../harness/faults/proxy-server.js');
  const { ProxyApi } = await import('../harness/faults/proxy-api.js');
  const { HistoryRecorder } = await import('../harness/history-recorder.js');
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-diag-'));
  const redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const out: Record<string, number> = {};
  try {
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((res) => {
        const c = connect({ port, host: '127.0.0.1' }, () => {
          c.destroy();
          res(true);
        });
        c.on('error', () => res(false));
      });
      if (up) break;
      if (i > 100) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const scenario = await loadScenario('register-redis');
    const direct = [{ node: 'n1', endpoint: { host: '127.0.0.1', port } }];
    await scenario.client.setup?.(direct);
    const loop = async (name: string, body: (w: number, stop: () => boolean) => Promise<number>) => {
      const deadline = performance.now() + spec.stageMs;
      const t0 = performance.now();
      const counts = await Promise.all(Array.from({ length: spec.clients }, (_, w) => body(w, () => performance.now() >= deadline)));
      out[name] = Math.round((counts.reduce((a, b) => a + b, 0) * 1000) / (performance.now() - t0));
      log(`  diag ${name}: ${out[name]} ops/s`);
    };
    // 1. Raw ioredis GET, direct.
    await loop('rawIoredisGetDirect', async (_w, stop) => {
      const r = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: true });
      let n = 0;
      while (!stop()) {
        await r.get('bench');
        n++;
      }
      r.disconnect();
      return n;
    });
    const rng = new Rng(1);
    const registerLoop = (endpointFor: (w: number) => { node: string; endpoint: { host: string; port: number } }[]) =>
      async (w: number, stop: () => boolean) => {
        const client = await scenario.client.open({ endpoints: endpointFor(w), worker: w, opTimeoutMs: 1000, rng: rng.fork(`c${w}`) });
        const gen = scenario.workload.generator(w, rng.fork(`g${w}`));
        const signal = new AbortController().signal;
        let n = 0;
        while (!stop()) {
          const req = gen.next()!;
          await client.invoke(req, signal);
          n++;
        }
        await client.close();
        return n;
      };
    // 2. Register client (GET/SET/Lua CAS with its own per-op timer), direct.
    await loop('registerClientDirect', registerLoop(() => direct));
    // 3. Through faultline's proxy server in this process (one link per worker, as in a run).
    const server = await startProxyServer({ seed: 1 });
    const api = new ProxyApi(server.url);
    const links: { node: string; endpoint: { host: string; port: number } }[][] = [];
    for (let w = 0; w < spec.clients; w++) {
      const info = await api.createProxy({ name: `w${w}`, upstream: `127.0.0.1:${port}`, listen: '127.0.0.1:0' });
      links.push([{ node: 'n1', endpoint: { host: '127.0.0.1', port: Number(info.listen.split(':').pop()) } }]);
    }
    await loop('registerClientViaProxy', registerLoop((w) => links[w]!));
    // 4. Same, plus what the run loop adds per op: AbortController + deadline timer + Promise.race, two recorded ops.
    const recorder = HistoryRecorder.open(join(dir, 'history.jsonl'), { startNs: process.hrtime.bigint(), onOp: () => {} });
    const withExtras = (backoff: boolean) => async (w: number, stop: () => boolean) => {
      const client = await scenario.client.open({ endpoints: links[w]!, worker: w, opTimeoutMs: 1000, rng: rng.fork(`c${w}`) });
      const gen = scenario.workload.generator(w, rng.fork(`g${w}`));
      let n = 0;
      let sinceYield = 0;
      let failStreak = 0;
      while (!stop()) {
        const req = gen.next()!;
        recorder.record({ process: w, type: 'invoke', f: req.f, value: req.value ?? null, ...(req.key !== undefined ? { key: req.key } : {}) });
        const ac = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>(() => {
          timer = setTimeout(() => ac.abort(), 1000);
        });
        const o = await Promise.race([client.invoke(req, ac.signal), deadline]);
        clearTimeout(timer);
        recorder.record({ process: w, type: o.type, f: req.f, value: o.value !== undefined ? o.value : (req.value ?? null), ...(req.key !== undefined ? { key: req.key } : {}), ...(o.node ? { node: o.node } : {}) });
        n++;
        if (o.type === 'fail') {
          failStreak++;
          // harness/run.ts backs off 5, 10, 20 ... 100 ms after every fail, a cas whose comparison failed included.
          if (backoff) await new Promise((r) => setTimeout(r, Math.min(100, 5 * 2 ** Math.min(failStreak - 1, 5))));
        } else failStreak = 0;
        if (++sinceYield >= 32) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      await client.close();
      return n;
    };
    await loop('registerClientViaProxyWithRunLoopExtras', withExtras(false));
    await loop('sameWithRunLoopFailBackoff', withExtras(true));
    recorder.close();
    await server.close();
  } finally {
    redisProc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** One `faultline run` through the built CLI: spawn-to-first-op, split into process start-up and in-run time. */
interface FirstOpSample {
  /** Spawn to the run's `scenario.json` `startedAt` (Node start-up, module loading, CLI parsing, scenario load). */
  startupMs: number;
  /** `stats.timeToFirstOpMs`: from the start of `runScenario` to the first client op. */
  inProcessMs: number;
  /** Spawn to the first client op: `startupMs` + the first invoke's `time` in history.jsonl. */
  fromSpawnMs: number;
  /** Spawn to process exit. */
  processMs: number;
  invoked: number;
  exitCode: number;
}

function firstOpOnce(name: string): Promise<FirstOpSample> {
  const store = mkdtempSync(join(tmpdir(), 'faultline-bench-first-op-'));
  const args = [CLI, 'run', name, '--seed', '1', '--time-limit', '2s', '--nemesis', 'none', '--store', store, '--progress', 'none', '--json'];
  return new Promise<FirstOpSample>((resolvePromise, reject) => {
    const spawnedAt = Date.now();
    const spawnedPerf = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => void (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - spawnedPerf;
      try {
        const outcome = JSON.parse(out) as { runDir: string; exitCode: number; error?: string; stats: { timeToFirstOpMs?: number; invoked: number } };
        if (outcome.stats.timeToFirstOpMs === undefined) throw new Error(`no op was run${outcome.error ? `: ${outcome.error}` : ''}`);
        const scenarioJson = JSON.parse(readFileSync(join(outcome.runDir, 'scenario.json'), 'utf8')) as { startedAt: string };
        const startupMs = Date.parse(scenarioJson.startedAt) - spawnedAt;
        let firstTimeNs: number | undefined;
        for (const line of readFileSync(join(outcome.runDir, 'history.jsonl'), 'utf8').split('\n')) {
          if (!line) continue;
          const op = JSON.parse(line) as { process: unknown; type: string; time: number };
          if (typeof op.process === 'number' && op.type === 'invoke') {
            firstTimeNs = op.time;
            break;
          }
        }
        if (firstTimeNs === undefined) throw new Error('history.jsonl holds no client op');
        resolvePromise({
          startupMs,
          inProcessMs: outcome.stats.timeToFirstOpMs,
          fromSpawnMs: Math.round(startupMs + firstTimeNs / 1e6),
          processMs: Math.round(processMs),
          invoked: outcome.stats.invoked,
          exitCode: code ?? -1,
        });
      } catch (e) {
        reject(new Error(`faultline run ${name} (exit ${code}): ${(e as Error).message}\n${err.slice(-2000)}`));
      } finally {
        rmSync(store, { recursive: true, force: true });
      }
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function firstOp(name: string, reps: number) {
  const samples: FirstOpSample[] = [];
  for (let i = 0; i < reps; i++) {
    const s = await firstOpOnce(name);
    samples.push(s);
    log(`${name} #${i + 1}: first op ${s.fromSpawnMs} ms from spawn (start-up ${s.startupMs} ms + in-run ${s.inProcessMs} ms), exit ${s.exitCode}`);
  }
  const pick = (k: keyof FirstOpSample) => ({ median: Math.round(median(samples.map((s) => s[k]))), max: Math.max(...samples.map((s) => s[k])) });
  return { runs: reps, fromSpawnMs: pick('fromSpawnMs'), inProcessMs: pick('inProcessMs'), startupMs: pick('startupMs'), samples };
}

/** Builds dist/ once (tsc), unless told not to. A failed build is reported; the run goes on with the old dist if any. */
function build(skip: boolean): { built: boolean; ms?: number; error?: string } {
  if (skip) {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build or drop --no-build`);
    return { built: false };
  }
  log('npm run build ...');
  const t0 = performance.now();
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Math.round(performance.now() - t0);
  if (r.status !== 0) {
    const error = `npm run build failed (exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(0, 2000)}`;
    log(error);
    if (!existsSync(CLI)) throw new Error(error);
    log('continuing with the existing dist/');
    return { built: false, ms, error };
  }
  return { built: true, ms };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const caseArg = argValue(args, '--case');
  if (caseArg !== undefined) {
    process.stdout.write(JSON.stringify(await opsCase(JSON.parse(caseArg) as { clients: number; timeLimitMs: number })));
    return;
  }
  const diagArg = argValue(args, '--diag');
  if (diagArg !== undefined) {
    process.stdout.write(JSON.stringify(await diagCase(JSON.parse(diagArg) as { clients: number; stageMs: number })));
    process.exit(0);
  }
  const quick = args.includes('--quick');
  const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1]!] : []));
  const want = (part: 'ops' | 'first-op' | 'proxy') => only.length === 0 || only.includes(part);
  const reps = Number(argValue(args, '--reps') ?? (quick ? 1 : 3));
  const timeLimitMs = Number(argValue(args, '--seconds') ?? (quick ? 3 : 10)) * 1000;
  const clients = Number(argValue(args, '--clients') ?? 10);

  const result: Record<string, unknown> = {
    bench: 'harness',
    machine: { cpus: availableParallelism(), memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version, loadAvg1mAtStart: r1(loadavg()[0]!) },
  };

  let ops: OpsCaseResult | undefined;
  if (want('ops')) {
    log(`register-redis, ${clients} clients, ${timeLimitMs / 1000} s, no faults, through the fault proxy ...`);
    ops = runOpsChild({ clients, timeLimitMs });
    log(`  ${ops.opsPerSec} ops/s (${ops.invoked} invoked, ${ops.ok} ok, ${ops.fail} fail, ${ops.info} info), check ${ops.checkMs} ms, peak RSS ${ops.peakRssMB} MB`);
    result.registerRedis = ops;
    if (args.includes('--diagnose')) {
      log('diagnosis: the same workload without the run loop, stage by stage ...');
      const diagSpec = JSON.stringify({ clients, stageMs: quick ? 1500 : 3000 });
      result.diagnosis = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', SELF, '--diag', diagSpec], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as unknown;
    }
    if (args.includes('--profile')) {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-prof-'));
      try {
        log('profiling the same run under --cpu-prof ...');
        const profiled = runOpsChild({ clients, timeLimitMs }, dir);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        result.profile = { opsPerSecUnderProfiler: profiled.opsPerSec, ...(file ? summariseProfile(join(dir, file)) : { error: 'no .cpuprofile written' }) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  let redisFirst: Awaited<ReturnType<typeof firstOp>> | undefined;
  let etcdFirst: Awaited<ReturnType<typeof firstOp>> | undefined;
  if (want('first-op')) {
    result.build = build(args.includes('--no-build'));
    redisFirst = await firstOp('register-redis', reps);
    etcdFirst = await firstOp('register-etcd', reps);
    result.timeToFirstOp = { redis: redisFirst, etcd: etcdFirst };
  }

  let proxy: { addedUs?: { p50: number; p99: number } } | undefined;
  if (want('proxy')) {
    log('fault proxy latency (bench/proxy.ts) ...');
    const proxyArgs = ['--import', 'tsx', join(ROOT, 'bench', 'proxy.ts'), ...(quick ? ['--samples', '2000', '--mb', '64'] : [])];
    proxy = JSON.parse(execFileSync(process.execPath, proxyArgs, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as typeof proxy;
    log(`  added p50 ${proxy!.addedUs?.p50} µs, p99 ${proxy!.addedUs?.p99} µs`);
    result.proxy = proxy;
  }

  const goal = (g: number, measured: number | undefined, atLeast = false) =>
    measured === undefined ? null : { goal: g, measured, met: atLeast ? measured >= g : measured < g };
  (result.machine as Record<string, unknown>).loadAvg1mAtEnd = r1(loadavg()[0]!);
  result.goals = {
    redisOpsPerSec: goal(10_000, ops?.opsPerSec, true),
    proxyAddedP50Us: goal(100, proxy?.addedUs?.p50),
    firstOpRedisMs: goal(2_000, redisFirst?.fromSpawnMs.max),
    firstOpEtcdMs: goal(5_000, etcdFirst?.fromSpawnMs.max),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

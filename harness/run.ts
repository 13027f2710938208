/**
 * One run, end to end: provision the system, put a fault proxy link in front of every client-to-node path, drive
 * N workers and the nemesis, record every op as it happens, heal, wait, run the final reads, tear everything
 * down, check the history and write `results.json`. Every exit path (time limit, Ctrl-C, a backend that will not
 * start, a crash in a client) still tears down and leaves a checkable history.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Op } from '../checkers/history/types.js';
import type { CheckResult, Verdict } from '../checkers/result.js';
import { readHistory } from '../checkers/history/io.js';
import type { RunDefaults, Scenario } from '../scenarios/define.js';
import type { Client, ClientContext, LastOp, OpOutcome, OpRequest, RunningServices } from '../workloads/types.js';
import type { Cluster, Endpoint, ProvisionerName } from './backends/types.js';
import { ProvisionError } from './backends/types.js';
import { getProvisioner } from './backends/provisioner.js';
import { killAllLiveProcesses, sleep } from './backends/process.js';
import { message as errText } from '../workloads/settle.js';
import { runCheckers } from './checkers.js';
import { processClientFactory, type ProcessClientFactory } from './client-process.js';
import { acquireFaultProxy } from './faults/fault-proxy.js';
import { createClientLinks, createPeerLink, type Link } from './faults/links.js';
import { Nemesis } from './faults/nemesis.js';
import { NEMESIS_DEFAULTS, planSchedule, type NemesisSpec, type ScheduledFault } from './faults/schedule.js';
import { HistoryRecorder, type FsyncPolicy } from './history-recorder.js';
import { PidRegistry, reapOrphans } from './pid-registry.js';
import { createProgress, type ProgressMode, type RunCounters } from './progress.js';
import { Rng } from './seed.js';
import { createRunDir, writeJsonFile, type RunDir } from './store.js';

/** Everything `faultline run` decided before starting. */
export interface RunOptions {
  scenario: Scenario;
  /** How the user named the scenario (built-in name or file path), for the reproduce command. */
  scenarioRef: string;
  seed: number;
  /** CLI overrides of the scenario's defaults; `nemesis: null` disables faults. */
  overrides?: Partial<RunDefaults> & { nemesis?: NemesisSpec | null };
  storeRoot: string;
  provisioner?: ProvisionerName;
  progress?: ProgressMode;
  fsync?: FsyncPolicy;
  /** Aborting stops the workload early; the run still heals, tears down and checks (an interrupted run). */
  signal?: AbortSignal;
  /** Diagnostic lines (stderr). */
  log?: (line: string) => void;
  /** Extra CLI flags to repeat in the reproduce command (e.g. `--time-limit 10s`). */
  reproduceFlags?: string[];
}

/** Run-level figures for the summary, results.json and the benchmark. */
export interface RunStats extends RunCounters {
  opsPerSec: number;
  /** From the start of `run()` to the first client op (provisioning, proxy, clients). */
  timeToFirstOpMs?: number;
  provisionMs?: number;
  workloadMs?: number;
  checkMs?: number;
  totalMs: number;
}

/** What a run ended with. `exitCode` follows DESIGN.md (0 as expected, 1 unexpected, 2 unknown, 70 harness failure). */
export interface RunOutcome {
  runDir: string;
  verdict: Verdict;
  expected: 'valid' | 'invalid';
  exitCode: number;
  results: CheckResult[];
  stats: RunStats;
  reproduce: string;
  interrupted: boolean;
  error?: string;
}

/**
 * Runs ops for one worker, never longer than the op timeout (plus a grace period for the client to notice the
 * abort). One watchdog timer per worker instead of a timer, controller and race per op keeps the hot path cheap.
 */
class BoundedInvoker {
  private controller = new AbortController();
  private deadline = 0;
  private settle: ((out: OpOutcome) => void) | undefined;
  private readonly watchdog: NodeJS.Timeout;
  /** When the client was frozen (SIGSTOP), if it is: a frozen client's op is not late, it is paused. */
  private frozenAt: number | undefined;

  constructor(private readonly timeoutMs: number) {
    this.watchdog = setInterval(() => this.check(), Math.max(5, Math.min(50, Math.floor(timeoutMs / 10))));
    this.watchdog.unref();
  }

  /** The nemesis froze this worker's client process: stop its op clock until `thaw`. */
  freeze(): void {
    this.frozenAt ??= performance.now();
  }

  /** The client runs again: its op gets back the time it spent frozen. */
  thaw(): void {
    if (this.frozenAt === undefined) return;
    this.deadline += performance.now() - this.frozenAt;
    this.frozenAt = undefined;
  }

  private check(): void {
    if (!this.settle || this.frozenAt !== undefined || performance.now() < this.deadline) return;
    if (!this.controller.signal.aborted) {
      this.controller.abort();
      this.deadline += 250; // grace for the client to answer the abort itself
      return;
    }
    const settle = this.settle;
    this.settle = undefined;
    settle({ type: 'info', error: `timeout after ${this.timeoutMs} ms` });
  }

  invoke(client: Client, op: OpRequest, timeoutMs = this.timeoutMs): Promise<OpOutcome> {
    if (this.controller.signal.aborted) this.controller = new AbortController();
    this.deadline = performance.now() + timeoutMs;
    if (this.frozenAt !== undefined) this.frozenAt = performance.now();
    return new Promise<OpOutcome>((resolve) => {
      this.settle = resolve;
      const done = (out: OpOutcome) => {
        if (this.settle !== resolve) return; // the watchdog already answered
        this.settle = undefined;
        resolve(out);
      };
      client.invoke(op, this.controller.signal).then(done, (err: unknown) => done({ type: 'info', error: `client threw: ${errText(err)}` }));
    });
  }

  close(): void {
    clearInterval(this.watchdog);
  }
}

/** The command that reruns this scenario with this seed. */
export function reproduceCommand(ref: string, seed: number, flags: readonly string[] = []): string {
  const quoted = /^[A-Za-z0-9._/:=-]+$/.test(ref) ? ref : `'${ref.replace(/'/g, `'\\''`)}'`;
  return ['npx faultline run', quoted, '--seed', String(seed), ...flags].join(' ');
}

/**
 * The exit code for a verdict given what the scenario expects: 0 as expected, 1 not, 2 unknown. `perChecker`
 * pairs checkers that state their own expectation (e.g. "the lock overlaps but fencing keeps the resource
 * consistent") with their verdicts; each must match too.
 */
export function exitCodeFor(verdict: Verdict, expected: 'valid' | 'invalid', perChecker: readonly { expect?: 'valid' | 'invalid'; valid: Verdict }[] = []): number {
  if (verdict === 'unknown' || perChecker.some((c) => c.expect !== undefined && c.valid === 'unknown')) return 2;
  const matches = (v: Verdict, e: 'valid' | 'invalid') => (v === true) === (e === 'valid');
  return matches(verdict, expected) && perChecker.every((c) => c.expect === undefined || matches(c.valid, c.expect)) ? 0 : 1;
}

/** Runs one scenario end to end. Never throws for backend or client failures: they come back as exit code 70. */
export async function runScenario(opts: RunOptions): Promise<RunOutcome> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const scenario = opts.scenario;
  const { nemesis: nemesisOverride, ...knobOverrides } = opts.overrides ?? {};
  const knobs: RunDefaults = { ...scenario.defaults, ...knobOverrides };
  const nemesisSpec = nemesisOverride === null ? undefined : (nemesisOverride ?? scenario.nemesis);
  const rng = new Rng(opts.seed);
  const reproduce = reproduceCommand(opts.scenarioRef, opts.seed, opts.reproduceFlags);

  const reaped = await reapOrphans(opts.storeRoot, log).catch((err) => {
    log(`could not reap processes left by earlier runs: ${errText(err)}`);
    return { killed: [], removedDirs: [] };
  });
  if (reaped.killed.length > 0) log(`reaped ${reaped.killed.length} process group(s) left behind by an earlier, killed run`);

  const run: RunDir = createRunDir(opts.storeRoot, scenario.name, opts.seed);
  const registry = new PidRegistry(opts.storeRoot, { runDir: run.dir });
  const tmpRoot = mkdtempSync(join(tmpdir(), `faultline-${scenario.name}-`));
  registry.addTmpDir(tmpRoot);
  const schedule: ScheduledFault[] = nemesisSpec ? planSchedule(nemesisSpec, rng.fork('nemesis'), knobs.timeLimitMs) : [];
  writeJsonFile(run.scenario, {
    name: scenario.name,
    ref: opts.scenarioRef,
    description: scenario.description,
    seed: opts.seed,
    expect: scenario.expect,
    backend: scenario.backend ?? { custom: true },
    workload: { name: scenario.workload.name, options: scenario.workload.options },
    client: scenario.client.name,
    checkers: scenario.checkers.map((c) => (c.checker === 'custom' ? { checker: 'custom', name: c.name } : c)),
    run: knobs,
    nemesis: nemesisSpec ?? null,
    schedule,
    provisioner: opts.provisioner ?? 'local',
    reproduce,
    startedAt: new Date().toISOString(),
  });

  const counters: RunCounters = { invoked: 0, ok: 0, fail: 0, info: 0, faults: 0 };
  const startNs = process.hrtime.bigint();
  const recorder = HistoryRecorder.open(run.history, {
    startNs,
    fsync: opts.fsync,
    onOp: (op: Op) => {
      if (typeof op.process !== 'number') return;
      if (op.type === 'invoke') counters.invoked++;
      else counters[op.type]++;
    },
  });
  const keyOf = (req: OpRequest) => (req.key !== undefined ? { key: req.key } : {});
  const recordInvoke = (proc: number, req: OpRequest, extra: Record<string, unknown> = {}) =>
    recorder.record({ process: proc, type: 'invoke', f: req.f, value: req.value ?? null, ...keyOf(req), ...extra });
  /** The completion echoes the invoked value unless the client reported one (e.g. what a read returned). */
  const recordCompletion = (proc: number, req: OpRequest, out: OpOutcome, extra: Record<string, unknown> = {}) =>
    recorder.record({
      process: proc,
      type: out.type,
      f: req.f,
      value: out.value !== undefined ? out.value : (req.value ?? null),
      ...keyOf(req),
      ...(out.error !== undefined ? { error: out.error } : {}),
      ...(out.node !== undefined ? { node: out.node } : {}),
      ...extra,
    });
  const progress = createProgress(opts.progress ?? 'auto');
  const say = (line: string) => {
    progress.log(line);
  };
  const harnessLog = createWriteStream(join(run.logs, 'harness.log'), { flags: 'a' });
  const proxyLog = createWriteStream(join(run.logs, 'fault-proxy.log'), { flags: 'a' });
  const stamp = () => `${(Number(process.hrtime.bigint() - startNs) / 1e9).toFixed(3)}s`;
  const logToProgress = (line: string) => {
    harnessLog.write(`${stamp()} ${line}\n`);
    if (opts.progress === 'none') log(line);
    else say(line);
  };
  const logProxy = (line: string) => proxyLog.write(`${stamp()} ${line}\n`);

  let cluster: Cluster | undefined;
  let customStop: (() => Promise<void>) | undefined;
  let proxy: Awaited<ReturnType<typeof acquireFaultProxy>> | undefined;
  let nemesis: Nemesis | undefined;
  let services: RunningServices | undefined;
  const clients = new Set<Client>();
  // Client mode `process`: every client is its own OS process, so the nemesis can freeze one (pause:client).
  const procClients: ProcessClientFactory | undefined =
    knobs.clientMode === 'process'
      ? processClientFactory({ scenarioRef: opts.scenarioRef, seed: opts.seed, registry, logFile: join(run.logs, 'clients.log') })
      : undefined;
  const clientFactory = procClients ?? scenario.client;
  const openTimeoutMs = procClients ? 15_000 : knobs.opTimeoutMs * 2;
  const stats: RunStats = { ...counters, opsPerSec: 0, totalMs: 0 };
  let error: string | undefined;
  let harnessFailure = false;
  const interrupted = () => opts.signal?.aborted === true;

  // A second signal while tearing down: kill every backend process group now and leave.
  const hardStop = () => {
    killAllLiveProcesses();
    rmSync(tmpRoot, { recursive: true, force: true });
    recorder.close();
  };
  process.once('exit', hardStop);

  try {
    // 1. The system under test.
    const tProvision = performance.now();
    let nodes: { name: string; endpoint: Endpoint }[];
    const peerLinks: Link[] = [];
    proxy = await acquireFaultProxy({ seed: opts.seed, log: logProxy, namePrefix: `${process.pid}-` });
    const api = proxy.api;
    if (scenario.backend) {
      const provisioner = await getProvisioner(opts.provisioner ?? 'local');
      cluster = await provisioner.provision(scenario.backend, {
        logDir: run.logs,
        tmpRoot,
        registry,
        log: logToProgress,
        peerLink: async (from, to, target) => {
          // A backend may need several links between one pair of nodes (ZooKeeper: quorum and election ports).
          const same = peerLinks.filter((l) => l.from === from && l.node === to).length;
          const link = await createPeerLink(api, from, to, target, `${process.pid}-`, same > 0 ? `-${same + 1}` : '');
          peerLinks.push(link);
          return link.listen;
        },
      });
      nodes = [...cluster.nodes];
    } else {
      const started = await scenario.system!.start({ logDir: run.logs, tmpRoot, log: logToProgress });
      customStop = started.stop;
      nodes = started.nodes;
    }
    stats.provisionMs = Math.round(performance.now() - tProvision);
    if (interrupted()) throw new Interrupted();

    // 2. The workload's own services (the lock workload's guarded resource), then one proxy link per (worker, node).
    services = await scenario.workload.services?.({ record: (rec) => recorder.record(rec as never), log: logToProgress });
    const links = await createClientLinks(api, knobs.clients, nodes, `${process.pid}-`);
    const allLinks = [...links, ...peerLinks];
    const endpointsFor = (worker: number) =>
      nodes.map((n) => ({ node: n.name, endpoint: links.find((l) => l.worker === worker && l.node === n.name)!.listen }));
    const directEndpoints = nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    const serviceUrls = () => (services ? { services: services.urls } : {});
    await clientFactory.setup?.(directEndpoints);

    // 3. Workers and nemesis.
    const workloadAbort = new AbortController();
    const onOuterAbort = () => workloadAbort.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const workloadStart = performance.now();
    const elapsed = () => performance.now() - workloadStart;
    const stopTimer = setTimeout(() => workloadAbort.abort(), knobs.timeLimitMs);
    let nextProcess = knobs.clients;
    let firstOpAt: number | undefined;
    // Workers that hold a lock (an acquire succeeded, no release invoked since): the nemesis target `holder`.
    const holding = new Set<number>();
    const invokers = new Map<number, BoundedInvoker>();

    const openClient = async (worker: number, rngW: Rng): Promise<Client | undefined> => {
      const ctx: ClientContext = { endpoints: endpointsFor(worker), worker, opTimeoutMs: knobs.opTimeoutMs, rng: rngW, ...serviceUrls() };
      while (!workloadAbort.signal.aborted) {
        try {
          const c = await Promise.race([
            clientFactory.open(ctx),
            sleep(openTimeoutMs).then(() => {
              throw new Error(`open timed out after ${openTimeoutMs} ms`);
            }),
          ]);
          clients.add(c);
          return c;
        } catch (err) {
          if (counters.invoked === 0 && elapsed() > 10_000) throw new Error(`client ${worker} could not connect for 10 s: ${errText(err)}`);
          await sleep(100, workloadAbort.signal);
        }
      }
      return undefined;
    };

    const closeClient = (c: Client) => {
      clients.delete(c);
      void c.close().catch(() => {});
    };

    const worker = async (w: number) => {
      const genRng = rng.fork(`generator-${w}`);
      const clientRng = rng.fork(`client-${w}`);
      const thinkRng = rng.fork(`think-${w}`);
      const gen = scenario.workload.generator(w, genRng);
      let proc = w;
      let failStreak = 0;
      let sinceYield = 0;
      const invoker = new BoundedInvoker(knobs.opTimeoutMs);
      invokers.set(w, invoker);
      let client = await openClient(w, clientRng);
      let last: LastOp | undefined;
      while (client && !workloadAbort.signal.aborted) {
        if (knobs.opLimit !== undefined && counters.invoked >= knobs.opLimit) {
          workloadAbort.abort();
          break;
        }
        const req = gen.next(last);
        if (req === null) break;
        firstOpAt ??= performance.now();
        if (req.f === 'release') holding.delete(w);
        recordInvoke(proc, req);
        const out = await invoker.invoke(client, req);
        recordCompletion(proc, req, out);
        last = { request: req, outcome: out };
        if (req.f === 'acquire' && out.type === 'ok') holding.add(w);
        if (out.type === 'info') {
          holding.delete(w);
          // The op may still take effect later: this process id stays "in flight" forever; continue as a new one.
          proc = nextProcess++;
          closeClient(client);
          client = await openClient(w, clientRng);
        }
        // A client that fails at once (e.g. while its link is down) would spin and flood the history: from the third
        // fail in a row, back off 5, 10, 20 ... 100 ms. (One or two fails in a row are normal: a cas that lost.)
        // Time-based only, so the op stream stays a function of the seed.
        if (out.type === 'fail') {
          failStreak++;
          if (failStreak >= 3) await sleep(Math.min(100, 5 * 2 ** Math.min(failStreak - 3, 5)), workloadAbort.signal);
        } else {
          failStreak = 0;
        }
        if (knobs.thinkMs) await sleep(thinkRng.int(knobs.thinkMs[0], knobs.thinkMs[1]), workloadAbort.signal);
        // Never let a client that answers synchronously starve the timers (time limit, nemesis, progress).
        if (++sinceYield >= 32) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      invoker.close();
      invokers.delete(w);
      holding.delete(w);
      if (client) closeClient(client);
    };

    if (cluster || schedule.length > 0) {
      nemesis = new Nemesis(
        schedule,
        {
          nodes: cluster?.nodes ?? [],
          leader: cluster?.leader?.bind(cluster),
          primary: cluster?.primary?.bind(cluster),
          links: allLinks,
          workers: knobs.clients,
          holders: () => [...holding].sort((a, b) => a - b),
          ...(procClients
            ? {
                // Freezing a client also freezes its worker's op clock: a paused holder's op is not late, and the
                // same process must wake up and carry on (the stale write of the lease-lock bug), not be replaced.
                clients: {
                  pause: (w: number) => {
                    const paused = procClients.pause(w);
                    if (paused) invokers.get(w)?.freeze();
                    return paused;
                  },
                  resume: (w: number) => {
                    const resumed = procClients.resume(w);
                    invokers.get(w)?.thaw();
                    return resumed;
                  },
                },
              }
            : {}),
        },
        proxy.api,
        rng.fork('nemesis-targets'),
        (rec) => {
          recorder.record(rec);
          if (rec.type === 'info' && rec.f.startsWith('start-')) counters.faults++;
        },
        logToProgress,
      );
    }
    progress.start(knobs.timeLimitMs);
    const ticker = setInterval(() => progress.update(elapsed(), counters), 250);
    let workerError: unknown;
    const workers = Array.from({ length: knobs.clients }, (_, w) =>
      worker(w).catch((err) => {
        workerError ??= err;
        workloadAbort.abort();
      }),
    );
    const nemesisDone = nemesis ? nemesis.run(workloadAbort.signal, elapsed) : Promise.resolve();
    await Promise.all(workers);
    workloadAbort.abort();
    clearTimeout(stopTimer);
    await nemesisDone;
    clearInterval(ticker);
    progress.update(elapsed(), counters);
    progress.stop();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    stats.workloadMs = Math.round(elapsed());
    if (firstOpAt !== undefined) stats.timeToFirstOpMs = Math.round(firstOpAt - t0);
    if (workerError) throw workerError;

    // 4. Heal, quiet period, final reads (skipped when interrupted).
    if (nemesis) {
      recorder.record({ process: 'nemesis', type: 'invoke', f: 'heal', value: null });
      await nemesis.heal();
      recorder.record({ process: 'nemesis', type: 'info', f: 'heal', value: null });
    }
    const finalOps = scenario.workload.finalOps();
    if (!interrupted() && finalOps.length > 0) {
      await sleep(nemesisSpec ? (nemesisSpec.quietMs ?? NEMESIS_DEFAULTS.quietMs) : 0, opts.signal);
      const finalAbort = new AbortController();
      opts.signal?.addEventListener('abort', () => finalAbort.abort(), { once: true });
      const proc = nextProcess++;
      // A fresh connection after the heal; retry connecting for a while since nodes may still be recovering.
      const ctx: ClientContext = { endpoints: endpointsFor(0), worker: 0, opTimeoutMs: knobs.opTimeoutMs, rng: rng.fork('final'), ...serviceUrls() };
      let client: Client | undefined;
      for (let attempt = 0; !client && attempt < 50 && !finalAbort.signal.aborted; attempt++) {
        client = await clientFactory.open(ctx).catch(() => undefined);
        if (!client) await sleep(200, finalAbort.signal);
      }
      if (client) {
        clients.add(client);
        const finalInvoker = new BoundedInvoker(knobs.opTimeoutMs * 5);
        let p = proc;
        for (const req of finalOps) {
          if (finalAbort.signal.aborted) break;
          recordInvoke(p, req, { final: true });
          const out = await finalInvoker.invoke(client, req);
          recordCompletion(p, req, out, { final: true });
          if (out.type === 'info') p = nextProcess++;
        }
        finalInvoker.close();
        closeClient(client);
      } else {
        log('final reads skipped: no client could connect after the heal');
      }
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) {
      harnessFailure = true;
      error = err instanceof ProvisionError ? err.message : errText(err);
      logToProgress(`run failed: ${error}`);
    }
  } finally {
    progress.stop();
    // 5. Tear down, whatever happened.
    const problems: string[] = [];
    if (nemesis) await nemesis.heal().catch(() => {});
    await Promise.all([...clients].map((c) => c.close().catch(() => {})));
    await procClients?.closeAll().catch(() => {});
    if (proxy) await proxy.close().catch((e: unknown) => problems.push(`fault proxy: ${errText(e)}`));
    if (cluster) await cluster.teardown().catch((e) => problems.push(`backend: ${errText(e)}`));
    if (services) await services.close().catch((e: unknown) => problems.push(`workload services: ${errText(e)}`));
    if (customStop) await customStop().catch((e) => problems.push(`system: ${errText(e)}`));
    recorder.close();
    rmSync(tmpRoot, { recursive: true, force: true });
    registry.removeTmpDir(tmpRoot);
    registry.close();
    process.removeListener('exit', hardStop);
    if (problems.length > 0) logToProgress(`teardown: ${problems.join('; ')}`);
    await Promise.all([harnessLog, proxyLog].map((st) => new Promise((r) => st.end(r))));
  }

  // 6. Check what was recorded (also after a failure: the history is still evidence).
  const tCheck = performance.now();
  let verdict: Verdict = 'unknown';
  let results: CheckResult[] = [];
  try {
    const { ops } = await readHistory(run.history, 'jsonl');
    const checked = await runCheckers(scenario.checkers, ops);
    verdict = checked.valid;
    results = checked.results;
  } catch (err) {
    error ??= `checking the history failed: ${errText(err)}`;
  }
  stats.checkMs = Math.round(performance.now() - tCheck);
  Object.assign(stats, counters);
  stats.opsPerSec = stats.workloadMs ? Math.round((counters.invoked * 1000) / stats.workloadMs) : 0;
  stats.totalMs = Math.round(performance.now() - t0);
  const perChecker = results.map((r, i) => ({ expect: scenario.checkers[i]?.expect, valid: r.valid }));
  const exitCode = harnessFailure ? 70 : exitCodeFor(verdict, scenario.expect, perChecker);
  const outcome: RunOutcome = { runDir: run.dir, verdict, expected: scenario.expect, exitCode, results, stats, reproduce, interrupted: interrupted(), ...(error ? { error } : {}) };
  writeJsonFile(run.results, {
    scenario: scenario.name,
    seed: opts.seed,
    valid: verdict,
    expected: scenario.expect,
    exitCode,
    interrupted: outcome.interrupted,
    ...(error ? { error } : {}),
    stats,
    reproduce,
    checkers: results,
    finishedAt: new Date().toISOString(),
  });
  await writeRunReports(run.dir, log);
  return outcome;
}

/**
 * Writes report.html and junit.xml next to results.json. Best effort: a renderer failure is logged and changes
 * neither the exit code nor anything already written (`faultline report <run-dir>` can rebuild them later).
 */
async function writeRunReports(dir: string, log: (line: string) => void): Promise<void> {
  try {
    const { writeRunReport } = await import('../reports/html/render.js');
    await writeRunReport(dir);
  } catch (err) {
    log(`report.html could not be written (the run and its results are intact; retry with \`faultline report ${dir}\`): ${errText(err)}`);
  }
  try {
    const { writeRunJUnit } = await import('../reports/junit.js');
    await writeRunJUnit(dir);
  } catch (err) {
    log(`junit.xml could not be written: ${errText(err)}`);
  }
}

/** Thrown inside the run when the user interrupted before the workload started. */
class Interrupted extends Error {}

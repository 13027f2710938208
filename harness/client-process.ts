/**
 * Clients as OS processes: a `ClientFactory` whose every client is a forked Node process (`client-child`) running
 * the scenario's own client, so a fault can freeze a real client with SIGSTOP while it holds a lock or has a request
 * in flight and resume it later (the GC-pause bug of leases and locks).
 *
 * Outcome rules on top of the child's own: an op the harness stops waiting for (its signal aborted) is `info`, never
 * `fail`, because the child may still complete it once it runs again; an op in flight when the child dies is `info`;
 * an op on a client whose process is gone, or whose signal was aborted before it was sent, is `fail` (never sent).
 *
 * Every child is registered with the pid registry while it lives, exits on its own when the IPC channel to the
 * harness disconnects, and is SIGKILLed by an exit hook if the harness exits with it still running.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isScenarioFile, loadScenario } from '../scenarios/index.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../workloads/types.js';
import type { PidRegistrar } from './backends/types.js';
import type { ChildMessage, ParentMessage } from './client-child.js';
import { message as errText } from '../workloads/settle.js';

export interface ProcessClientOptions {
  /** The scenario each child loads (built-in name or file path, as given to `faultline run`). */
  scenarioRef: string;
  /** The run's seed: child `w` gets `new Rng(seed).fork('client-w')`. */
  seed: number;
  /** Each child's pid is added while it runs and removed when it exits. */
  registry: PidRegistrar;
  /** Children's stdout and stderr are appended here; discarded when absent. */
  logFile?: string;
  /** How long `open` waits for Node to start, load the scenario and connect (default 10 s). */
  openTimeoutMs?: number;
  /** How long `close` waits for a graceful exit before SIGKILL (default 1 s). */
  closeGraceMs?: number;
}

/** A `ClientFactory` whose clients are processes, plus handles for pausing and resuming them. */
export interface ProcessClientFactory extends ClientFactory {
  /** Worker -> pid of that worker's current (most recently opened, still running) client process. */
  pids(): Map<number, number>;
  /** SIGSTOP the worker's current client process. False when the worker has no running client process. */
  pause(worker: number): boolean;
  /** SIGCONT the worker's current client process. False when the worker has no running client process. */
  resume(worker: number): boolean;
  /** Close every client process this factory started (SIGKILL where needed); resolves once all have exited. */
  closeAll(): Promise<void>;
}

/** Every running child of every factory, for the exit hook. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous: a harness that exits (or is torn down by a second Ctrl-C) must not leave a frozen client behind.
  process.once('exit', () => {
    for (const c of liveChildren) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** The child entry next to this file: `client-child.js` in dist/, `client-child.ts` (run through tsx) from source. */
export function childEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  const fromSource = here.endsWith('.ts');
  const file = join(dir, fromSource ? 'client-child.ts' : 'client-child.js');
  if (!existsSync(file)) throw new Error(`client process entry not found: ${file}${fromSource ? '' : ' (rebuild with npm run build)'}`);
  if (!fromSource) return { file, execArgv: [] };
  // Resolve tsx from here, not from the cwd, so a run started from another directory still finds it.
  let tsx = 'tsx';
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    /* fall back to resolving from the cwd */
  }
  return { file, execArgv: ['--import', tsx] };
}

/** The state letter of /proc/<pid>/stat (`T` = stopped), or undefined. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Why a child ended, for `info` errors. */
function exitReason(code: number | null, signal: NodeJS.Signals | null, fatal?: string): string {
  const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
  return `client process ${how}${fatal ? `: ${fatal}` : ''}`;
}

/** One client process and its bookkeeping. */
class ChildClient implements Client {
  readonly exited: Promise<void>;
  paused = false;
  private nextId = 1;
  private readonly pending = new Map<number, (o: OpOutcome) => void>();
  private exitInfo: string | undefined;
  private fatal: string | undefined;
  private closing: Promise<void> | undefined;
  private onOpenReply: ((msg: ChildMessage) => void) | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    readonly worker: number,
    private readonly closeGraceMs: number,
    onExit: () => void,
  ) {
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = exitReason(code, signal, this.fatal);
        for (const settle of this.pending.values()) settle({ type: 'info', error: `${this.exitInfo} before answering` });
        this.pending.clear();
        onExit();
        resolve();
      });
    });
    child.on('message', (raw: unknown) => this.onMessage(raw as ChildMessage));
    child.on('error', () => {}); // send/kill on a dead child; 'exit' is what we track
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Why the child is gone, if it is. */
  get exitReason(): string | undefined {
    return this.exitInfo;
  }

  private onMessage(msg: ChildMessage): void {
    switch (msg?.type) {
      case 'outcome': {
        const settle = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        settle?.(msg.outcome); // late answers to ops the harness gave up on are dropped
        break;
      }
      case 'fatal':
        this.fatal = msg.message;
        break;
      case 'opened':
      case 'error':
        this.onOpenReply?.(msg);
        break;
    }
  }

  /** Sends `open` and waits for the child's answer, its exit or the timeout. */
  openRemote(msg: Extract<ParentMessage, { type: 'open' }>, timeoutMs: number, logHint: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.onOpenReply = undefined;
        if (err) reject(err);
        else resolve();
      };
      this.onOpenReply = (reply) => {
        if (reply.type === 'opened') done();
        else if (reply.type === 'error') done(new Error(`client process for worker ${this.worker} could not open: ${reply.message}`));
      };
      timer = setTimeout(() => done(new Error(`client process for worker ${this.worker} did not open within ${timeoutMs} ms${logHint}`)), timeoutMs);
      void this.exited.then(() => done(new Error(`${this.exitInfo} before it opened${logHint}`)));
      this.send(msg).catch((err) => done(new Error(`client process for worker ${this.worker}: cannot send open: ${errText(err)}`)));
    });
  }

  private send(msg: ParentMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.child.connected) return reject(new Error(this.exitInfo ?? 'client process disconnected'));
      try {
        this.child.send(msg, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (signal.aborted) return Promise.resolve({ type: 'fail', error: 'aborted before sending' });
    if (!this.alive || this.closing || !this.child.connected) {
      return Promise.resolve({ type: 'fail', error: `not sent: ${this.exitInfo ?? 'client process closed'}` });
    }
    const id = this.nextId++;
    return new Promise<OpOutcome>((resolve) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        this.pending.delete(id);
        resolve({ type: 'info', error: 'aborted: no answer from client process (paused or slow)' });
        // Let the child's client notice, as an in-process client would; if it is frozen it sees this on resume.
        this.send({ type: 'abort', id }).catch(() => {});
      };
      this.pending.set(id, (o) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(o);
      });
      signal.addEventListener('abort', onAbort, { once: true });
      this.send({ type: 'invoke', id, op }).catch((err) => {
        // The channel broke while sending; the child may or may not have read it.
        const settle = this.pending.get(id);
        this.pending.delete(id);
        settle?.({ type: 'info', error: `client process: send failed: ${errText(err)}` });
      });
    });
  }

  /** Graceful close, SIGKILL after the grace period (at once if frozen). Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.alive) return;
      if (this.paused || processState(this.pid) === 'T') {
        this.kill(); // a frozen child cannot close gracefully; SIGCONT would let it run its in-flight op first
      } else {
        await this.send({ type: 'close' }).catch(() => this.kill());
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          this.exited.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.closeGraceMs))),
        ]);
        clearTimeout(timer);
        if (timedOut) this.kill();
      }
      await this.exited;
    })();
    return this.closing;
  }

  kill(): void {
    try {
      this.child.kill('SIGKILL'); // delivered to a SIGSTOPped process too
    } catch {
      /* gone */
    }
  }

  signal(sig: NodeJS.Signals): boolean {
    if (!this.alive) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }
}

/**
 * A client factory that runs each client in its own forked process. `open(ctx)` uses `ctx.endpoints`, `worker` and
 * `opTimeoutMs`; the child builds its own `rng` from `seed` and the worker (a function can't cross the IPC channel).
 */
export function processClientFactory(opts: ProcessClientOptions): ProcessClientFactory {
  const scenarioRef = isScenarioFile(opts.scenarioRef) ? resolve(opts.scenarioRef) : opts.scenarioRef;
  const openTimeoutMs = opts.openTimeoutMs ?? 10_000;
  const closeGraceMs = opts.closeGraceMs ?? 1_000;
  const all = new Set<ChildClient>();
  const current = new Map<number, ChildClient>();
  const logHint = opts.logFile ? ` (see ${opts.logFile})` : '';

  const spawnChild = (worker: number): ChildClient => {
    const entry = childEntry();
    let fd: number | undefined;
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      fd = openSync(opts.logFile, 'a');
    }
    let child: ChildProcess;
    try {
      child = fork(entry.file, [], {
        execArgv: entry.execArgv,
        stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore', 'ipc'],
        serialization: 'advanced',
        detached: false,
      });
      if (fd !== undefined && child.pid !== undefined) {
        writeSync(fd, `--- faultline ${new Date().toISOString()} client process for worker ${worker}: pid ${child.pid} (${scenarioRef})\n`);
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.on('error', () => {});
      throw new Error(`cannot start a client process for worker ${worker}: fork of ${entry.file} failed`);
    }
    installExitHook();
    liveChildren.add(child);
    opts.registry.add(pid, { name: `client-${worker}`, command: [process.execPath, ...entry.execArgv, entry.file, scenarioRef].join(' ') });
    const c: ChildClient = new ChildClient(child, pid, worker, closeGraceMs, () => {
      liveChildren.delete(child);
      opts.registry.remove(pid);
      all.delete(c);
      if (current.get(worker) === c) current.delete(worker);
    });
    all.add(c);
    current.set(worker, c);
    return c;
  };

  return {
    name: `process:${opts.scenarioRef}`,

    async open(ctx: ClientContext): Promise<Client> {
      const c = spawnChild(ctx.worker);
      try {
        await c.openRemote(
          {
            type: 'open',
            scenarioRef,
            worker: ctx.worker,
            endpoints: ctx.endpoints.map((e) => ({ node: e.node, endpoint: { host: e.endpoint.host, port: e.endpoint.port } })),
            opTimeoutMs: ctx.opTimeoutMs,
            seed: opts.seed,
            ...(ctx.services ? { services: { ...ctx.services } } : {}),
          },
          openTimeoutMs,
          logHint,
        );
      } catch (err) {
        c.kill();
        await c.exited;
        throw err;
      }
      return c;
    },

    async setup(endpoints) {
      // One-time setup runs in the harness process: it needs no pausing and the scenario is loaded there anyway.
      const scenario = await loadScenario(scenarioRef);
      await scenario.client.setup?.(endpoints);
    },

    pids() {
      const out = new Map<number, number>();
      for (const [w, c] of current) if (c.alive) out.set(w, c.pid);
      return out;
    },

    pause(worker) {
      const c = current.get(worker);
      if (!c?.signal('SIGSTOP')) return false;
      c.paused = true;
      return true;
    },

    resume(worker) {
      const c = current.get(worker);
      if (!c?.signal('SIGCONT')) return false;
      c.paused = false;
      return true;
    },

    async closeAll() {
      await Promise.all([...all].map((c) => c.close()));
    },
  };
}

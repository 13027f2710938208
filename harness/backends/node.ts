/**
 * The NodeHandle every local backend shares: a ManagedProcess per incarnation plus a readiness probe, with
 * lifecycle calls serialized so the nemesis and teardown can race without interleaving half-done transitions.
 */
import { rm } from 'node:fs/promises';
import { ManagedProcess, waitUntil, type SpawnSpec } from './process.js';
import type { Endpoint, NodeHandle, NodeState, PidRegistrar } from './types.js';

/** Why a start is happening, so a probe can be stricter the first time than on a nemesis restart. */
export interface ReadyContext {
  /** 1 for the first start, 2+ for restarts. */
  incarnation: number;
  /** The process being probed. */
  proc: ManagedProcess;
}

/** Everything a backend supplies to get a NodeHandle. */
export interface ProcessNodeOptions {
  name: string;
  endpoint: Endpoint;
  ports?: Record<string, number>;
  dataDir: string;
  logFile: string;
  /** Called before every (re)start; may differ per incarnation (e.g. a first-start-only flag). */
  spawnSpec(ctx: { incarnation: number }): SpawnSpec | Promise<SpawnSpec>;
  /** True once the node serves; errors mean "not yet". */
  ready(ctx: ReadyContext): Promise<boolean>;
  registry: PidRegistrar;
  /** Give up on readiness after this long (default 30 s). */
  readyTimeoutMs?: number;
  /** Poll interval for `ready` (default 100 ms). */
  readyIntervalMs?: number;
  /** SIGTERM grace period for stop() before SIGKILL (default 5 s). */
  stopGraceMs?: number;
  /** What to call the node in readiness errors (default `<name>`). */
  what?: string;
  log?(message: string): void;
}

/**
 * Lifecycle calls of a node, serialized: each starts once the previous one settled (whatever its outcome), so the
 * nemesis and teardown can race without interleaving half-done transitions. `stop` and `kill` are `halt` in the queue.
 */
export abstract class SerialLifecycle {
  private queue: Promise<unknown> = Promise.resolve();

  /** Stop the node: gracefully, or `hard` (SIGKILL); a no-op if it is not running. Runs inside the queue. */
  protected abstract halt(hard: boolean): Promise<void>;

  stop(): Promise<void> {
    return this.serial(() => this.halt(false));
  }

  kill(): Promise<void> {
    return this.serial(() => this.halt(true));
  }

  /** Runs `fn` after every lifecycle call queued before it. */
  protected serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }
}

/** A NodeHandle backed by a local child process. */
export class ProcessNode extends SerialLifecycle implements NodeHandle {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly opts: ProcessNodeOptions;
  private proc: ManagedProcess | undefined;
  private paused = false;
  private incarnation = 0;
  /** Wall-clock milliseconds the last successful start took (spawn to ready). */
  lastStartMs: number | undefined;

  constructor(opts: ProcessNodeOptions) {
    super();
    this.opts = opts;
    this.name = opts.name;
    this.endpoint = Object.freeze({ ...opts.endpoint });
    this.ports = Object.freeze({ ...(opts.ports ?? {}) });
    this.dataDir = opts.dataDir;
    this.logFile = opts.logFile;
  }

  /** The current incarnation's ManagedProcess, if one is running. */
  process(): ManagedProcess | undefined {
    return this.proc?.running ? this.proc : undefined;
  }

  pid(): number | undefined {
    return this.proc?.pid;
  }

  state(): NodeState {
    if (!this.proc?.running) return 'stopped';
    return this.paused ? 'paused' : 'running';
  }

  /** How many times the node has been spawned. */
  starts(): number {
    return this.incarnation;
  }

  /** Spawn and wait for readiness; a no-op if already running or paused. On failure the process is killed. */
  start(): Promise<void> {
    return this.serial(() => this.doStart());
  }

  /** SIGSTOP; a no-op unless running. */
  pause(): Promise<void> {
    return this.serial(async () => {
      if (this.state() !== 'running') return;
      this.proc!.pause();
      this.paused = true;
    });
  }

  /** SIGCONT; a no-op unless paused. */
  resume(): Promise<void> {
    return this.serial(async () => {
      if (this.state() !== 'paused') return;
      this.proc!.resume();
      this.paused = false;
    });
  }

  restart(opts: { hard?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      await this.halt(opts.hard === true);
      await this.doStart();
    });
  }

  /** Kill the process and delete the data dir (teardown). Does not wait for a pending start to become ready. */
  destroy(): Promise<void> {
    void this.proc?.kill(); // fails a start stuck in its readiness probe at once, instead of after its timeout
    return this.serial(async () => {
      await this.halt(true);
      await rm(this.dataDir, { recursive: true, force: true });
    });
  }

  private async doStart(): Promise<void> {
    if (this.proc?.running) return;
    const t0 = Date.now();
    const incarnation = ++this.incarnation;
    const spec = await this.opts.spawnSpec({ incarnation });
    const proc = new ManagedProcess(spec, this.opts.registry);
    this.proc = proc;
    this.paused = false;
    proc.start();
    try {
      await waitUntil(() => this.opts.ready({ incarnation, proc }), {
        timeoutMs: this.opts.readyTimeoutMs ?? 30_000,
        intervalMs: this.opts.readyIntervalMs ?? 100,
        what: this.opts.what ?? this.name,
        proc,
      });
    } catch (err) {
      await proc.kill();
      throw err;
    }
    this.lastStartMs = Date.now() - t0;
    this.opts.log?.(`${this.name} ready on ${this.endpoint.host}:${this.endpoint.port} (pid ${proc.pid}) in ${this.lastStartMs} ms`);
  }

  protected async halt(hard: boolean): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    if (hard) await proc.kill();
    else await proc.stop(this.opts.stopGraceMs ?? 5000);
    this.paused = false;
  }
}

/**
 * Tear down a set of nodes: kill all in parallel, remove their data dirs, and report (not throw) per-node errors
 * until every node had its chance; then throw the first error, if any.
 */
export async function destroyNodes(nodes: readonly ProcessNode[]): Promise<void> {
  const results = await Promise.allSettled(nodes.map((n) => n.destroy()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Make `fn` run once; later calls return the same promise (idempotent teardown). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

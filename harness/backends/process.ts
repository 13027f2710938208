/**
 * A managed child process: one backend server the nemesis can signal as a unit. Each incarnation runs detached in
 * its own process group, so signals reach whatever it forks and a dead harness leaves a group a later run can reap.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { ProvisionError, type PidRegistrar } from './types.js';

/** How to start one server process; never a shell string. */
export interface SpawnSpec {
  /** Name for logs and error messages (e.g. `redis-n1`). */
  name: string;
  /** The executable, found on PATH unless absolute. */
  command: string;
  args: string[];
  cwd?: string;
  /** Extra environment variables, merged over the harness's own environment. */
  env?: Record<string, string>;
  /** stdout and stderr are appended here; parent directories are created. */
  logFile: string;
  /** When we run as root, run the process as this OS user (e.g. `postgres`). Ignored when not root. */
  user?: string;
}

/** How an incarnation ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every process currently running, so the harness can SIGKILL them all on its way out. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** SIGKILL the process group of every live ManagedProcess, synchronously (for SIGINT/SIGTERM/exit handlers). */
export function killAllLiveProcesses(): number[] {
  const killed: number[] = [];
  for (const p of live) {
    const pid = p.pid;
    if (pid === undefined) continue;
    signalGroup(pid, 'SIGKILL');
    killed.push(pid);
  }
  return killed;
}

/** Send `sig` to process group `pgid`, ignoring "no such process". */
function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** A backend server process whose whole process group can be stopped, killed, paused and resumed. */
export class ManagedProcess {
  readonly spec: SpawnSpec;
  private readonly registry: PidRegistrar;
  private child: ChildProcess | undefined;
  private currentPid: number | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private stopping: Promise<void> | undefined;
  /** How the previous incarnation ended, if one has. */
  lastExit: ExitInfo | undefined;
  /** How many times start() has spawned. */
  starts = 0;

  constructor(spec: SpawnSpec, registry: PidRegistrar) {
    this.spec = spec;
    this.registry = registry;
  }

  get name(): string {
    return this.spec.name;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  /** The pid (= process group id) of the current incarnation, undefined when not running. */
  get pid(): number | undefined {
    return this.currentPid;
  }

  get running(): boolean {
    return this.currentPid !== undefined;
  }

  /** Spawn a new incarnation. Throws ProvisionError if the executable cannot be started; Error if already running. */
  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.currentPid})`);
    const { spec } = this;
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      writeSync(fd, `--- faultline ${new Date().toISOString()} start ${spec.name}: ${[spec.command, ...spec.args].map(quoteArg).join(' ')}\n`);
      const ids = spec.user !== undefined && process.getuid?.() === 0 ? lookupUser(spec.user) : undefined;
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ? { ...process.env, ...spec.env } : process.env,
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      // The 'error' event (ENOENT, EACCES) arrives later; swallow it, the throw below says it all.
      child.on('error', () => {});
      throw new ProvisionError(`cannot start ${spec.name}: failed to spawn ${spec.command}${onPathHint(spec.command)}`);
    }
    this.child = child;
    this.currentPid = pid;
    this.starts++;
    this.lastExit = undefined;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => void killAllLiveProcesses());
    }
    this.registry.add(pid, { name: spec.name, command: [spec.command, ...spec.args].join(' ') });
    child.on('error', () => {}); // e.g. kill() on an exited child; the exit event is what we track
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const info = { code, signal };
        if (this.child === child) {
          this.child = undefined;
          this.currentPid = undefined;
          this.lastExit = info;
        }
        live.delete(this);
        this.registry.remove(pid);
        resolve(info);
      });
    });
  }

  /** Resolves when the current incarnation exits (at once if nothing is running). */
  exited(): Promise<ExitInfo> {
    return this.exitPromise;
  }

  /** Send `sig` to the whole process group; a no-op when not running. */
  signal(sig: NodeJS.Signals): void {
    const pid = this.currentPid;
    if (pid !== undefined) signalGroup(pid, sig);
  }

  /** SIGSTOP the group: sockets stay open, nothing answers. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT the group. */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** SIGKILL the group and wait until the leader has been reaped (and unregistered). */
  async kill(): Promise<void> {
    const pid = this.currentPid;
    if (pid === undefined) return;
    const exited = this.exitPromise;
    signalGroup(pid, 'SIGKILL');
    await exited;
    signalGroup(pid, 'SIGKILL'); // stragglers the leader forked (the group outlives its leader)
  }

  /** SIGCONT + SIGTERM, then SIGKILL after `graceMs`. Idempotent; concurrent calls share one stop. */
  stop(graceMs = 5000): Promise<void> {
    if (this.stopping) return this.stopping;
    const pid = this.currentPid;
    if (pid === undefined) return Promise.resolve();
    const exited = this.exitPromise;
    const run = async () => {
      signalGroup(pid, 'SIGCONT');
      signalGroup(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) await this.kill();
      else signalGroup(pid, 'SIGKILL'); // stragglers
    };
    this.stopping = run().finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  /** The last `lines` lines of the log file (for error messages); empty if there is none. */
  tailLog(lines = 20): Promise<string> {
    return tailFile(this.spec.logFile, lines);
  }
}

/** Last `lines` lines of a file, reading at most its final 64 KiB. */
export async function tailFile(file: string, lines = 20): Promise<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    await fh.close();
  }
}

/** Describe an exit for messages: `exit code 1` / `signal SIGKILL`. */
export function describeExit(info: ExitInfo | undefined): string {
  if (!info) return 'exited';
  if (info.signal) return `killed by ${info.signal}`;
  return `exit code ${info.code}`;
}

/**
 * Poll `probe` (its errors count as "not yet") until it returns true. Throws ProvisionError naming `what` and the
 * log tail on timeout, or as soon as `proc` exits.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; what: string; proc?: ManagedProcess },
): Promise<void> {
  const { timeoutMs, intervalMs = 100, what, proc } = opts;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const exited = proc ? proc.exited().then(() => 'exited' as const) : new Promise<never>(() => {});
  const logHint = async () => (proc ? `; last lines of ${proc.logFile}:\n${await proc.tailLog()}` : '');
  for (;;) {
    if (proc && !proc.running) {
      throw new ProvisionError(`${what} exited before it was ready (${describeExit(proc.lastExit)})${await logHint()}`);
    }
    const left = deadline - Date.now();
    let ok = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const res = await Promise.race([
        probe(),
        exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(left, 0)))),
      ]);
      ok = res === true;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timer);
    }
    if (ok) return;
    if (proc && !proc.running) continue; // report the exit
    if (Date.now() >= deadline) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      throw new ProvisionError(`${what} not ready after ${secs} s${await logHint()}`);
    }
    await Promise.race([sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 0))), exited]);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** uid/gid of an OS user, from /etc/passwd, else `id -u/-g`. Throws ProvisionError if there is no such user. */
export function lookupUser(user: string): { uid: number; gid: number } {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // fall through to id(1)
  }
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
  } catch {
    // fall through
  }
  throw new ProvisionError(`no OS user named ${JSON.stringify(user)} (needed to run a backend as that user)`);
}

/** The absolute path of `command` if it is an executable file on the PATH of `env` (or is itself such a path). */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = isAbsolute(command) || command.includes('/')
    ? [command]
    : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Throw a ProvisionError naming the Debian package(s) to install if `command` is not on PATH. */
export function requireBinary(command: string, debianPackages: string): string {
  const found = findOnPath(command);
  if (!found) {
    throw new ProvisionError(`${command} not found on PATH; install it with: apt-get install ${debianPackages}`);
  }
  return found;
}

function onPathHint(command: string): string {
  return findOnPath(command) ? '' : ` (${command} not found on PATH)`;
}

function quoteArg(a: string): string {
  return a === '' || /[\s'"\\$]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a;
}

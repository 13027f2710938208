/**
 * Local PostgreSQL: a throwaway cluster made by `initdb` (trust auth, no fsync) and served by one postmaster
 * on loopback. When we run as root, both run as the `postgres` OS user, which owns the cluster's directories.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse, resolve } from 'node:path';
import { destroyNodes, once, ProcessNode, SerialLifecycle } from './node.js';
import { freePorts } from './ports.js';
import { findOnPath, lookupUser } from './process.js';
import {
  ProvisionError,
  type BackendSpec,
  type Cluster,
  type Endpoint,
  type NodeHandle,
  type NodeState,
  type ProvisionContext,
} from './types.js';

type PgSpec = Extract<BackendSpec, { kind: 'postgres' }>;

/** Knobs the backend spec does not carry (yet). */
export interface PostgresOptions {
  /** `fsync` setting; off by default (a killed process keeps the page cache, so kills lose nothing either way). */
  fsync?: boolean;
}

/** The OS user the servers run as when the harness is root (PostgreSQL refuses to run as root). */
export const POSTGRES_OS_USER = 'postgres';

/** Where Debian puts each major version's server binaries. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';

/**
 * The directory holding `initdb` and `postgres`: Debian's `/usr/lib/postgresql/<major>/bin` for the highest
 * major installed, else wherever `initdb` is on PATH; undefined when neither exists.
 */
export function postgresBinDir(): string | undefined {
  let majors: string[] = [];
  try {
    majors = readdirSync(DEBIAN_PG_ROOT).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian's layout
  }
  for (const m of majors) {
    const dir = join(DEBIAN_PG_ROOT, m, 'bin');
    if (findOnPath(join(dir, 'initdb')) && findOnPath(join(dir, 'postgres'))) return dir;
  }
  const initdb = findOnPath('initdb');
  return initdb && findOnPath(join(dirname(initdb), 'postgres')) ? dirname(initdb) : undefined;
}

function requirePostgresBinDir(): string {
  const dir = postgresBinDir();
  if (!dir) {
    throw new ProvisionError(
      `cannot start PostgreSQL: initdb and postgres not found (looked in ${DEBIAN_PG_ROOT}/<version>/bin and on PATH); install with: apt-get install postgresql`,
    );
  }
  return dir;
}

/** The `initdb` argument list for a throwaway cluster. */
export function initdbArgs(dataDir: string): string[] {
  return ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
}

/** The `postgres` argument list; `socketDir` undefined disables Unix sockets (TCP on 127.0.0.1 only). */
export function postgresArgs(opts: { dataDir: string; port: number; socketDir?: string; fsync?: boolean }): string[] {
  return [
    '-D', opts.dataDir,
    '-p', String(opts.port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${opts.socketDir ?? ''}`,
    '-c', `fsync=${opts.fsync ? 'on' : 'off'}`,
    // Two-phase commit workloads (dtx) need prepared transactions; the default of 0 disables them.
    '-c', 'max_prepared_transactions=64',
    '-c', 'max_connections=200',
    '-c', 'shared_buffers=32MB',
    '-c', 'log_line_prefix=%m [%p] ',
  ];
}

/** A PostgreSQL v3 StartupMessage for user/database `postgres`. */
function startupMessage(): Buffer {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'utf8');
  const buf = Buffer.alloc(8 + params.length);
  buf.writeInt32BE(buf.length, 0);
  buf.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(buf, 8);
  return buf;
}

/**
 * `pg_isready` without a process: sends a startup packet and reads the first reply. Any authentication request
 * means the server accepts connections; an error with SQLSTATE 57P03 (starting up, shutting down, recovering)
 * means not yet. Resolves false on connection errors or when no reply arrives within `timeoutMs` (paused).
 */
export function pgAcceptsConnections(endpoint: Endpoint, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: endpoint.host, port: endpoint.port });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) sock.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.once('connect', () => sock.write(startupMessage()));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 5) return;
      const type = String.fromCharCode(buf[0]);
      if (type === 'R') return finish(true);
      if (type !== 'E') return finish(true); // something protocol-level answered: the server is accepting
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) return;
      const fields = buf.subarray(5, 1 + len).toString('utf8').split('\0');
      const code = fields.find((f) => f.startsWith('C'))?.slice(1);
      finish(code !== '57P03');
    });
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
  });
}

/** Can uid/gid enter `dir`? (Owner, group, then other execute bits; ACLs and extra groups are ignored.) */
async function traversable(dir: string, uid: number, gid: number): Promise<boolean> {
  const st = await stat(dir);
  if (uid === 0) return true;
  if (st.uid === uid) return (st.mode & 0o100) !== 0;
  if (st.gid === gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** Every directory from `/` down to `dir`, inclusive. */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  let d = resolve(dir);
  const { root } = parse(d);
  for (;;) {
    out.unshift(d);
    if (d === root) return out;
    d = dirname(d);
  }
}

/**
 * A fresh directory the server user can reach. Inside `tmpRoot` when every ancestor up to `tmpRoot` lets it
 * pass (we add `o+x` to `tmpRoot` itself, which this run owns); else in the OS temp dir. Returns the path.
 */
async function makeClusterRoot(ctx: ProvisionContext, ids: { uid: number; gid: number } | undefined): Promise<string> {
  await mkdir(ctx.tmpRoot, { recursive: true });
  if (!ids) return mkdtemp(join(ctx.tmpRoot, 'postgres-'));
  const tmpRoot = resolve(ctx.tmpRoot);
  let reachable = true;
  for (const d of ancestors(dirname(tmpRoot))) {
    if (!(await traversable(d, ids.uid, ids.gid))) {
      reachable = false;
      break;
    }
  }
  let root: string;
  if (reachable) {
    if (!(await traversable(tmpRoot, ids.uid, ids.gid))) {
      await chmod(tmpRoot, ((await stat(tmpRoot)).mode & 0o7777) | 0o001);
    }
    root = await mkdtemp(join(tmpRoot, 'postgres-'));
  } else {
    root = await mkdtemp(join(tmpdir(), 'faultline-postgres-'));
    ctx.log(`postgres: ${tmpRoot} is not reachable by the ${POSTGRES_OS_USER} user; using ${root}`);
    for (const d of ancestors(dirname(root))) {
      if (!(await traversable(d, ids.uid, ids.gid))) {
        await rm(root, { recursive: true, force: true });
        throw new ProvisionError(
          `postgres: the ${POSTGRES_OS_USER} user cannot reach ${d}; give it o+x or set TMPDIR to a directory it can reach`,
        );
      }
    }
  }
  await chown(root, ids.uid, ids.gid);
  return root;
}

/** Runs initdb (as `ids` when given), appending its output to `logFile`; ProvisionError with the output on failure. */
function runInitdb(binDir: string, dataDir: string, cwd: string, logFile: string, ids?: { uid: number; gid: number }): Promise<void> {
  const initdb = join(binDir, 'initdb');
  const args = initdbArgs(dataDir);
  return new Promise((resolveP, reject) => {
    execFile(
      initdb,
      args,
      {
        cwd,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        timeout: 120_000,
        killSignal: 'SIGKILL',
        maxBuffer: 4 * 1024 * 1024,
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      },
      (err, stdout, stderr) => {
        const out = `--- faultline ${new Date().toISOString()} ${initdb} ${args.join(' ')}\n${stdout}${stderr}`;
        void appendFile(logFile, out).catch(() => {}).then(() => {
          if (!err) return resolveP();
          const tail = `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n');
          reject(new ProvisionError(`postgres: initdb failed (${err.message.split('\n')[0]}):\n${tail}`));
        });
      },
    );
  });
}

/**
 * Removes the SysV shared-memory segment a SIGKILLed postmaster leaves behind (its id is on line 7 of
 * `postmaster.pid`); once the data dir is gone, nothing else would ever remove it. Best effort.
 */
function removeStaleSharedMemory(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  try {
    const line = readFileSync(pidFile, 'utf8').split('\n')[6] ?? '';
    const shmid = line.trim().split(/\s+/)[1];
    if (shmid && /^\d+$/.test(shmid)) execFileSync('ipcrm', ['-m', shmid], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone, or ipcrm missing: nothing more to do
  }
}

/** Live (non-zombie) children of `pid`, from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z' && Number(f[1]) === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True when `pid` is stopped (state T or t), a zombie, or gone. */
function stoppedOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[TtZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signalEach(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/**
 * PostgreSQL's children call `setsid()`, so a signal to the postmaster's process group reaches the postmaster
 * alone. This handle wraps the generic ProcessNode and also stops, continues and kills the children (backends,
 * checkpointer, ...) so a paused server is paused as a whole and a killed one leaves nothing behind.
 */
class PostgresNode extends SerialLifecycle implements NodeHandle {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;

  constructor(readonly inner: ProcessNode) {
    super();
    this.name = inner.name;
    this.endpoint = inner.endpoint;
    this.ports = inner.ports;
    this.dataDir = inner.dataDir;
    this.logFile = inner.logFile;
  }

  pid(): number | undefined {
    return this.inner.pid();
  }

  state(): NodeState {
    return this.inner.state();
  }

  start(): Promise<void> {
    return this.serial(() => this.inner.start());
  }

  /** SIGSTOP the postmaster first (so it forks nothing new), then every child. */
  pause(): Promise<void> {
    return this.serial(async () => {
      const pm = this.inner.pid();
      if (pm === undefined || this.inner.state() !== 'running') return;
      await this.inner.pause();
      signalEach(childPids(pm), 'SIGSTOP');
      // Signals are delivered asynchronously: return only once every child is really stopped (or gone).
      const until = Date.now() + 1000;
      while (Date.now() < until && childPids(pm).some((c) => !stoppedOrGone(c))) {
        signalEach(childPids(pm).filter((c) => !stoppedOrGone(c)), 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 10));
      }
    });
  }

  /** SIGCONT the children, then the postmaster. */
  resume(): Promise<void> {
    return this.serial(async () => {
      const pm = this.inner.pid();
      if (pm === undefined || this.inner.state() !== 'paused') return;
      signalEach(childPids(pm), 'SIGCONT');
      await this.inner.resume();
    });
  }

  restart(opts: { hard?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      await this.halt(opts.hard === true);
      await this.inner.start();
    });
  }

  /** Graceful: continue everything, let the postmaster shut its children down (SIGKILL after the grace period). */
  protected async halt(hard: boolean): Promise<void> {
    const pm = this.inner.pid();
    if (pm === undefined) return;
    if (hard) {
      signalEach([pm], 'SIGSTOP'); // no new forks while we collect the children
      const kids = childPids(pm);
      signalEach(kids, 'SIGKILL');
      await this.inner.kill();
      await waitGone(kids, 5000);
      return;
    }
    signalEach(childPids(pm), 'SIGCONT');
    const kids = childPids(pm);
    await this.inner.stop();
    signalEach(kids, 'SIGKILL'); // only stragglers of a stop that ran out of grace are still there
    await waitGone(kids, 5000);
  }
}

/** A Unix socket path must fit in sockaddr_un (107 bytes); longer run dirs get TCP only. */
function socketDirFits(dir: string, port: number): boolean {
  return Buffer.byteLength(join(dir, `.s.PGSQL.${port}`)) <= 100;
}

/**
 * Creates a throwaway cluster and starts its postmaster; `primary()` is the one node. Pause, resume and kill
 * reach the postmaster and every child it forked. Teardown stops it and removes every file.
 */
export async function startPostgres(spec: PgSpec, ctx: ProvisionContext, opts: PostgresOptions = {}): Promise<Cluster> {
  if (spec.nodes !== undefined && spec.nodes !== 1) {
    throw new ProvisionError(`postgres: only a single node is supported (got nodes: ${String(spec.nodes)})`);
  }
  const binDir = requirePostgresBinDir();
  const ids = process.getuid?.() === 0 ? lookupUser(POSTGRES_OS_USER) : undefined;
  await mkdir(ctx.logDir, { recursive: true });
  const root = await makeClusterRoot(ctx, ids);
  const nodes: PostgresNode[] = [];
  const name = 'n1';
  const nodeDir = join(root, name);
  const dataDir = join(nodeDir, 'data');
  const teardown = once(async () => {
    try {
      // Graceful first, so the postmaster removes its shared memory itself; SIGKILL after the grace period.
      await Promise.allSettled(nodes.map((n) => n.stop()));
      removeStaleSharedMemory(dataDir);
      await destroyNodes(nodes.map((n) => n.inner));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  try {
    const [port] = await freePorts(1);
    const endpoint: Endpoint = { host: '127.0.0.1', port };
    const runDir = join(nodeDir, 'run');
    await mkdir(runDir, { recursive: true });
    if (ids) {
      await chown(nodeDir, ids.uid, ids.gid);
      await chown(runDir, ids.uid, ids.gid);
    }
    const logFile = join(ctx.logDir, `postgres-${name}.log`);
    const t0 = Date.now();
    await runInitdb(binDir, dataDir, nodeDir, logFile, ids);
    ctx.log(`postgres: initdb took ${Date.now() - t0} ms`);
    const socketDir = socketDirFits(runDir, port) ? runDir : undefined;
    const inner = new ProcessNode({
      name,
      endpoint,
      ports: { client: port },
      dataDir: nodeDir,
      logFile,
      registry: ctx.registry,
      readyTimeoutMs: ctx.readyTimeoutMs,
      stopGraceMs: 5000,
      what: `postgres ${name} (127.0.0.1:${port})`,
      log: (m) => ctx.log(`postgres ${m}`),
      spawnSpec: () => ({
        name: `postgres-${name}`,
        command: join(binDir, 'postgres'),
        args: postgresArgs({ dataDir, port, socketDir, fsync: opts.fsync }),
        cwd: nodeDir,
        env: { LC_ALL: 'C', LANG: 'C' },
        logFile,
        ...(ids ? { user: POSTGRES_OS_USER } : {}),
      }),
      ready: () => pgAcceptsConnections(endpoint),
    });
    const node = new PostgresNode(inner);
    nodes.push(node);
    await node.start();
  } catch (err) {
    await teardown().catch((e) => ctx.log(`postgres: teardown after failed start: ${String(e)}`));
    throw err;
  }
  return { kind: 'postgres', spec, nodes, primary: () => nodes[0], teardown };
}

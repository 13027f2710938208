/**
 * `faultline doctor`: which backend tools this machine has, their versions, and the Debian packages that supply
 * the missing ones, so a failed run's "X not found" can be fixed in one command.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findOnPath } from './backends/process.js';
import { dockerAvailable } from './backends/provisioner.js';
import { ZOOKEEPER_JAR } from './backends/zookeeper.js';

/** The part of faultline a tool serves; a backend is usable only when all its required tools are present. */
export type DoctorGroup = 'harness' | 'redis' | 'etcd' | 'zookeeper' | 'postgres' | 'containers' | 'faults';

/** One tool (or jar, or daemon) and what we found. */
export interface ToolStatus {
  name: string;
  group: DoctorGroup;
  present: boolean;
  /** Version as the tool itself reports it (e.g. `7.0.15`); undefined if absent or unparseable. */
  version?: string;
  /** Where it was found (absolute path, URL, or socket). */
  location?: string;
  /** Debian package(s) that provide it, space separated; undefined when apt cannot supply it. */
  install?: string;
  /** Extra explanation (why absent, what to do). */
  detail?: string;
  /** Optional tools (Docker, Toxiproxy) never make a backend unusable and are never auto-installed. */
  optional: boolean;
}

/** Whether each backend can run with the local provisioner (or, for `containers`, at all). */
export interface GroupStatus {
  group: DoctorGroup;
  usable: boolean;
  missing: string[];
}

/** Everything `doctor` found; `--json` prints it as is. */
export interface DoctorReport {
  tools: ToolStatus[];
  groups: GroupStatus[];
  root: boolean;
}

/** Knobs for tests and unusual machines. */
export interface DiagnoseOptions {
  /** Environment to read PATH, JAVA_HOME and TOXIPROXY_URL from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Where Debian's PostgreSQL lives (default `/usr/lib/postgresql`). */
  postgresRoot?: string;
  /** The ZooKeeper server jar (default `/usr/share/java/zookeeper.jar`). */
  zookeeperJar?: string;
  /** Skip the Docker daemon probe (it can take up to its timeout). */
  skipDockerDaemon?: boolean;
}

const POSTGRES_ROOT = '/usr/lib/postgresql';

interface ToolSpec {
  name: string;
  group: DoctorGroup;
  install?: string;
  optional?: boolean;
  /** Resolve the executable; undefined = missing. */
  locate(env: NodeJS.ProcessEnv): string | undefined;
  versionArgs?: string[];
}

/** The executable `name` on the PATH in `env` (or `name` itself when it is a path). */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findOnPath(name, env);
}

/** Debian's `/usr/lib/postgresql/<major>/bin` with the highest major that has `initdb`, else the PATH's. */
function postgresBin(tool: string, root: string, env: NodeJS.ProcessEnv): string | undefined {
  let majors: string[] = [];
  try {
    majors = readdirSync(root).filter((d) => /^\d+(\.\d+)?$/.test(d)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // no Debian layout
  }
  for (const m of majors) {
    const p = which(join(root, m, 'bin', tool), env);
    if (p) return p;
  }
  return which(tool, env);
}

function javaPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.JAVA_HOME) {
    const p = which(join(env.JAVA_HOME, 'bin', 'java'), env);
    if (p) return p;
  }
  return which('java', env);
}

function specs(opts: { postgresRoot: string }): ToolSpec[] {
  const onPath = (name: string) => (env: NodeJS.ProcessEnv) => which(name, env);
  const pg = (name: string) => (env: NodeJS.ProcessEnv) => postgresBin(name, opts.postgresRoot, env);
  return [
    { name: 'npm', group: 'harness', install: 'npm', locate: onPath('npm'), versionArgs: ['--version'] },
    { name: 'redis-server', group: 'redis', install: 'redis-server', locate: onPath('redis-server'), versionArgs: ['--version'] },
    { name: 'redis-cli', group: 'redis', install: 'redis-tools', locate: onPath('redis-cli'), versionArgs: ['--version'] },
    { name: 'etcd', group: 'etcd', install: 'etcd-server', locate: onPath('etcd'), versionArgs: ['--version'] },
    { name: 'etcdctl', group: 'etcd', install: 'etcd-client', locate: onPath('etcdctl'), versionArgs: ['version'] },
    { name: 'java', group: 'zookeeper', install: 'default-jre-headless', locate: javaPath, versionArgs: ['-version'] },
    { name: 'postgres', group: 'postgres', install: 'postgresql', locate: pg('postgres'), versionArgs: ['--version'] },
    { name: 'initdb', group: 'postgres', install: 'postgresql', locate: pg('initdb'), versionArgs: ['--version'] },
    { name: 'pg_isready', group: 'postgres', install: 'postgresql-client', locate: pg('pg_isready'), versionArgs: ['--version'] },
    { name: 'psql', group: 'postgres', install: 'postgresql-client', locate: pg('psql'), versionArgs: ['--version'] },
    { name: 'docker', group: 'containers', install: 'docker.io', optional: true, locate: onPath('docker'), versionArgs: ['--version'] },
  ];
}

/** Runs `cmd args` (5 s cap) and returns the first `x.y[.z]` in its output, or undefined. */
function toolVersion(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5000, killSignal: 'SIGKILL', windowsHide: true }, (_err, stdout, stderr) => {
      resolve(parseVersion(`${stdout}\n${stderr}`));
    });
  });
}

/** The first dotted version number in a tool's `--version` output. */
export function parseVersion(text: string): string | undefined {
  return /\b(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

async function checkTool(spec: ToolSpec, env: NodeJS.ProcessEnv): Promise<ToolStatus> {
  const location = spec.locate(env);
  const base = { name: spec.name, group: spec.group, install: spec.install, optional: spec.optional ?? false };
  if (!location) return { ...base, present: false, detail: `${spec.name} not found` };
  const version = spec.versionArgs ? await toolVersion(location, spec.versionArgs) : undefined;
  return { ...base, present: true, location, version };
}

function checkZookeeperJar(jar: string): ToolStatus {
  const base = { name: 'zookeeper.jar', group: 'zookeeper' as const, install: 'zookeeper', optional: false };
  if (!existsSync(jar)) return { ...base, present: false, detail: `${jar} not found` };
  let version: string | undefined;
  try {
    // Debian ships `zookeeper.jar` with a versioned symlink beside it (`zookeeper-3.8.0.jar -> zookeeper.jar`).
    const real = realpathSync(jar);
    version = /^zookeeper-(\d+\.\d+\.\d+)\.jar$/.exec(basename(real))?.[1];
    for (const f of version ? [] : readdirSync(dirname(jar))) {
      const m = /^zookeeper-(\d+\.\d+\.\d+)\.jar$/.exec(f);
      if (m && realpathSync(join(dirname(jar), f)) === real) {
        version = m[1];
        break;
      }
    }
  } catch {
    // unreadable: present, version unknown
  }
  return { ...base, present: true, location: jar, version };
}

async function checkDockerDaemon(): Promise<ToolStatus> {
  const st = await dockerAvailable({ timeoutMs: 3000 });
  return {
    name: 'docker daemon',
    group: 'containers',
    present: st.ok,
    version: st.ok ? parseVersion(st.detail) : undefined,
    detail: st.ok ? undefined : `${st.detail} (only the containers provisioner needs it)`,
    optional: true,
  };
}

async function checkToxiproxy(url: string): Promise<ToolStatus> {
  const base = { name: 'toxiproxy', group: 'faults' as const, optional: true, location: url };
  try {
    const res = await fetch(new URL('/version', url), { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (!res.ok) return { ...base, present: false, detail: `TOXIPROXY_URL answered HTTP ${res.status}` };
    return { ...base, present: true, version: parseVersion(body) };
  } catch (err) {
    return { ...base, present: false, detail: `TOXIPROXY_URL does not answer: ${(err as Error).message}` };
  }
}

/** Checks every tool concurrently and summarises which backends are usable. */
export async function diagnose(opts: DiagnoseOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const node: ToolStatus = {
    name: 'node',
    group: 'harness',
    present: true,
    version: process.versions.node,
    location: process.execPath,
    install: 'nodejs',
    optional: false,
    detail: Number(process.versions.node.split('.')[0]) < 20 ? 'faultline needs Node 20 or newer' : undefined,
  };
  const pending: Promise<ToolStatus>[] = specs({ postgresRoot: opts.postgresRoot ?? POSTGRES_ROOT }).map((s) => checkTool(s, env));
  pending.push(Promise.resolve(checkZookeeperJar(opts.zookeeperJar ?? ZOOKEEPER_JAR)));
  if (!opts.skipDockerDaemon) pending.push(checkDockerDaemon());
  if (env.TOXIPROXY_URL) pending.push(checkToxiproxy(env.TOXIPROXY_URL));
  const tools = [node, ...(await Promise.all(pending))];
  const order: DoctorGroup[] = ['harness', 'redis', 'etcd', 'zookeeper', 'postgres', 'containers', 'faults'];
  tools.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
  const groups = order
    .filter((g) => tools.some((t) => t.group === g))
    .map((group) => {
      const mine = tools.filter((t) => t.group === group);
      const required = mine.some((t) => !t.optional) ? mine.filter((t) => !t.optional) : mine;
      const missing = required.filter((t) => !t.present).map((t) => t.name);
      return { group, usable: missing.length === 0, missing };
    });
  return { tools, groups, root: process.getuid?.() === 0 };
}

/** Debian packages for the missing required tools, deduplicated, in report order. */
export function missingPackages(report: DoctorReport): string[] {
  const out: string[] = [];
  for (const t of report.tools) {
    if (t.present || t.optional || !t.install) continue;
    for (const p of t.install.split(/\s+/)) if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

/** A plain-text table plus a per-backend summary and the one command that installs what is missing. */
export function formatDoctorReport(report: DoctorReport): string {
  const header = ['backend', 'tool', 'status', 'version', 'install (Debian)', 'notes'];
  const rows = report.tools.map((t) => [
    t.group,
    t.name,
    t.present ? 'ok' : t.optional ? 'absent' : 'MISSING',
    t.version ?? '',
    t.install ?? '',
    t.detail ?? (t.present ? (t.location ?? '') : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  for (const g of report.groups) {
    out.push(`${g.group.padEnd(11)} ${g.usable ? 'ready' : `not ready: missing ${g.missing.join(', ')}`}`);
  }
  const pkgs = missingPackages(report);
  if (pkgs.length > 0) {
    out.push('', `install the missing tools: ${report.root ? '' : 'sudo '}apt-get install -y ${pkgs.join(' ')}`);
    out.push('  (or: faultline doctor --install)');
  } else {
    out.push('', 'all required tools are present');
  }
  return out.join('\n') + '\n';
}

/** Runs a command with inherited stdio; rejects on a non-zero exit. */
function runInherit(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

/**
 * Installs the Debian packages for the missing required tools (`apt-get update`, then `apt-get install -y ...`)
 * and returns them. Needs root; otherwise throws an error quoting the `sudo` command to run by hand.
 */
export async function installMissing(
  report: DoctorReport,
  opts: { run?: (cmd: string, args: string[]) => Promise<void>; isRoot?: boolean } = {},
): Promise<string[]> {
  const pkgs = missingPackages(report);
  if (pkgs.length === 0) return [];
  const isRoot = opts.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error(
      `installing packages needs root; run: sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  const run = opts.run ?? runInherit;
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', ...pkgs]);
  return pkgs;
}

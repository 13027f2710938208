/**
 * A per-harness record of every backend process group and temp dir it created, kept on disk so a later run can
 * reap what a SIGKILLed harness left behind. Start times from /proc guard against killing a process that merely
 * reuses a recorded pid.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { PidRegistrar } from './backends/types.js';

/** One recorded process group. `start` is field 22 of /proc/<pid>/stat (clock ticks since boot). */
export interface PidEntry {
  pid: number;
  pgid: number;
  start: string;
  name: string;
  command: string;
}

/** The on-disk shape of `<storeRoot>/.pids/<harnessPid>.json`. */
export interface PidRegistryFile {
  harnessPid: number;
  harnessStart: string;
  runDir?: string;
  pids: PidEntry[];
  tmpDirs: string[];
}

/** Fields of /proc/<pid>/stat after the `(comm)` field: index 0 is field 3 (state). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The start time of `pid` (field 22 of /proc/<pid>/stat), or undefined if there is no such process. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number | undefined {
  const f = statFields(pid)?.[2];
  return f === undefined ? undefined : Number(f);
}

/** The directory holding registry files. */
export function pidDir(storeRoot: string): string {
  return join(storeRoot, '.pids');
}

/** Records this harness's backend processes and temp dirs, rewriting its file atomically on every change. */
export class PidRegistry implements PidRegistrar {
  readonly file: string;
  private readonly data: PidRegistryFile;
  private closed = false;

  constructor(storeRoot: string, opts: { runDir?: string } = {}) {
    const dir = pidDir(storeRoot);
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${process.pid}.json`);
    this.data = {
      harnessPid: process.pid,
      harnessStart: processStartTime(process.pid) ?? '',
      ...(opts.runDir !== undefined ? { runDir: opts.runDir } : {}),
      pids: [],
      tmpDirs: [],
    };
    this.write();
  }

  /** A copy of what is recorded now. */
  snapshot(): PidRegistryFile {
    return structuredClone(this.data);
  }

  set runDir(dir: string | undefined) {
    this.data.runDir = dir;
    this.write();
  }

  add(pid: number, info: { name: string; command: string }): void {
    this.data.pids = this.data.pids.filter((p) => p.pid !== pid);
    this.data.pids.push({
      pid,
      pgid: processGroup(pid) ?? pid,
      start: processStartTime(pid) ?? '',
      name: info.name,
      command: info.command,
    });
    this.write();
  }

  remove(pid: number): void {
    const before = this.data.pids.length;
    this.data.pids = this.data.pids.filter((p) => p.pid !== pid);
    if (this.data.pids.length !== before) this.write();
  }

  /** Record a directory to delete if this harness dies without cleaning up. */
  addTmpDir(dir: string): void {
    const abs = resolve(dir);
    if (!this.data.tmpDirs.includes(abs)) {
      this.data.tmpDirs.push(abs);
      this.write();
    }
  }

  removeTmpDir(dir: string): void {
    const abs = resolve(dir);
    const before = this.data.tmpDirs.length;
    this.data.tmpDirs = this.data.tmpDirs.filter((d) => d !== abs);
    if (this.data.tmpDirs.length !== before) this.write();
  }

  /** Delete the file: this harness has cleaned up after itself. Later add/remove calls are ignored. */
  close(): void {
    this.closed = true;
    rmSync(this.file, { force: true });
  }

  private write(): void {
    if (this.closed) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n');
    renameSync(tmp, this.file);
  }
}

/** Is the harness that wrote `f` still the same live process? */
function harnessAlive(f: PidRegistryFile): boolean {
  const start = processStartTime(f.harnessPid);
  return start !== undefined && start === f.harnessStart;
}

/** Refuse to delete anything that is not an absolute path at least two levels deep. */
function safeToRemove(dir: string): boolean {
  return isAbsolute(dir) && resolve(dir).split('/').filter(Boolean).length >= 2;
}

/**
 * For every registry file under `storeRoot` whose harness is gone (dead, or its pid reused by another process),
 * SIGKILL each recorded process group whose leader still has the recorded start time, delete its temp dirs and
 * the file. Unreadable files are left alone (and logged).
 */
export async function reapOrphans(
  storeRoot: string,
  log: (s: string) => void = () => {},
): Promise<{ killed: number[]; removedDirs: string[] }> {
  const killed: number[] = [];
  const removedDirs: string[] = [];
  const dir = pidDir(storeRoot);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return { killed, removedDirs };
  }
  for (const n of names) {
    const file = join(dir, n);
    let f: PidRegistryFile;
    try {
      f = JSON.parse(readFileSync(file, 'utf8')) as PidRegistryFile;
      if (typeof f.harnessPid !== 'number' || !Array.isArray(f.pids) || !Array.isArray(f.tmpDirs)) throw new Error('bad shape');
    } catch (err) {
      log(`pid registry: skipping unreadable ${file}: ${(err as Error).message}`);
      continue;
    }
    if (harnessAlive(f)) continue;
    for (const p of f.pids) {
      const start = processStartTime(p.pid);
      if (start === undefined) continue;
      if (start !== p.start) {
        log(`pid registry: pid ${p.pid} (${p.name}) now belongs to another process; not killing it`);
        continue;
      }
      try {
        process.kill(p.pgid === p.pid ? -p.pgid : p.pid, 'SIGKILL');
        killed.push(p.pid);
        log(`pid registry: killed orphan ${p.name} (pid ${p.pid}) left by harness ${f.harnessPid}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log(`pid registry: cannot kill ${p.pid}: ${(err as Error).message}`);
      }
    }
    for (const d of f.tmpDirs) {
      if (!safeToRemove(d)) {
        log(`pid registry: refusing to remove ${JSON.stringify(d)}`);
        continue;
      }
      await rm(d, { recursive: true, force: true });
      removedDirs.push(d);
    }
    rmSync(file, { force: true });
  }
  return { killed, removedDirs };
}

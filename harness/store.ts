/**
 * The run directory layout (DESIGN.md "Run directory"): `store/<scenario>/<ISO-time>-seed<seed>/` holding
 * `scenario.json`, `history.jsonl`, `results.json` and `logs/`, plus `store/latest` pointing at the newest run.
 * Nothing in a run directory is ever overwritten by a later run.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** Where runs go unless `--store` or `FAULTLINE_STORE` says otherwise. */
export function defaultStoreRoot(): string {
  return resolve(process.env.FAULTLINE_STORE ?? 'store');
}

/** Paths of one run's files, so every writer and reader agrees on them. */
export interface RunDir {
  readonly root: string;
  readonly dir: string;
  readonly history: string;
  readonly results: string;
  readonly scenario: string;
  readonly logs: string;
  /** Scratch space (data dirs of local backends); removed at the end of the run. */
  readonly tmp: string;
}

/** Paths inside an existing run directory. */
export function runDirPaths(root: string, dir: string): RunDir {
  return {
    root,
    dir,
    history: join(dir, 'history.jsonl'),
    results: join(dir, 'results.json'),
    scenario: join(dir, 'scenario.json'),
    logs: join(dir, 'logs'),
    tmp: join(dir, 'tmp'),
  };
}

/** A file-system-safe ISO timestamp (colons become dashes). */
function stamp(date: Date): string {
  return date.toISOString().replace(/:/g, '-');
}

/** Creates a fresh run directory (never reusing an existing one) and points `latest` at it. */
export function createRunDir(root: string, scenario: string, seed: number, now = new Date()): RunDir {
  const safeName = scenario.replace(/[^A-Za-z0-9._-]+/g, '_');
  const base = join(root, safeName, `${stamp(now)}-seed${seed}`);
  let dir = base;
  for (let n = 2; ; n++) {
    try {
      mkdirSync(join(root, safeName), { recursive: true });
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      dir = `${base}-${n}`;
    }
  }
  const run = runDirPaths(root, dir);
  mkdirSync(run.logs);
  updateLatest(root, dir);
  return run;
}

/** Atomically repoints `<root>/latest` (a relative symlink) at `dir`. */
export function updateLatest(root: string, dir: string): void {
  const link = join(root, 'latest');
  const tmp = join(root, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(relative(root, dir), tmp);
  renameSync(tmp, link);
}

/** Where `latest` points, or undefined. */
export function latestRunDir(root: string): string | undefined {
  try {
    return resolve(root, readlinkSync(join(root, 'latest')));
  } catch {
    return undefined;
  }
}

/** Writes JSON atomically (tmp + rename), so readers never see half a file. */
export function writeJsonFile(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

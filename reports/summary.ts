/**
 * One-line facts about a finished run (scenario, seed, when, how long, verdict against expectation, what went
 * wrong), read from its run directory. Shared by the JUnit writer and the suite index, so both agree.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { CheckResult, Verdict } from '../checkers/result.js';

/** What a run directory holds, for error messages. */
export const RUN_DIR_LAYOUT =
  'a run directory (store/<scenario>/<ISO-time>-seed<seed>/, written by `faultline run`) holds scenario.json, history.jsonl, results.json and logs/';

/** A path that is not a run directory, or a run directory missing a file a report needs. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDirError';
  }
}

/** Throws a RunDirError naming what is missing unless `runDir` is a directory holding history.jsonl. */
export function assertRunDir(runDir: string): void {
  let st;
  try {
    st = statSync(runDir);
  } catch {
    throw new RunDirError(`${runDir} does not exist; ${RUN_DIR_LAYOUT}`);
  }
  if (!st.isDirectory()) throw new RunDirError(`${runDir} is not a directory; ${RUN_DIR_LAYOUT}`);
  if (!existsSync(join(runDir, 'history.jsonl'))) {
    throw new RunDirError(`${runDir} is not a run directory: history.jsonl is missing; ${RUN_DIR_LAYOUT}`);
  }
}

/** The facts of one run that the suite index and JUnit show. */
export interface RunSummary {
  scenario: string;
  seed: number;
  /** ISO time the run started. */
  startedAt: string;
  durationMs: number;
  /** Client operations invoked. */
  ops: number;
  valid: Verdict;
  expected: 'valid' | 'invalid';
  /** 0 as expected, 1 not, 2 unknown, 70 harness failure (DESIGN.md); 70 also when results.json is missing. */
  exitCode: number;
  asExpected: boolean;
  /** Anomaly types with counts and the first explanation, or why there is no verdict; '' when nothing went wrong. */
  anomalySummary: string;
  /** Absolute path of the run directory. */
  runDir: string;
  /** The command that reruns it, when results.json or scenario.json says. */
  reproduce?: string;
  /** Per-checker verdicts. */
  checkers?: { checker: string; valid: Verdict }[];
  interrupted?: boolean;
  /** A harness error recorded in results.json, or a missing results.json. */
  error?: string;
}

interface ResultsFile {
  scenario?: string;
  seed?: number;
  valid?: Verdict;
  expected?: 'valid' | 'invalid';
  exitCode?: number;
  interrupted?: boolean;
  error?: string;
  stats?: { invoked?: number; totalMs?: number };
  reproduce?: string;
  checkers?: CheckResult[];
  finishedAt?: string;
}

interface ScenarioFile {
  name?: string;
  seed?: number;
  expect?: 'valid' | 'invalid';
  reproduce?: string;
  startedAt?: string;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new RunDirError(`${file} is not valid JSON (${(err as Error).message}); ${RUN_DIR_LAYOUT}`);
  }
}

const firstLine = (s: string, max = 300) => {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const verdictWord = (v: Verdict) => (v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN');

/**
 * "G-single-item ×3, G2-item ×1: <first explanation>" over every checker's anomalies; a checker that failed or
 * gave up without anomalies contributes its explanation. '' when every checker found the history valid.
 */
export function anomalySummary(results: readonly CheckResult[]): string {
  const counts = new Map<string, number>();
  let first: string | undefined;
  for (const r of results) {
    for (const a of r.anomalies ?? []) {
      counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
      first ??= a.explanation;
    }
  }
  if (counts.size > 0) {
    const types = [...counts].map(([t, n]) => `${t} ×${n}`).join(', ');
    return first ? `${types}: ${firstLine(first)}` : types;
  }
  const notValid = results.filter((r) => r.valid !== true);
  if (notValid.length === 0) return '';
  return notValid.map((r) => `${r.checker} ${verdictWord(r.valid)}${r.explanation ? `: ${firstLine(r.explanation)}` : ''}`).join('; ');
}

/** "2026-11-22T14-13-56.349Z-seed2" → "2026-11-22T14:13:56.349Z". */
function startFromDirName(dir: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2}(?:\.\d+)?)Z-seed\d+/.exec(basename(dir));
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** Client invocations in a history file (for runs without results.json). */
async function countInvocations(file: string): Promise<number> {
  let n = 0;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.includes('"invoke"') && /"type"\s*:\s*"invoke"/.test(line) && /"process"\s*:\s*\d/.test(line)) n++;
  }
  return n;
}

/** Reads a run directory's scenario.json and results.json into a RunSummary. */
export async function summarizeRun(runDir: string): Promise<RunSummary> {
  const dir = resolve(runDir);
  assertRunDir(dir);
  const scenario = (await readJson<ScenarioFile>(join(dir, 'scenario.json'))) ?? {};
  const results = await readJson<ResultsFile>(join(dir, 'results.json'));
  const seedFromName = /-seed(\d+)/.exec(basename(dir))?.[1];
  const seed = results?.seed ?? scenario.seed ?? (seedFromName !== undefined ? Number(seedFromName) : NaN);
  const name = results?.scenario ?? scenario.name ?? basename(resolve(dir, '..'));
  const expected = results?.expected ?? scenario.expect ?? 'valid';
  const checkers = results?.checkers ?? [];
  const startedAt =
    scenario.startedAt ??
    startFromDirName(dir) ??
    (results?.finishedAt && results.stats?.totalMs !== undefined ? new Date(Date.parse(results.finishedAt) - results.stats.totalMs).toISOString() : statSync(dir).mtime.toISOString());

  if (!results) {
    const error = `results.json is missing: the run did not finish (killed harness?); check its history with \`faultline check ${join(dir, 'history.jsonl')}\``;
    return {
      scenario: name,
      seed,
      startedAt,
      durationMs: 0,
      ops: await countInvocations(join(dir, 'history.jsonl')),
      valid: 'unknown',
      expected,
      exitCode: 70,
      asExpected: false,
      anomalySummary: error,
      runDir: dir,
      ...(scenario.reproduce ? { reproduce: scenario.reproduce } : {}),
      checkers: [],
      error,
    };
  }
  const valid: Verdict = results.valid ?? 'unknown';
  const exitCode = results.exitCode ?? 70;
  let summary = anomalySummary(checkers);
  if (results.error) summary = summary ? `${results.error}; ${summary}` : results.error;
  if (!summary && exitCode !== 0) summary = `${verdictWord(valid)} but the scenario expects ${expected.toUpperCase()}: no anomalies were found`;
  return {
    scenario: name,
    seed,
    startedAt,
    durationMs: results.stats?.totalMs ?? 0,
    ops: results.stats?.invoked ?? (await countInvocations(join(dir, 'history.jsonl'))),
    valid,
    expected,
    exitCode,
    asExpected: exitCode === 0,
    anomalySummary: summary,
    runDir: dir,
    ...(results.reproduce ?? scenario.reproduce ? { reproduce: results.reproduce ?? scenario.reproduce } : {}),
    checkers: checkers.map((c) => ({ checker: c.checker, valid: c.valid })),
    ...(results.interrupted ? { interrupted: true } : {}),
    ...(results.error ? { error: results.error } : {}),
  };
}

/**
 * Every run directory under a store (a directory holding history.jsonl), at most three levels deep, not following
 * symlinks (so `latest` is not counted twice). Sorted by path, which for `<scenario>/<ISO-time>-seed<n>` is
 * scenario, then time.
 */
export function findRunDirs(storeDir: string): string[] {
  const root = resolve(storeDir);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new RunDirError(`store ${storeDir} does not exist; a store holds one directory per scenario, each holding run directories (${RUN_DIR_LAYOUT})`);
  }
  if (!st.isDirectory()) throw new RunDirError(`store ${storeDir} is not a directory`);
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'history.jsonl'))) {
      found.push(dir);
      return;
    }
    if (depth >= 3) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'logs' || e.name === 'tmp') continue;
      walk(join(dir, e.name), depth + 1);
    }
  };
  walk(root, 0);
  return found.sort();
}

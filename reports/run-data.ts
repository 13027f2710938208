/**
 * Everything a per-run report shows, gathered from a run directory (`scenario.json`, `history.jsonl`,
 * `results.json`, `logs/*.log`) or from a bare history plus checker results (`faultline check`). Renderers take a
 * ReportData and never touch the file system themselves.
 */
import { existsSync, statSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { readHistory } from '../checkers/history/io.js';
import type { Op } from '../checkers/history/types.js';
import type { CheckResult, Verdict } from '../checkers/result.js';

/** One backend of the run: its kind and shape from scenario.json, its version when a log names it. */
export interface BackendInfo {
  kind: string;
  topology?: string;
  nodes?: number;
  version?: string;
  /** Where the version came from (log file name). */
  versionSource?: string;
}

/** A raw file of the run directory, linked relatively from report.html (which lives in the run directory). */
export interface RunFileLink {
  label: string;
  href: string;
  bytes?: number;
}

/** What is known about the run besides its history and results; every field is optional for bare histories. */
export interface ReportMeta {
  scenario?: string;
  ref?: string;
  description?: string;
  seed?: number;
  /** ISO timestamps. */
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  expected?: 'valid' | 'invalid';
  valid?: Verdict;
  exitCode?: number;
  interrupted?: boolean;
  error?: string;
  reproduce?: string;
  backends: BackendInfo[];
  workload?: string;
  client?: string;
  provisioner?: string;
  /** Per checker (same order as results): the expectation the checker states itself, if any. */
  checkerExpect: ('valid' | 'invalid' | undefined)[];
  stats?: Record<string, unknown>;
  files: RunFileLink[];
  /** The run directory, or a description of where the data came from. */
  source?: string;
}

export interface ReportData {
  meta: ReportMeta;
  /** The history in file order (nemesis and resource records included). */
  ops: Op[];
  results: CheckResult[];
}

const RUN_DIR_HELP =
  'a run directory (store/<scenario>/<ISO-time>-seed<seed>/, written by `faultline run`) holds scenario.json, history.jsonl, results.json and logs/';

/** A report from ops and checker results alone (no scenario.json, no logs): the header shows what is known. */
export function reportDataFromHistory(ops: Op[], results: CheckResult[], meta: Partial<ReportMeta> = {}): ReportData {
  if (!Array.isArray(ops)) throw new TypeError('reportDataFromHistory: ops must be an array of history records');
  if (!Array.isArray(results)) throw new TypeError('reportDataFromHistory: results must be an array of CheckResult');
  const full: ReportMeta = {
    backends: [],
    checkerExpect: results.map(() => undefined),
    files: [],
    ...meta,
  };
  if (full.durationMs === undefined) {
    const span = historySpanMs(ops);
    if (span !== undefined) full.durationMs = span;
  }
  if (full.valid === undefined && results.length > 0) full.valid = combine(results.map((r) => r.valid));
  return { meta: full, ops, results };
}

/** Loads a run directory; fails with a message naming the missing file and what a run directory holds. */
export async function loadRunData(runDir: string): Promise<ReportData> {
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new Error(`run directory ${runDir} does not exist: ${RUN_DIR_HELP}`);
  if (!statSync(dir).isDirectory()) throw new Error(`${runDir} is not a directory: ${RUN_DIR_HELP}`);
  const historyFile = join(dir, 'history.jsonl');
  if (!existsSync(historyFile)) throw new Error(`${runDir} has no history.jsonl, so it is not a run directory (or the run never started): ${RUN_DIR_HELP}`);

  const scenario = await readJson(join(dir, 'scenario.json'));
  const results = await readJson(join(dir, 'results.json'));
  const { ops } = await readHistory(historyFile, 'jsonl').catch((err: Error) => {
    throw new Error(`cannot read ${historyFile}: ${err.message}`);
  });
  const checkerResults: CheckResult[] = Array.isArray(results?.checkers) ? (results.checkers as CheckResult[]) : [];

  const files: RunFileLink[] = [];
  for (const name of ['history.jsonl', 'results.json', 'scenario.json']) {
    const p = join(dir, name);
    if (existsSync(p)) files.push({ label: name, href: name, bytes: statSync(p).size });
  }
  const logsDir = join(dir, 'logs');
  const logNames = existsSync(logsDir) ? (await readdir(logsDir)).filter((n) => statSync(join(logsDir, n)).isFile()).sort() : [];
  for (const n of logNames) files.push({ label: `logs/${n}`, href: `logs/${encodeURIComponent(n)}`, bytes: statSync(join(logsDir, n)).size });

  const backends = backendsOf(scenario?.backend);
  await findVersions(backends, logsDir, logNames);

  const scenCheckers: unknown[] = Array.isArray(scenario?.checkers) ? scenario.checkers : [];
  const stats = isObj(results?.stats) ? (results.stats as Record<string, unknown>) : undefined;
  const meta: ReportMeta = {
    scenario: str(results?.scenario) ?? str(scenario?.name),
    ref: str(scenario?.ref),
    description: str(scenario?.description),
    seed: num(results?.seed) ?? num(scenario?.seed),
    startedAt: str(scenario?.startedAt),
    finishedAt: str(results?.finishedAt),
    durationMs: num(stats?.totalMs) ?? historySpanMs(ops),
    expected: expectOf(results?.expected) ?? expectOf(scenario?.expect),
    valid: verdictOf(results?.valid),
    exitCode: num(results?.exitCode),
    interrupted: typeof results?.interrupted === 'boolean' ? results.interrupted : undefined,
    error: str(results?.error) ?? (results === undefined ? 'results.json is missing: the run did not finish, so no checker verdicts are available' : undefined),
    reproduce: str(results?.reproduce) ?? str(scenario?.reproduce),
    backends,
    workload: str(scenario?.workload?.name),
    client: str(scenario?.client),
    provisioner: str(scenario?.provisioner),
    checkerExpect: checkerResults.map((_, i) => expectOf((scenCheckers[i] as { expect?: unknown } | undefined)?.expect)),
    stats,
    files,
    source: dir,
  };
  return { meta, ops, results: checkerResults };
}

/** Milliseconds between the first and last timed record, if the history has times (ns). */
export function historySpanMs(ops: readonly Op[]): number | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const op of ops) {
    if (typeof op.time === 'number') {
      if (op.time < lo) lo = op.time;
      if (op.time > hi) hi = op.time;
    }
  }
  return hi >= lo ? Math.round((hi - Math.min(lo, 0)) / 1e6) : undefined;
}

function backendsOf(spec: unknown): BackendInfo[] {
  if (!isObj(spec)) return [];
  const s = spec as Record<string, unknown>;
  if (s.custom === true) return [{ kind: 'custom' }];
  if (typeof s.kind !== 'string') return [];
  const b: BackendInfo = { kind: s.kind };
  if (typeof s.topology === 'string') b.topology = s.topology;
  if (typeof s.nodes === 'number') b.nodes = s.nodes;
  return [b];
}

/** Version lines the backends print at start-up. */
const VERSION_PATTERNS: { kind: string; re: RegExp }[] = [
  { kind: 'redis', re: /Redis version=([0-9][\w.-]*)/ },
  { kind: 'etcd', re: /"etcd-version"\s*:\s*"([0-9][\w.-]*)"/ },
  { kind: 'etcd', re: /etcd Version:\s*([0-9][\w.-]*)/ },
  { kind: 'postgres', re: /PostgreSQL ([0-9][\w.]*)/ },
  { kind: 'zookeeper', re: /Zookeeper version:?\s*([0-9][\w.-]*)/i },
];

async function findVersions(backends: BackendInfo[], logsDir: string, logNames: string[]): Promise<void> {
  for (const name of logNames) {
    const head = await readHead(join(logsDir, name), 256 * 1024);
    for (const { kind, re } of VERSION_PATTERNS) {
      const m = re.exec(head);
      if (!m) continue;
      let b = backends.find((x) => x.kind === kind);
      if (!b) backends.push((b = { kind }));
      if (b.version === undefined) {
        b.version = m[1];
        b.versionSource = `logs/${basename(name)}`;
      }
    }
  }
}

async function readHead(file: string, bytes: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function readJson(file: string): Promise<any> {
  if (!existsSync(file)) return undefined;
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); it is written by \`faultline run\` and should not be edited`);
  }
}

function combine(vs: Verdict[]): Verdict {
  let out: Verdict = true;
  for (const v of vs) {
    if (v === false) return false;
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const expectOf = (v: unknown): 'valid' | 'invalid' | undefined => (v === 'valid' || v === 'invalid' ? v : undefined);
const verdictOf = (v: unknown): Verdict | undefined => (v === true || v === false || v === 'unknown' ? v : undefined);

/**
 * `npm run bench:locks` / `npm run bench:txn-scenarios`: every scenario of a set (locks: issue 4; txn: the
 * transaction, bank and list-append scenarios of issue 5) for many seeds, through the built CLI, one run at a
 * time. Prints one JSON document on stdout (progress on stderr) with, per scenario: the detection rate and median
 * seconds to the first violation (expected-invalid scenarios), false alarms (expected-valid ones) and client ops/s.
 *
 *   node --import tsx bench/scenarios.ts --set locks             10 seeds (20 for expected-valid), 60 s each
 *   node --import tsx bench/scenarios.ts --set txn --seeds 10 --valid-seeds 20 --time-limit 60s
 *   node --import tsx bench/scenarios.ts --set locks --only lock-redis-naive,lock-etcd --no-build
 *
 * "Seconds to first violation" is measured from the first client op to the moment the evidence of the earliest
 * anomaly was complete: for an overlap, the second holder's acquire; otherwise the latest op the anomaly names.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'harness', 'cli.js');
const args = process.argv.slice(2);
const log = (line: string): void => void process.stderr.write(`[bench:scenarios] ${line}\n`);

function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export const LOCK_SCENARIOS = [
  'lock-redis-naive',
  'lock-redis-token-pause',
  'lock-redlock-restart',
  'lock-etcd-pause',
  'lock-redis-token',
  'lock-redlock',
  'lock-etcd',
  'lock-zookeeper',
  'lock-pg-advisory',
];

export const TXN_SCENARIOS = [
  'txn-pg-repeatable-read',
  'txn-pg-read-committed',
  'bank-redis-naive',
  'txn-pg-serializable',
  'bank-redis-watch',
  'bank-redis-lua',
  'bank-etcd',
  'list-append-redis',
  'list-append-etcd',
];

/** The scenario sets, by `--set` name. */
export const SCENARIO_SETS: Record<string, string[]> = { locks: LOCK_SCENARIOS, txn: TXN_SCENARIOS };

interface HistoryOp {
  index: number;
  time?: number;
  process: number | string;
  type: string;
  f: string;
}

interface RunRecord {
  seed: number;
  exitCode: number;
  verdict: boolean | 'unknown';
  asExpected: boolean;
  violated: boolean;
  firstViolationS?: number;
  opsPerSec: number;
  anomalies: Record<string, number>;
  error?: string;
}

const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** When the earliest anomaly's evidence was complete, in seconds after the first client op. */
function firstViolation(history: HistoryOp[], checkers: { checker: string; anomalies: { type: string; ops: number[] }[] }[]): number | undefined {
  const byIndex = new Map(history.map((op) => [op.index, op]));
  const first = history.find((op) => typeof op.process === 'number' && op.type === 'invoke');
  if (first?.time === undefined) return undefined;
  let best: number | undefined;
  for (const c of checkers) {
    for (const a of c.anomalies) {
      const times = a.ops.map((i) => byIndex.get(i)).filter((op): op is HistoryOp => op?.time !== undefined);
      if (times.length === 0) continue;
      const acquires = times.filter((op) => op.f === 'acquire' && op.type === 'ok').map((op) => op.time!);
      // A grouped anomaly (bank: first, worst and last bad read) was evident at its first read already.
      const firstOp = byIndex.get((a as { first?: { index?: number } }).first?.index ?? -1);
      const at =
        firstOp?.time !== undefined ? firstOp.time : c.checker === 'overlap' && acquires.length >= 2 ? Math.max(...acquires) : Math.max(...times.map((op) => op.time!));
      if (best === undefined || at < best) best = at;
    }
  }
  return best === undefined ? undefined : (best - first.time) / 1e9;
}

function runOnce(scenario: string, seed: number, timeLimit: string, store: string): RunRecord {
  const p = spawnSync(process.execPath, [CLI, 'run', scenario, '--seed', String(seed), '--time-limit', timeLimit, '--store', store, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CI: 'true' },
  });
  let out: { runDir: string; verdict: boolean | 'unknown'; exitCode: number; stats: { opsPerSec: number }; error?: string };
  try {
    out = JSON.parse(p.stdout) as typeof out;
  } catch {
    return { seed, exitCode: p.status ?? -1, verdict: 'unknown', asExpected: false, violated: false, opsPerSec: 0, anomalies: {}, error: `no JSON from the CLI: ${p.stderr.slice(-500)}` };
  }
  const results = JSON.parse(readFileSync(join(out.runDir, 'results.json'), 'utf8')) as { checkers: { checker: string; valid: boolean | 'unknown'; anomalies: { type: string; ops: number[] }[] }[] };
  const history = readFileSync(join(out.runDir, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as HistoryOp);
  const anomalies: Record<string, number> = {};
  for (const c of results.checkers) for (const a of c.anomalies) anomalies[`${c.checker}:${a.type}`] = (anomalies[`${c.checker}:${a.type}`] ?? 0) + 1;
  const violated = results.checkers.some((c) => c.valid === false);
  const fv = violated ? firstViolation(history, results.checkers) : undefined;
  return {
    seed,
    exitCode: out.exitCode,
    verdict: out.verdict,
    asExpected: out.exitCode === 0,
    violated,
    ...(fv !== undefined ? { firstViolationS: Math.round(fv * 100) / 100 } : {}),
    opsPerSec: out.stats.opsPerSec,
    anomalies,
    ...(out.error ? { error: out.error } : {}),
  };
}

async function main(): Promise<void> {
  const seeds = Number(flag('--seeds') ?? 10);
  const validSeeds = Number(flag('--valid-seeds') ?? 20);
  const timeLimit = flag('--time-limit') ?? '60s';
  const firstSeed = Number(flag('--first-seed') ?? 1);
  const setName = flag('--set') ?? 'locks';
  const set = SCENARIO_SETS[setName];
  if (!set) throw new Error(`--set: unknown set ${JSON.stringify(setName)}; valid: ${Object.keys(SCENARIO_SETS).join(', ')}`);
  const only = flag('--only')?.split(',');
  const unknown = only?.filter((s) => !set.includes(s)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')}; valid: ${set.join(', ')}`);
  if (!args.includes('--no-build')) {
    log('building dist/ ...');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const { loadScenario } = await import('../scenarios/index.js');
  const store = mkdtempSync(join(tmpdir(), `faultline-bench-${setName}-`));
  const scenarios: Record<string, unknown>[] = [];
  const started = Date.now();
  try {
    for (const name of only ?? set) {
      const scenario = await loadScenario(name);
      const expect = scenario.expect;
      const n = expect === 'invalid' ? seeds : validSeeds;
      const runs: RunRecord[] = [];
      for (let seed = firstSeed; seed < firstSeed + n; seed++) {
        const r = runOnce(name, seed, timeLimit, store);
        runs.push(r);
        log(`${name} seed ${seed}: exit ${r.exitCode}, verdict ${String(r.verdict)}${r.firstViolationS !== undefined ? `, first violation at ${r.firstViolationS} s` : ''}, ${r.opsPerSec} ops/s${r.error ? ` (${r.error})` : ''}`);
      }
      const detected = runs.filter((r) => r.violated);
      scenarios.push({
        scenario: name,
        expect,
        runs: runs.length,
        timeLimit,
        ...(expect === 'invalid'
          ? { detected: detected.length, detectionRate: `${detected.length}/${runs.length}`, medianSecondsToFirstViolation: median(detected.flatMap((r) => (r.firstViolationS !== undefined ? [r.firstViolationS] : []))) }
          : { falseAlarms: detected.length }),
        asExpected: runs.filter((r) => r.asExpected).length,
        medianOpsPerSec: median(runs.map((r) => r.opsPerSec)),
        harnessFailures: runs.filter((r) => r.exitCode === 70).length,
        anomalyTypes: runs.reduce<Record<string, number>>((acc, r) => {
          for (const [k, v] of Object.entries(r.anomalies)) acc[k] = (acc[k] ?? 0) + v;
          return acc;
        }, {}),
        perSeed: runs,
      });
    }
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify({ set: setName, machine: { cores: availableParallelism() }, totalMinutes: Math.round((Date.now() - started) / 600) / 100, scenarios }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/scenarios: ${(err as Error).message}\n`);
  process.exit(2);
});

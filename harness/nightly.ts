/**
 * `npm run nightly` (`node dist/harness/nightly.js [--seeds N] [--time-limit 30s] [--only a,b] [--store dir]
 * [--base-seed S]`): runs every built-in scenario for N seeds, one run at a time, each in its own `faultline run`
 * child process (a run that hangs or crashes cannot take the suite with it, and is stopped with SIGTERM, then
 * SIGKILL, if it overstays). Each run writes report.html and junit.xml into its run directory itself; at the end
 * the nightly writes the suite index and JUnit (`writeSuiteIndex(store)`). Prints one line per run and a total.
 *
 * Exit code: 0 every run as expected; 1 any run unexpected (or a harness failure); 2 only UNKNOWNs besides
 * expected runs; 64 usage error; 70 the suite index could not be written; 130 interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { constants } from 'node:os';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CheckResult, Verdict } from '../checkers/result.js';
import { scenarioNames } from '../scenarios/index.js';
import { parseDuration, UsageError, verdictWord } from './cli-values.js';
import { anomalyLines, missingReason } from './mocha.js';
import { randomSeed } from './seed.js';

/** What the nightly will do. */
export interface NightlyOptions {
  scenarios: string[];
  seeds: number;
  /** The `--time-limit` text passed to every run, or undefined for each scenario's own. */
  timeLimit?: string;
  timeLimitMs?: number;
  store: string;
  /** First seed (then +1, +2, …) for reproducible suites; random seeds otherwise. */
  baseSeed?: number;
  help: boolean;
}

export const NIGHTLY_USAGE = `usage: npm run nightly -- [--seeds N] [--time-limit 30s] [--only a,b] [--store dir] [--base-seed S]
  --seeds N         seeds per scenario (env NIGHTLY_SEEDS; default 1)
  --time-limit T    workload length of every run, e.g. 30s, 2m (env NIGHTLY_TIME_LIMIT; default each scenario's own)
  --only a,b        run only these built-in scenarios (env NIGHTLY_ONLY; default all)
  --store dir       store directory (env FAULTLINE_STORE; default ./store)
  --base-seed S     use seeds S, S+1, ... instead of random ones
exit code: 0 all as expected, 1 any unexpected outcome or harness failure, 2 only UNKNOWNs, 64 usage error,
  70 the suite index could not be written, 130 interrupted`;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${flag} expects a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses the nightly's flags (flags win over NIGHTLY_* environment variables). Throws UsageError. */
export function parseNightlyArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env, builtins: readonly string[] = scenarioNames()): NightlyOptions {
  const flags = new Map<string, string>();
  let help = false;
  const valued = ['--seeds', '--time-limit', '--only', '--store', '--base-seed'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!valued.includes(name)) throw new UsageError(`unknown argument ${JSON.stringify(arg)}\n${NIGHTLY_USAGE}`);
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    }
    if (flags.has(name)) throw new UsageError(`${name} given twice`);
    flags.set(name, value);
  }
  const pick = (flag: string, envName: string): [string, string] | undefined => {
    if (flags.has(flag)) return [flag, flags.get(flag)!];
    const e = env[envName];
    return e !== undefined && e.trim() !== '' ? [envName, e] : undefined;
  };
  const seedsArg = pick('--seeds', 'NIGHTLY_SEEDS');
  const seeds = seedsArg ? wholeNumber(seedsArg[0], seedsArg[1], 1, 1000) : 1;
  const tl = pick('--time-limit', 'NIGHTLY_TIME_LIMIT');
  let timeLimitMs: number | undefined;
  if (tl) {
    timeLimitMs = Math.round(parseDuration(tl[0], tl[1]));
    if (timeLimitMs < 1) throw new UsageError(`${tl[0]} must be positive, got ${JSON.stringify(tl[1])}`);
  }
  const onlyArg = pick('--only', 'NIGHTLY_ONLY');
  let scenarios = [...builtins];
  if (onlyArg) {
    const wanted = onlyArg[1].split(',').map((s) => s.trim()).filter(Boolean);
    if (wanted.length === 0) throw new UsageError(`${onlyArg[0]} expects a comma-separated list of scenario names`);
    const unknown = wanted.filter((w) => !builtins.includes(w));
    if (unknown.length) throw new UsageError(`${onlyArg[0]}: unknown scenario${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; built-in scenarios: ${builtins.join(', ')}`);
    scenarios = [...new Set(wanted)];
  }
  const store = resolve(flags.get('--store') ?? env.FAULTLINE_STORE ?? 'store');
  const baseSeed = flags.has('--base-seed') ? wholeNumber('--base-seed', flags.get('--base-seed')!, 0, 2 ** 31 - 1) : undefined;
  return {
    scenarios,
    seeds,
    ...(tl ? { timeLimit: tl[1].trim(), timeLimitMs } : {}),
    store,
    ...(baseSeed !== undefined ? { baseSeed } : {}),
    help,
  };
}

/** The seeds for one scenario: base, base+1, … or random distinct ones. */
export function seedsFor(opts: Pick<NightlyOptions, 'seeds' | 'baseSeed'>, rand: () => number = randomSeed): number[] {
  if (opts.baseSeed !== undefined) return Array.from({ length: opts.seeds }, (_, i) => opts.baseSeed! + i);
  const out = new Set<number>();
  while (out.size < opts.seeds) out.add(rand());
  return [...out];
}

/** One finished run of the nightly. */
export interface NightlyRun {
  scenario: string;
  seed: number;
  /** The run's exit code: 0 as expected, 1 unexpected, 2 unknown, 70 harness failure, 130 interrupted. */
  exitCode: number;
  verdict: Verdict;
  expected?: 'valid' | 'invalid';
  ops: number;
  durationMs: number;
  runDir?: string;
  error?: string;
  results: CheckResult[];
  reproduce?: string;
  /** Problems writing report.html / junit.xml, as the run logged them. */
  notes?: string[];
}

/** What a run counts as in the total. */
export function classify(exitCode: number): 'expected' | 'unexpected' | 'unknown' {
  return exitCode === 0 ? 'expected' : exitCode === 2 ? 'unknown' : 'unexpected';
}

/** The nightly's exit code: 1 if any run was unexpected (incl. harness failures), else 2 if any was UNKNOWN, else 0. */
export function nightlyExitCode(runs: readonly Pick<NightlyRun, 'exitCode'>[]): number {
  const kinds = runs.map((r) => classify(r.exitCode));
  return kinds.includes('unexpected') ? 1 : kinds.includes('unknown') ? 2 : 0;
}

/** A path relative to cwd when it is inside it, else absolute. */
function shown(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** One line per run: status, scenario, seed, verdict vs expectation, ops, duration, run directory. */
export function formatRunLine(r: NightlyRun, cwd = process.cwd()): string {
  const kind = classify(r.exitCode);
  const status = kind === 'expected' ? 'ok  ' : kind === 'unknown' ? 'UNKN' : 'FAIL';
  const what =
    r.exitCode === 70
      ? `harness failure${r.error ? `: ${r.error.split('\n')[0]}` : ''}`
      : r.exitCode === 130
        ? 'interrupted'
        : `${verdictWord(r.verdict)}${r.expected ? (kind === 'expected' ? ' (as expected)' : ` (expected ${r.expected.toUpperCase()})`) : ''}`;
  const where = r.runDir ? `  ${shown(r.runDir, cwd)}` : '';
  return `${status} ${r.scenario} seed ${r.seed}: ${what}, ${r.ops} ops, ${seconds(r.durationMs)}${where}`;
}

/** The total line. */
export function formatTotal(runs: readonly NightlyRun[], totalMs: number): string {
  const n = { expected: 0, unexpected: 0, unknown: 0 };
  for (const r of runs) n[classify(r.exitCode)]++;
  return `nightly: ${runs.length} run${runs.length === 1 ? '' : 's'} in ${seconds(totalMs)}: ${n.expected} as expected, ${n.unexpected} unexpected, ${n.unknown} unknown`;
}

/** The built CLI next to this file (or the TypeScript source under tsx). */
function cliCommand(): string[] {
  const js = fileURLToPath(new URL('./cli.js', import.meta.url));
  if (existsSync(js)) return [js];
  const ts = fileURLToPath(new URL('./cli.ts', import.meta.url));
  return ['--import', 'tsx', ts];
}

/** Runs one scenario × seed through `faultline run --json` in a child process. */
export async function runOne(opts: NightlyOptions, scenario: string, seed: number, signal?: AbortSignal): Promise<NightlyRun> {
  const args = [...cliCommand(), 'run', scenario, '--seed', String(seed), '--store', opts.store, '--json'];
  if (opts.timeLimit) args.push('--time-limit', opts.timeLimit);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: process.env.CI ?? 'true' } });
  let stdout = '';
  const stderr: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(...d.split('\n').filter(Boolean));
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  // Overstaying runs get SIGTERM (the CLI heals, tears down and checks), then SIGKILL.
  const budget = (opts.timeLimitMs ?? 10 * 60_000) + 180_000;
  let killTimer: NodeJS.Timeout | undefined;
  const term = () => {
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  };
  const termTimer = setTimeout(term, budget);
  signal?.addEventListener('abort', term, { once: true });
  const code: number = await new Promise((res) => child.on('close', (c, sig) => res(c ?? (sig ? 128 + (constants.signals[sig] ?? 0) : 70))));
  clearTimeout(termTimer);
  if (killTimer) clearTimeout(killTimer);
  signal?.removeEventListener('abort', term);
  const durationMs = performance.now() - t0;
  let out: { runDir?: string; verdict?: Verdict; expected?: 'valid' | 'invalid'; exitCode?: number; results?: CheckResult[]; stats?: { invoked?: number; totalMs?: number }; error?: string; reproduce?: string } | undefined;
  try {
    out = JSON.parse(stdout);
  } catch {
    out = undefined;
  }
  if (!out) {
    const tail = stderr.slice(-10).join('\n');
    return { scenario, seed, exitCode: code === 0 || code === 2 || code === 1 ? 70 : code, verdict: 'unknown', ops: 0, durationMs, error: `faultline run exited ${code} without a result${tail ? `:\n${tail}` : ''}`, results: [] };
  }
  return {
    scenario,
    seed,
    exitCode: code === 130 ? 130 : (out.exitCode ?? code),
    verdict: out.verdict ?? 'unknown',
    ...(out.expected ? { expected: out.expected } : {}),
    ops: out.stats?.invoked ?? 0,
    durationMs: out.stats?.totalMs ?? durationMs,
    ...(out.runDir ? { runDir: out.runDir } : {}),
    ...(out.error ? { error: out.error } : {}),
    results: out.results ?? [],
    ...(out.reproduce ? { reproduce: out.reproduce } : {}),
    notes: stderr.filter((l) => /(report\.html|junit\.xml) could not be written/.test(l)),
  };
}

/** Runs the suite; resolves to the exit code. */
export async function nightly(argv: readonly string[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let opts: NightlyOptions;
  try {
    opts = parseNightlyArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`nightly: ${err.message}\n`);
      return 64;
    }
    throw err;
  }
  if (opts.help) {
    write(NIGHTLY_USAGE);
    return 0;
  }
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(`\nnightly: ${sig}: stopping the current run (it heals and tears down), then writing the index (${sig} again exits now)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  const runs: NightlyRun[] = [];
  write(`nightly: ${opts.scenarios.length} scenario${opts.scenarios.length === 1 ? '' : 's'} × ${opts.seeds} seed${opts.seeds === 1 ? '' : 's'}${opts.timeLimit ? `, --time-limit ${opts.timeLimit}` : ''}, store ${shown(opts.store)}`);
  try {
    outer: for (const scenario of opts.scenarios) {
      for (const seed of seedsFor(opts)) {
        if (stop.signal.aborted) break outer;
        const r = await runOne(opts, scenario, seed, stop.signal);
        runs.push(r);
        write(formatRunLine(r));
        if (r.exitCode !== 0) {
          const details = anomalyLines(r.results).slice(0, 8);
          if (details.length === 0 && !r.error && r.exitCode !== 130) details.push(missingReason(r.verdict, r.expected ?? 'valid', r.results.length));
          for (const l of details) write(`       ${l}`);
          if (r.error) for (const l of r.error.split('\n').slice(0, 10)) write(`       ${l}`);
          if (r.reproduce) write(`       reproduce: ${r.reproduce}`);
        }
        for (const n of r.notes ?? []) write(`       note: ${n}`);
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  let indexFailed = false;
  try {
    const { writeSuiteIndex } = await import('../reports/index-html.js');
    const { indexPath, junitPath } = await writeSuiteIndex(opts.store);
    write(`index: ${shown(indexPath)}`);
    write(`junit: ${shown(junitPath)}`);
  } catch (err) {
    indexFailed = true;
    process.stderr.write(`nightly: could not write the suite index and JUnit in ${opts.store}: ${(err as Error)?.message ?? String(err)}\n`);
  }
  write(formatTotal(runs, performance.now() - t0));
  if (stop.signal.aborted) return 130;
  const code = nightlyExitCode(runs);
  return code === 0 && indexFailed ? 70 : code;
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();

if (isMain) {
  nightly(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`nightly: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

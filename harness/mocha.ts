/**
 * Scenarios as mocha tests (`faultline/mocha`), for nightly CI:
 *
 *   import { scenarioTest } from 'faultline/mocha';
 *   describe('nightly', () => {
 *     scenarioTest('register-redis', { seeds: 3, timeLimit: '30s' });
 *     scenarioTest(myScenario, { seeds: [42, 7] });
 *   });
 *
 * Each seed becomes one mocha `it` that runs the scenario in this process with `runScenario` (the same code path as
 * `faultline run`: it tears backends down on every exit path, and kills them if the process exits mid-run), then
 * fails with the anomaly summary unless the outcome is the expected one. UNKNOWN fails too, with its reason.
 */
import { join } from 'node:path';
import { isScenario, RUN_DEFAULTS, ScenarioError, type Scenario } from '../scenarios/define.js';
import { BUILTIN_SCENARIOS, isScenarioFile, loadScenario, scenarioNames } from '../scenarios/index.js';
import type { CheckResult } from '../checkers/result.js';
import { parseDuration, verdictWord } from './cli-values.js';
import { runScenario, type RunOptions, type RunOutcome } from './run.js';
import { randomSeed } from './seed.js';
import { defaultStoreRoot } from './store.js';

/** Options of `scenarioTest`. */
export interface ScenarioTestOptions {
  /** Seeds to run, one test each; a number N means N random seeds (printed in the test titles). Default 1 random seed. */
  seeds?: number[] | number;
  /** Workload length: a duration string like the CLI's `--time-limit` ("30s", "500ms", "2m"; a bare "30" is seconds), or a number of milliseconds. Default: the scenario's own. */
  timeLimit?: string | number;
  /** Where run directories go. Default: `FAULTLINE_STORE` or `./store`. */
  store?: string;
  /** Concurrent client workers (the CLI's `--clients`). Default: the scenario's own. */
  clients?: number;
}

/** The options after validation: what each test will do. */
export interface ScenarioTestPlan {
  /** Built-in name or file path as given, or the scenario object's name. */
  ref: string;
  seeds: number[];
  timeLimitMs?: number;
  /** The `--time-limit` text for the reproduce command. */
  timeLimitFlag?: string;
  clients?: number;
  store: string;
}

/** How long, beyond the workload, a run may take to provision, heal, tear down and check before it is stopped. */
export const RUN_GRACE_MS = 180_000;
/** Extra mocha time beyond the run's own stop deadline, so a stopped run still tears down and reports. */
export const MOCHA_SLACK_MS = 120_000;

const MAX_SEED = 2 ** 32 - 1;

function fail(message: string): never {
  throw new ScenarioError(`scenarioTest: ${message}`);
}

/** Validates `scenarioTest`'s arguments (throws at declaration time, so a typo fails the whole file loudly). */
export function planScenarioTests(scenario: string | Scenario, opts: ScenarioTestOptions = {}, rand: () => number = randomSeed): ScenarioTestPlan {
  let ref: string;
  if (typeof scenario === 'string') {
    if (scenario.trim() === '') fail('the scenario name is empty; give a built-in name (e.g. "register-redis") or a scenario file path');
    if (!isScenarioFile(scenario) && !BUILTIN_SCENARIOS[scenario]) {
      fail(`unknown scenario ${JSON.stringify(scenario)}; built-in scenarios: ${scenarioNames().join(', ')} (or give a path to a scenario file, e.g. ./my-scenario.ts)`);
    }
    ref = scenario;
  } else if (isScenario(scenario)) {
    ref = scenario.name;
  } else {
    fail('expected a built-in scenario name, a scenario file path, or a scenario made with defineScenario(...)');
  }
  const known = new Set(['seeds', 'timeLimit', 'store', 'clients']);
  for (const k of Object.keys(opts)) if (!known.has(k)) fail(`unknown option ${JSON.stringify(k)}; options: ${[...known].join(', ')}`);

  let seeds: number[];
  const s = opts.seeds ?? 1;
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 1 || s > 10_000) fail(`seeds: a count must be a whole number from 1 to 10000, got ${s}`);
    seeds = [];
    const seen = new Set<number>();
    while (seeds.length < s) {
      const seed = rand();
      if (seen.has(seed)) continue;
      seen.add(seed);
      seeds.push(seed);
    }
  } else if (Array.isArray(s)) {
    if (s.length === 0) fail('seeds: the list is empty; give at least one seed or a count');
    for (const seed of s) if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) fail(`seeds: each seed must be a whole number from 0 to ${MAX_SEED}, got ${JSON.stringify(seed)}`);
    if (new Set(s).size !== s.length) fail(`seeds: duplicate seeds in ${JSON.stringify(s)}`);
    seeds = [...s];
  } else {
    fail(`seeds: expected a count or a list of seeds, got ${JSON.stringify(s)}`);
  }

  let timeLimitMs: number | undefined;
  let timeLimitFlag: string | undefined;
  if (opts.timeLimit !== undefined) {
    if (typeof opts.timeLimit === 'number') {
      if (!Number.isFinite(opts.timeLimit) || opts.timeLimit < 1) fail(`timeLimit: a number of milliseconds must be at least 1, got ${opts.timeLimit}`);
      timeLimitMs = Math.round(opts.timeLimit);
      timeLimitFlag = `${timeLimitMs}ms`;
    } else if (typeof opts.timeLimit === 'string') {
      try {
        timeLimitMs = Math.round(parseDuration('timeLimit', opts.timeLimit));
      } catch (err) {
        fail((err as Error).message);
      }
      if (timeLimitMs < 1) fail(`timeLimit must be positive, got ${JSON.stringify(opts.timeLimit)}`);
      timeLimitFlag = opts.timeLimit.trim();
    } else {
      fail(`timeLimit: expected a duration such as "30s" or a number of milliseconds, got ${JSON.stringify(opts.timeLimit)}`);
    }
  }
  if (opts.clients !== undefined && (!Number.isInteger(opts.clients) || opts.clients < 1 || opts.clients > 1000)) {
    fail(`clients: expected a whole number from 1 to 1000, got ${JSON.stringify(opts.clients)}`);
  }
  if (opts.store !== undefined && (typeof opts.store !== 'string' || opts.store === '')) fail(`store: expected a directory path, got ${JSON.stringify(opts.store)}`);
  return {
    ref,
    seeds,
    ...(timeLimitMs !== undefined ? { timeLimitMs, timeLimitFlag } : {}),
    ...(opts.clients !== undefined ? { clients: opts.clients } : {}),
    store: opts.store ?? defaultStoreRoot(),
  };
}

/** The title of one seed's test. */
export function testTitle(plan: ScenarioTestPlan, seed: number): string {
  return `${plan.ref} seed ${seed}${plan.timeLimitFlag ? ` (${plan.timeLimitFlag})` : ''}`;
}

/** The mocha timeout for a run whose workload lasts `timeLimitMs`. */
export function mochaTimeoutFor(timeLimitMs: number): number {
  return timeLimitMs + RUN_GRACE_MS + MOCHA_SLACK_MS;
}

/** One line per anomaly type with its count and first witnessing ops, for test failures and JUnit messages. */
export function anomalyLines(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.valid === true) continue;
    const byType = new Map<string, { n: number; ops: number[] }>();
    for (const a of r.anomalies ?? []) {
      const e = byType.get(a.type) ?? { n: 0, ops: [] };
      e.n++;
      if (e.ops.length < 8) e.ops.push(...(a.ops ?? []).slice(0, 8 - e.ops.length));
      byType.set(a.type, e);
    }
    const types = [...byType].map(([t, e]) => `${t} ×${e.n}${e.ops.length ? ` (ops ${e.ops.join(', ')})` : ''}`);
    lines.push(`${r.checker}: ${verdictWord(r.valid)}${types.length ? ` — ${types.join('; ')}` : ''}`);
    const why = (r.explanation ?? r.anomalies?.[0]?.explanation ?? '').trim();
    if (why) lines.push(...why.split('\n').slice(0, 12).map((l) => `  ${l}`));
  }
  return lines;
}

/** Why a failed outcome has no anomalies to show. */
export function missingReason(verdict: RunOutcome['verdict'], expected: 'valid' | 'invalid', checkers: number): string {
  if (checkers === 0) return 'no checker results (the history could not be checked)';
  if (verdict === true && expected === 'invalid') return 'no checker found an anomaly: the bug this scenario demonstrates did not show up in this run (a longer time limit or more seeds make it likelier)';
  return 'no checker gave a reason';
}

/** What a test failure says: outcome vs expectation, the anomaly summary (or the UNKNOWN's reason), where to look. */
export function outcomeMessage(name: string, seed: number, outcome: Pick<RunOutcome, 'verdict' | 'expected' | 'exitCode' | 'results' | 'runDir' | 'reproduce' | 'interrupted' | 'error'>): string {
  const head =
    outcome.exitCode === 70
      ? `${name} seed ${seed}: harness failure${outcome.error ? `: ${outcome.error}` : ''}`
      : outcome.exitCode === 2 || outcome.verdict === 'unknown'
        ? `${name} seed ${seed}: UNKNOWN (expected ${outcome.expected.toUpperCase()})`
        : `${name} seed ${seed}: ${verdictWord(outcome.verdict)}, expected ${outcome.expected.toUpperCase()}${outcome.exitCode === 1 && (outcome.verdict === true) === (outcome.expected === 'valid') ? ' (a checker with its own expectation disagrees)' : ''}`;
  const lines = [head + (outcome.interrupted ? ' (interrupted)' : '')];
  if (outcome.error && outcome.exitCode !== 70) lines.push(`error: ${outcome.error}`);
  const details = anomalyLines(outcome.results);
  if (details.length) lines.push(...details);
  else if (outcome.exitCode !== 0 && !outcome.error) lines.push(missingReason(outcome.verdict, outcome.expected, outcome.results.length));
  lines.push(`run directory: ${outcome.runDir}`, `reproduce: ${outcome.reproduce}`);
  return lines.join('\n');
}

/** The injectable parts of a test, for unit tests. */
export interface ScenarioTestDeps {
  run?: (opts: RunOptions) => Promise<RunOutcome>;
  load?: (ref: string) => Promise<Scenario>;
}

/** The mocha context a test body sees (only what is used here). */
interface TestContext {
  timeout(ms: number): unknown;
}

/** One declared test: its title, initial timeout and body. */
export interface ScenarioTestCase {
  title: string;
  seed: number;
  timeoutMs: number;
  fn: (this: TestContext) => Promise<RunOutcome>;
}

/** The test cases `scenarioTest` declares, without touching mocha. */
export function scenarioTestCases(scenario: string | Scenario, opts: ScenarioTestOptions = {}, deps: ScenarioTestDeps = {}): ScenarioTestCase[] {
  const plan = planScenarioTests(scenario, opts);
  const run = deps.run ?? runScenario;
  const load = deps.load ?? loadScenario;
  return plan.seeds.map((seed) => ({
    title: testTitle(plan, seed),
    seed,
    // Until the scenario is loaded its own time limit is unknown; the body narrows the timeout once it is.
    timeoutMs: mochaTimeoutFor(plan.timeLimitMs ?? (typeof scenario === 'string' ? 10 * 60_000 : scenario.defaults.timeLimitMs)),
    async fn(this: TestContext) {
      const sc = typeof scenario === 'string' ? await load(scenario) : scenario;
      const timeLimitMs = plan.timeLimitMs ?? sc.defaults.timeLimitMs ?? RUN_DEFAULTS.timeLimitMs;
      this.timeout(mochaTimeoutFor(timeLimitMs));
      const reproduceFlags: string[] = [];
      if (plan.timeLimitFlag) reproduceFlags.push('--time-limit', plan.timeLimitFlag);
      if (plan.clients !== undefined) reproduceFlags.push('--clients', String(plan.clients));
      // A run that overstays is stopped (it still heals, tears down and checks) well before mocha gives up on it.
      const stop = new AbortController();
      const watchdog = setTimeout(() => stop.abort(), timeLimitMs + RUN_GRACE_MS);
      watchdog.unref();
      const logLines: string[] = [];
      let outcome: RunOutcome;
      try {
        outcome = await run({
          scenario: sc,
          scenarioRef: typeof scenario === 'string' && isScenarioFile(scenario) ? scenario : sc.name,
          seed,
          overrides: { ...(plan.timeLimitMs !== undefined ? { timeLimitMs } : {}), ...(plan.clients !== undefined ? { clients: plan.clients } : {}) },
          storeRoot: plan.store,
          progress: 'none',
          signal: stop.signal,
          log: (line) => {
            logLines.push(line);
            if (logLines.length > 40) logLines.shift();
          },
          reproduceFlags,
        });
      } finally {
        clearTimeout(watchdog);
      }
      if (outcome.exitCode !== 0) {
        let msg = outcomeMessage(sc.name, seed, outcome);
        if (stop.signal.aborted) msg += `\nstopped after ${timeLimitMs + RUN_GRACE_MS} ms (time limit + ${RUN_GRACE_MS / 1000}s grace)`;
        if (outcome.exitCode === 70 && logLines.length) msg += `\nlast harness lines:\n${logLines.slice(-15).join('\n')}`;
        const reportProblem = logLines.find((l) => /report\.html could not be written/.test(l));
        msg += `\n${reportProblem ?? `report: ${join(outcome.runDir, 'report.html')}`}`;
        const err = new Error(msg);
        err.name = outcome.exitCode === 2 ? 'ScenarioUnknown' : outcome.exitCode === 70 ? 'HarnessFailure' : 'UnexpectedOutcome';
        throw err;
      }
      return outcome;
    },
  }));
}

type ItFn = (title: string, fn: (this: TestContext) => Promise<void>) => { timeout(ms: number): unknown } | undefined;

/**
 * Declares one mocha `it` per seed that runs `scenario` and fails unless the outcome is the expected one
 * (UNKNOWN fails with its reason). Call it inside a `describe` of a mocha spec file.
 */
export function scenarioTest(scenario: string | Scenario, opts: ScenarioTestOptions = {}): void {
  const it = (globalThis as { it?: ItFn }).it;
  if (typeof it !== 'function') throw new Error('scenarioTest must be called while mocha loads a spec file (the global `it` is not defined)');
  for (const c of scenarioTestCases(scenario, opts)) {
    const test = it(c.title, async function (this: TestContext) {
      this.timeout(c.timeoutMs);
      await c.fn.call(this);
    });
    test?.timeout(c.timeoutMs);
  }
}

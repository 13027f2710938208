/**
 * The pure parts of `faultline/mocha` (scenarioTest's argument handling, what a failing test says) and of
 * `npm run nightly` (flag parsing, seeds, exit-code logic, summary lines), without any backend.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { CheckResult } from '../../../checkers/result.js';
import type { RunOptions, RunOutcome } from '../../../harness/run.js';
import { mochaTimeoutFor, outcomeMessage, planScenarioTests, scenarioTestCases, testTitle } from '../../../harness/mocha.js';
import { classify, formatRunLine, formatTotal, nightlyExitCode, parseNightlyArgs, seedsFor, type NightlyRun } from '../../../harness/nightly.js';
import { loadScenario } from '../../../scenarios/index.js';

const staleRead: CheckResult = {
  valid: false,
  checker: 'linearizable',
  anomalies: [{ type: 'nonlinearizable', ops: [12, 15], explanation: 'read of 3 at op 15 cannot follow write 4' }],
  stats: {},
  explanation: 'op 15 (read 3) could not be placed after the longest linearizable prefix',
};

function outcome(over: Partial<RunOutcome>): RunOutcome {
  return {
    runDir: '/tmp/store/register-redis/x-seed7',
    verdict: true,
    expected: 'valid',
    exitCode: 0,
    results: [{ valid: true, checker: 'linearizable', anomalies: [], stats: {} }],
    stats: { invoked: 10, ok: 10, fail: 0, info: 0, faults: 0, opsPerSec: 5, totalMs: 2000 },
    reproduce: 'npx faultline run register-redis --seed 7',
    interrupted: false,
    ...over,
  };
}

describe('faultline/mocha scenarioTest arguments', function () {
  it('turns a seed count into that many distinct seeds, and keeps a list as given', function () {
    let n = 0;
    const rand = () => [5, 5, 9, 11][n++]!;
    assert.deepEqual(planScenarioTests('register-redis', { seeds: 3 }, rand).seeds, [5, 9, 11]);
    assert.deepEqual(planScenarioTests('register-redis', { seeds: [3, 1, 2] }).seeds, [3, 1, 2]);
    assert.equal(planScenarioTests('register-redis').seeds.length, 1);
  });

  it('parses the time limit like the CLI (strings) or as milliseconds (numbers), for the run and the reproduce flag', function () {
    const p = planScenarioTests('register-redis', { timeLimit: '2s', seeds: [1] });
    assert.equal(p.timeLimitMs, 2000);
    assert.equal(p.timeLimitFlag, '2s');
    assert.equal(testTitle(p, 1), 'register-redis seed 1 (2s)');
    const q = planScenarioTests('register-redis', { timeLimit: 1500, seeds: [1] });
    assert.equal(q.timeLimitMs, 1500);
    assert.equal(q.timeLimitFlag, '1500ms');
    assert.equal(planScenarioTests('register-redis', { seeds: [1] }).timeLimitMs, undefined);
  });

  it('defaults the store like the CLI and keeps an explicit one', function () {
    assert.equal(planScenarioTests('register-redis', { seeds: [1], store: '/tmp/s' }).store, '/tmp/s');
    const saved = process.env.FAULTLINE_STORE;
    try {
      delete process.env.FAULTLINE_STORE;
      assert.equal(planScenarioTests('register-redis', { seeds: [1] }).store, resolve('store'));
    } finally {
      if (saved !== undefined) process.env.FAULTLINE_STORE = saved;
    }
  });

  it('rejects bad arguments at declaration time with a message naming the problem', function () {
    const bad: [unknown, unknown, RegExp][] = [
      ['no-such-scenario', {}, /unknown scenario "no-such-scenario".*register-redis/],
      ['', {}, /scenario name is empty/],
      [{ name: 'x' }, {}, /defineScenario/],
      ['register-redis', { seeds: 0 }, /seeds: a count must be a whole number/],
      ['register-redis', { seeds: 1.5 }, /seeds: a count/],
      ['register-redis', { seeds: [] }, /seeds: the list is empty/],
      ['register-redis', { seeds: [1, -2] }, /each seed must be a whole number.*-2/],
      ['register-redis', { seeds: [4, 4] }, /duplicate seeds/],
      ['register-redis', { seeds: '3' }, /expected a count or a list/],
      ['register-redis', { timeLimit: 'soon' }, /duration such as 10s/],
      ['register-redis', { timeLimit: 0 }, /at least 1/],
      ['register-redis', { clients: 0 }, /clients: expected a whole number/],
      ['register-redis', { seed: 3 }, /unknown option "seed"/],
      ['register-redis', { store: '' }, /store: expected a directory/],
    ];
    for (const [sc, opts, re] of bad) {
      assert.throws(() => planScenarioTests(sc as string, opts as object), (err: Error) => err.name === 'ScenarioError' && re.test(err.message), `${JSON.stringify([sc, opts])} should fail with ${re}`);
    }
  });

  it('accepts a scenario object (named by its name) and a scenario file path (loaded when the test runs)', async function () {
    const scenario = await loadScenario('register-redis');
    assert.equal(planScenarioTests(scenario, { seeds: [1] }).ref, 'register-redis');
    assert.equal(planScenarioTests('./my-scenario.ts', { seeds: [1] }).ref, './my-scenario.ts');
  });

  it('sets a mocha timeout that covers the workload plus provisioning and teardown', function () {
    assert.ok(mochaTimeoutFor(30_000) > 30_000 + 60_000);
    const [c] = scenarioTestCases('register-redis', { seeds: [1], timeLimit: '30s' });
    assert.equal(c!.timeoutMs, mochaTimeoutFor(30_000));
  });
});

describe('faultline/mocha scenarioTest outcomes', function () {
  /** Runs one declared test body with a fake run; returns what the body threw (or undefined) and the run options. */
  async function runCase(result: Partial<RunOutcome>, opts = {}): Promise<{ err?: Error; runOpts: RunOptions; timeouts: number[] }> {
    let runOpts: RunOptions | undefined;
    const scenario = await loadScenario('register-redis');
    const [c] = scenarioTestCases('register-redis', { seeds: [7], ...opts }, {
      load: async () => scenario,
      run: async (o) => {
        runOpts = o;
        return outcome(result);
      },
    });
    const timeouts: number[] = [];
    try {
      await c!.fn.call({ timeout: (ms: number) => timeouts.push(ms) });
      return { runOpts: runOpts!, timeouts };
    } catch (err) {
      return { err: err as Error, runOpts: runOpts!, timeouts };
    }
  }

  it('passes an as-expected run, handing the overrides and reproduce flags to the run', async function () {
    const { err, runOpts, timeouts } = await runCase({}, { timeLimit: '2s', clients: 3, store: '/tmp/st' });
    assert.equal(err, undefined);
    assert.equal(runOpts.seed, 7);
    assert.equal(runOpts.scenarioRef, 'register-redis');
    assert.deepEqual(runOpts.overrides, { timeLimitMs: 2000, clients: 3 });
    assert.deepEqual(runOpts.reproduceFlags, ['--time-limit', '2s', '--clients', '3']);
    assert.equal(runOpts.storeRoot, '/tmp/st');
    assert.equal(runOpts.progress, 'none');
    assert.ok(runOpts.signal, 'the run gets a stop signal for overstaying');
    assert.deepEqual(timeouts, [mochaTimeoutFor(2000)]);
  });

  it('fails an unexpected INVALID with the anomaly summary, run directory and reproduce command', async function () {
    const { err } = await runCase({ verdict: false, exitCode: 1, results: [staleRead] });
    assert.ok(err);
    assert.equal(err.name, 'UnexpectedOutcome');
    assert.match(err.message, /register-redis seed 7: INVALID, expected VALID/);
    assert.match(err.message, /linearizable: INVALID — nonlinearizable ×1 \(ops 12, 15\)/);
    assert.match(err.message, /could not be placed/);
    assert.match(err.message, /run directory: \/tmp\/store\/register-redis\/x-seed7/);
    assert.match(err.message, /reproduce: npx faultline run register-redis --seed 7/);
    assert.match(err.message, /report: \/tmp\/store\/register-redis\/x-seed7\/report\.html/);
  });

  it('fails UNKNOWN with its reason', async function () {
    const unknown: CheckResult = { valid: 'unknown', checker: 'linearizable', anomalies: [], stats: {}, explanation: 'search budget of 10 s exhausted after 120000 states' };
    const { err } = await runCase({ verdict: 'unknown', exitCode: 2, results: [unknown] });
    assert.ok(err);
    assert.equal(err.name, 'ScenarioUnknown');
    assert.match(err.message, /UNKNOWN \(expected VALID\)/);
    assert.match(err.message, /search budget of 10 s exhausted/);
  });

  it('fails a harness failure with its error', async function () {
    const { err } = await runCase({ verdict: 'unknown', exitCode: 70, results: [], error: 'redis-server not found on PATH' });
    assert.ok(err);
    assert.equal(err.name, 'HarnessFailure');
    assert.match(err.message, /harness failure: redis-server not found on PATH/);
  });

  it('passes an expected INVALID (a scenario that demonstrates a bug)', async function () {
    const { err } = await runCase({ verdict: false, expected: 'invalid', exitCode: 0, results: [staleRead] });
    assert.equal(err, undefined);
  });

  it('explains a VALID run of a scenario that expects INVALID (the bug did not show)', async function () {
    const { err } = await runCase({ verdict: true, expected: 'invalid', exitCode: 1 });
    assert.ok(err);
    assert.match(err.message, /VALID, expected INVALID/);
    assert.match(err.message, /no checker found an anomaly: the bug this scenario demonstrates did not show up/);
  });

  it('says so when the verdict matches but a checker with its own expectation does not', function () {
    const msg = outcomeMessage('lock-redis-token', 3, outcome({ verdict: true, exitCode: 1, results: [{ ...staleRead, checker: 'fencing' }] }));
    assert.match(msg, /VALID, expected VALID \(a checker with its own expectation disagrees\)/);
    assert.match(msg, /fencing: INVALID/);
  });
});

describe('nightly flags and exit code', function () {
  const builtins = ['bank-etcd', 'lock-etcd', 'register-redis'];

  it('defaults to every built-in scenario, one random seed, each scenario\'s own time limit, ./store', function () {
    const o = parseNightlyArgs([], {}, builtins);
    assert.deepEqual(o.scenarios, builtins);
    assert.equal(o.seeds, 1);
    assert.equal(o.timeLimit, undefined);
    assert.equal(o.store, resolve('store'));
    assert.equal(o.help, false);
  });

  it('parses --seeds, --time-limit, --only, --store, --base-seed (both "--x v" and "--x=v")', function () {
    const o = parseNightlyArgs(['--seeds', '3', '--time-limit=30s', '--only', 'register-redis, lock-etcd', '--store', '/tmp/st', '--base-seed=100'], {}, builtins);
    assert.equal(o.seeds, 3);
    assert.equal(o.timeLimit, '30s');
    assert.equal(o.timeLimitMs, 30_000);
    assert.deepEqual(o.scenarios, ['register-redis', 'lock-etcd']);
    assert.equal(o.store, '/tmp/st');
    assert.deepEqual(seedsFor(o), [100, 101, 102]);
  });

  it('takes NIGHTLY_SEEDS / NIGHTLY_TIME_LIMIT / NIGHTLY_ONLY / FAULTLINE_STORE from the environment; flags win', function () {
    const env = { NIGHTLY_SEEDS: '4', NIGHTLY_TIME_LIMIT: '2m', NIGHTLY_ONLY: 'bank-etcd', FAULTLINE_STORE: '/tmp/envstore' };
    const o = parseNightlyArgs([], env, builtins);
    assert.equal(o.seeds, 4);
    assert.equal(o.timeLimitMs, 120_000);
    assert.deepEqual(o.scenarios, ['bank-etcd']);
    assert.equal(o.store, '/tmp/envstore');
    const f = parseNightlyArgs(['--seeds', '2', '--time-limit', '5s'], env, builtins);
    assert.equal(f.seeds, 2);
    assert.equal(f.timeLimitMs, 5000);
    assert.equal(parseNightlyArgs([], { NIGHTLY_SEEDS: '' }, builtins).seeds, 1);
  });

  it('rejects bad flags with a UsageError saying what was expected', function () {
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['--seeds', '0'], {}, /--seeds must be between 1 and 1000/],
      [['--seeds', 'many'], {}, /--seeds expects a whole number/],
      [[], { NIGHTLY_SEEDS: 'x' }, /NIGHTLY_SEEDS expects a whole number/],
      [['--time-limit', 'later'], {}, /--time-limit expects a duration/],
      [[], { NIGHTLY_TIME_LIMIT: '0s' }, /NIGHTLY_TIME_LIMIT must be positive/],
      [['--only', 'register-redis,nope'], {}, /unknown scenario nope; built-in scenarios: bank-etcd, lock-etcd, register-redis/],
      [['--only', ','], {}, /comma-separated list/],
      [['--seeds'], {}, /--seeds needs a value/],
      [['--seeds', '1', '--seeds', '2'], {}, /given twice/],
      [['--frobnicate'], {}, /unknown argument "--frobnicate"/],
    ];
    for (const [argv, env, re] of bad) {
      assert.throws(() => parseNightlyArgs(argv, env, builtins), (err: Error) => err.name === 'UsageError' && re.test(err.message), `${argv.join(' ')} ${JSON.stringify(env)} should fail with ${re}`);
    }
    assert.equal(parseNightlyArgs(['--help'], {}, builtins).help, true);
  });

  it('draws distinct random seeds when no base seed is given', function () {
    let i = 0;
    const seq = [8, 8, 3, 8, 5];
    assert.deepEqual(seedsFor({ seeds: 3 }, () => seq[i++]!), [8, 3, 5]);
  });

  it('exits 1 on any unexpected outcome or harness failure, 2 when only UNKNOWNs are off, 0 otherwise', function () {
    const runs = (...codes: number[]) => codes.map((exitCode) => ({ exitCode }));
    assert.equal(nightlyExitCode(runs()), 0);
    assert.equal(nightlyExitCode(runs(0, 0)), 0);
    assert.equal(nightlyExitCode(runs(0, 2)), 2);
    assert.equal(nightlyExitCode(runs(2, 2)), 2);
    assert.equal(nightlyExitCode(runs(0, 1, 2)), 1);
    assert.equal(nightlyExitCode(runs(2, 70)), 1);
    assert.equal(nightlyExitCode(runs(0, 64)), 1);
    assert.deepEqual([0, 1, 2, 70, 130].map(classify), ['expected', 'unexpected', 'unknown', 'unexpected', 'unexpected']);
  });

  it('prints one line per run and a total', function () {
    const base: NightlyRun = { scenario: 'register-redis', seed: 7, exitCode: 0, verdict: true, expected: 'valid', ops: 812, durationMs: 4321, runDir: '/w/store/register-redis/t-seed7', results: [] };
    assert.equal(formatRunLine(base, '/w'), 'ok   register-redis seed 7: VALID (as expected), 812 ops, 4.3s  store/register-redis/t-seed7');
    assert.match(formatRunLine({ ...base, exitCode: 1, verdict: false }, '/w'), /^FAIL register-redis seed 7: INVALID \(expected VALID\)/);
    assert.match(formatRunLine({ ...base, exitCode: 2, verdict: 'unknown' }, '/w'), /^UNKN .*UNKNOWN/);
    assert.match(formatRunLine({ ...base, exitCode: 70, verdict: 'unknown', error: 'etcd did not start\nmore' }, '/w'), /^FAIL register-redis seed 7: harness failure: etcd did not start, 812 ops/);
    assert.match(formatRunLine(base, '/elsewhere'), /4\.3s {2}\/w\/store\/register-redis\/t-seed7$/);
    const total = formatTotal([base, { ...base, exitCode: 1 }, { ...base, exitCode: 2 }, { ...base, exitCode: 70 }], 61_000);
    assert.equal(total, 'nightly: 4 runs in 61.0s: 1 as expected, 2 unexpected, 1 unknown');
  });
});

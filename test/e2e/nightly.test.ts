/**
 * `npm run nightly` through the built entry point (dist/harness/nightly.js) against a real backend: one scenario,
 * one seed, a short time limit, into a fresh store. Checks the per-run line, the total, the exit code, the suite
 * index and JUnit with exactly one test case. Also `scenarioTest` from `faultline/mocha` declaring a real test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioTest } from '../../harness/mocha.js';
import { root } from '../support/cli.js';

const nightlyBin = join(root, 'dist/harness/nightly.js');

function nightly(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [nightlyBin, ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, CI: 'true', ...env }, timeout: 170_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run nightly (built, real backend)', function () {
  this.timeout(180_000);
  let store = '';
  before(function () {
    if (!existsSync(nightlyBin)) throw new Error(`${nightlyBin} is missing: run "npm run build" (npm test does) before the e2e tests`);
  });
  beforeEach(() => (store = mkdtempSync(join(tmpdir(), 'faultline-nightly-'))));
  afterEach(() => rmSync(store, { recursive: true, force: true }));

  it('runs register-redis for one seed, writes index.html and junit.xml with one testcase, exits 0', function () {
    const r = nightly(['--only', 'register-redis', '--seeds', '1', '--time-limit', '2s', '--store', store]);
    const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.code, 0, why);
    assert.match(r.stdout, /^ok {3}register-redis seed \d+: VALID \(as expected\), \d+ ops, [\d.]+s/m, why);
    assert.match(r.stdout, /nightly: 1 run in [\d.]+s: 1 as expected, 0 unexpected, 0 unknown/, why);

    const runs = readdirSync(join(store, 'register-redis'));
    assert.equal(runs.length, 1, `one run directory, got ${runs.join(', ')}`);
    const runDir = join(store, 'register-redis', runs[0]!);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    assert.equal(results.exitCode, 0);
    assert.match(results.reproduce, /--time-limit 2s/);
    for (const f of ['report.html', 'junit.xml']) assert.ok(existsSync(join(runDir, f)), `${f} missing in the run directory; ${why}`);
    assert.doesNotMatch(r.stdout, /note:/, why);

    const index = join(store, 'index.html');
    const junit = join(store, 'junit.xml');
    assert.ok(existsSync(index), `${index} missing; ${why}`);
    assert.ok(existsSync(junit), `${junit} missing; ${why}`);
    const html = readFileSync(index, 'utf8');
    assert.match(html, /register-redis/);
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testcase\b/g) ?? []).length, 1, xml);
    assert.match(xml, /<testcase\b[^>]*register-redis/);
    assert.doesNotMatch(xml, /<failure\b|<error\b/, xml);
    assert.match(r.stdout, /^index: .*index\.html$/m);
    assert.match(r.stdout, /^junit: .*junit\.xml$/m);
  });

  it('on SIGINT stops the current run (which still tears down and checks), writes the index and exits 130', async function () {
    const child = spawn(process.execPath, [nightlyBin, '--only', 'register-redis', '--seeds', '2', '--time-limit', '60s', '--store', store], { cwd: root, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const history = () => {
      const dir = join(store, 'register-redis');
      if (!existsSync(dir)) return 0;
      const runs = readdirSync(dir);
      const file = runs[0] ? join(dir, runs[0], 'history.jsonl') : '';
      return file && existsSync(file) ? readFileSync(file, 'utf8').length : 0;
    };
    const t0 = Date.now();
    while (history() < 1000) {
      if (Date.now() - t0 > 60_000) throw new Error(`the run never started recording; stdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await exited;
    const why = `stdout:\n${stdout}\nstderr:\n${stderr}`;
    assert.equal(code, 130, why);
    assert.ok(Date.now() - t0 < 50_000, `stopped long before the 60 s time limit; ${why}`);
    assert.match(stdout, /register-redis seed \d+: interrupted/, why);
    assert.match(stdout, /nightly: 1 run in/, why);
    assert.equal(readdirSync(join(store, 'register-redis')).length, 1, 'the second seed never started');
    assert.ok(existsSync(join(store, 'index.html')), why);
    const dir = join(store, 'register-redis', readdirSync(join(store, 'register-redis'))[0]!);
    assert.equal(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).interrupted, true);
  });

  it('refuses an unknown scenario with exit 64 and the list of built-ins, running nothing', function () {
    const r = nightly(['--only', 'register-redis,no-such', '--store', store]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /unknown scenario no-such; built-in scenarios: .*register-redis/);
    assert.deepEqual(readdirSync(store), []);
  });

  it('takes the seed count and time limit from NIGHTLY_SEEDS / NIGHTLY_TIME_LIMIT', function () {
    const r = nightly(['--only', 'register-redis', '--store', store, '--base-seed', '41'], { NIGHTLY_SEEDS: '2', NIGHTLY_TIME_LIMIT: '1s' });
    const why = `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.code, 0, why);
    assert.match(r.stdout, /register-redis seed 41: VALID/, why);
    assert.match(r.stdout, /register-redis seed 42: VALID/, why);
    assert.match(r.stdout, /nightly: 2 runs/, why);
    const xml = readFileSync(join(store, 'junit.xml'), 'utf8');
    assert.equal((xml.match(/<testcase\b/g) ?? []).length, 2, xml);
  });
});

describe('scenarioTest from faultline/mocha (in-process, real backend)', function () {
  const store = mkdtempSync(join(tmpdir(), 'faultline-mocha-store-'));
  after(() => rmSync(store, { recursive: true, force: true }));
  // Declares a real mocha test: runs register-redis in this process and passes only if the outcome is as expected.
  scenarioTest('register-redis', { seeds: [5], timeLimit: '1s', store });
  it('left a run directory whose results.json records the seed, exit code 0 and the reproduce command', function () {
    const runs = readdirSync(join(store, 'register-redis'));
    assert.equal(runs.length, 1);
    const results = JSON.parse(readFileSync(join(store, 'register-redis', runs[0]!, 'results.json'), 'utf8'));
    assert.equal(results.seed, 5);
    assert.equal(results.exitCode, 0);
    assert.match(results.reproduce, /npx faultline run register-redis --seed 5 --time-limit 1s/);
  });
});

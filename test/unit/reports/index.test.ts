/**
 * The suite index from a fake store (two scenarios × several seeds, minimal run directories): every run listed
 * with its facts and report link, missing reports generated, filters present, a trend row per scenario ordered
 * oldest → newest, no network references, and a suite junit.xml with one test case per scenario×seed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeSuiteIndex } from '../../../reports/index-html.js';

interface FakeRun {
  scenario: string;
  seed: number;
  startedAt: string;
  valid: true | false | 'unknown';
  expected: 'valid' | 'invalid';
  exitCode?: number;
  anomalies?: { type: string; ops: number[]; explanation: string }[];
  totalMs?: number;
  /** Leave results.json out (a run whose harness was killed). */
  noResults?: boolean;
}

/** Writes one run directory under `store`; returns its path. */
function writeFakeRun(store: string, r: FakeRun): string {
  const dir = join(store, r.scenario, `${r.startedAt.replace(/:/g, '-')}-seed${r.seed}`);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const reproduce = `npx faultline run ${r.scenario} --seed ${r.seed} --time-limit 3s`;
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ name: r.scenario, ref: r.scenario, seed: r.seed, expect: r.expected, reproduce, startedAt: r.startedAt }));
  const ops = [
    { index: 0, time: 1_000_000, process: 0, type: 'invoke', f: 'write', value: 1 },
    { index: 1, time: 2_000_000, process: 0, type: 'ok', f: 'write', value: 1 },
    { index: 2, time: 3_000_000, process: 1, type: 'invoke', f: 'read', value: null },
    { index: 3, time: 4_000_000, process: 1, type: 'ok', f: 'read', value: 1 },
  ];
  writeFileSync(join(dir, 'history.jsonl'), ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
  writeFileSync(join(dir, 'logs', 'harness.log'), 'started\n');
  if (!r.noResults) {
    const matches = r.valid !== 'unknown' && (r.valid === true) === (r.expected === 'valid');
    const exitCode = r.exitCode ?? (r.valid === 'unknown' ? 2 : matches ? 0 : 1);
    writeFileSync(
      join(dir, 'results.json'),
      JSON.stringify({
        scenario: r.scenario,
        seed: r.seed,
        valid: r.valid,
        expected: r.expected,
        exitCode,
        interrupted: false,
        stats: { invoked: 2, ok: 2, fail: 0, info: 0, faults: 0, opsPerSec: 1, totalMs: r.totalMs ?? 3500 },
        reproduce,
        checkers: [{ valid: r.valid, checker: 'linearizable', anomalies: r.anomalies ?? [], stats: {}, ...(r.valid === 'unknown' ? { explanation: 'gave up after 10s' } : {}) }],
        finishedAt: new Date(Date.parse(r.startedAt) + (r.totalMs ?? 3500)).toISOString(),
      }),
    );
  }
  return dir;
}

/** Rows of the runs table, as attribute maps plus cell texts (tags stripped). */
function runRows(html: string): { attrs: Record<string, string>; cells: string[]; html: string }[] {
  return [...html.matchAll(/<tr data-testid="run"([^>]*)>([\s\S]*?)<\/tr>/g)].map((m) => ({
    attrs: Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
    cells: [...m[2]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '')),
    html: m[2]!,
  }));
}

describe('reports/index-html', () => {
  let store = '';
  beforeEach(() => (store = mkdtempSync(join(tmpdir(), 'faultline-index-'))));
  afterEach(() => rmSync(store, { recursive: true, force: true }));

  function fakeStore(): string[] {
    const dirs = [
      writeFakeRun(store, { scenario: 'register-redis', seed: 1, startedAt: '2026-01-01T10:00:00.000Z', valid: true, expected: 'valid' }),
      writeFakeRun(store, { scenario: 'register-redis', seed: 2, startedAt: '2026-01-01T10:05:00.000Z', valid: false, expected: 'valid', anomalies: [{ type: 'nonlinearizable', ops: [3], explanation: 'read <1> & "2" could not be placed' }] }),
      writeFakeRun(store, { scenario: 'register-redis', seed: 3, startedAt: '2026-01-01T10:10:00.000Z', valid: 'unknown', expected: 'valid' }),
      // the same scenario×seed again, newer: JUnit keeps only this one
      writeFakeRun(store, { scenario: 'register-redis', seed: 1, startedAt: '2026-01-02T09:00:00.000Z', valid: false, expected: 'valid', anomalies: [{ type: 'nonlinearizable', ops: [1], explanation: 'newer' }] }),
      writeFakeRun(store, { scenario: 'lock-redis-naive', seed: 1, startedAt: '2026-01-01T11:00:00.000Z', valid: false, expected: 'invalid', anomalies: [{ type: 'overlap', ops: [0, 2], explanation: 'two holders' }] }),
      writeFakeRun(store, { scenario: 'lock-redis-naive', seed: 2, startedAt: '2026-01-01T11:05:00.000Z', valid: true, expected: 'invalid', totalMs: 65_000 }),
      writeFakeRun(store, { scenario: 'lock-redis-naive', seed: 3, startedAt: '2026-01-01T11:10:00.000Z', valid: false, expected: 'invalid', noResults: true }),
    ];
    symlinkSync(relative(store, dirs[3]!), join(store, 'latest')); // as createRunDir does: must not be listed twice
    return dirs;
  }

  it('lists every run with its facts, generating missing reports, and writes the suite junit.xml', async () => {
    const dirs = fakeStore();
    writeFileSync(join(dirs[0]!, 'report.html'), '<!doctype html><p>old report</p>'); // already there: kept
    const rendered: string[] = [];
    const out = await writeSuiteIndex(store, {
      writeReport: async (dir) => {
        rendered.push(dir);
        writeFileSync(join(dir, 'report.html'), '<!doctype html><p>new</p>');
        return join(dir, 'report.html');
      },
    });
    assert.equal(out.indexPath, join(store, 'index.html'));
    assert.equal(out.junitPath, join(store, 'junit.xml'));
    assert.equal(out.runs.length, 7, 'every run once (the latest symlink is not followed)');
    assert.deepEqual(rendered.sort(), dirs.slice(1).sort(), 'reports rendered only where missing');
    assert.equal(readFileSync(join(dirs[0]!, 'report.html'), 'utf8'), '<!doctype html><p>old report</p>');

    const html = readFileSync(out.indexPath, 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//i, 'no network references');
    assert.doesNotMatch(html, /<link\b|@import|url\(/i);
    const rows = runRows(html);
    assert.equal(rows.length, 7);
    assert.deepEqual(rows.map((r) => r.attrs['data-seed']), ['1', '3', '2', '1', '3', '2', '1'], 'newest first');

    const row = (scenario: string, seed: number, started: string) => rows.find((r) => r.attrs['data-scenario'] === scenario && r.attrs['data-seed'] === String(seed) && r.html.includes(started))!;
    const failing = row('register-redis', 2, '2026-01-01T10:05:00.000Z');
    assert.deepEqual(failing.cells.slice(0, 9), ['register-redis', '2', '2026-01-01 10:05:00Z', '3.5 s', '2', 'INVALID', 'VALID', 'no', 'report']);
    assert.equal(failing.attrs['data-verdict'], 'invalid');
    assert.equal(failing.attrs['data-as-expected'], 'false');
    assert.match(failing.html, /href="register-redis\/2026-01-01T10-05-00\.000Z-seed2\/report\.html"/);
    assert.match(failing.html, /nonlinearizable ×1: read &lt;1&gt; &amp; &quot;2&quot; could not be placed/, 'anomaly summary escaped');
    const expectedInvalid = row('lock-redis-naive', 1, '2026-01-01T11:00:00.000Z');
    assert.deepEqual([expectedInvalid.cells[5], expectedInvalid.cells[6], expectedInvalid.cells[7]], ['INVALID', 'INVALID', 'yes']);
    const long = row('lock-redis-naive', 2, '2026-01-01T11:05:00.000Z');
    assert.deepEqual([long.cells[3], long.cells[5], long.cells[7]], ['1 m 5 s', 'VALID', 'no']);
    const killed = row('lock-redis-naive', 3, '2026-01-01T11:10:00.000Z');
    assert.deepEqual([killed.cells[5], killed.cells[7]], ['UNKNOWN', 'no']);
    assert.match(killed.cells[9]!, /results\.json is missing/);

    // filters: scenario, verdict, not-as-expected only, driven by an inline script
    assert.match(html, /<select id="f-scenario"[^>]*><option value="">all<\/option><option value="lock-redis-naive">lock-redis-naive<\/option><option value="register-redis">register-redis<\/option><\/select>/);
    assert.match(html, /<select id="f-verdict"/);
    assert.match(html, /<input type="checkbox" id="f-unexpected"/);
    assert.match(html, /<script>[\s\S]*data-as-expected[\s\S]*<\/script>/);
    assert.match(html, /7 runs.*2 scenarios.*5 not as expected/s);

    // trend: one row per scenario, cells oldest → newest
    const trend = [...html.matchAll(/<tr data-testid="trend-row" data-scenario="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
      scenario: m[1],
      cells: [...m[2]!.matchAll(/class="cell (\w+)( unexpected)?"/g)].map((c) => `${c[1]}${c[2] ? '!' : ''}`),
    }));
    assert.deepEqual(trend, [
      { scenario: 'lock-redis-naive', cells: ['invalid', 'valid!', 'unknown!'] },
      { scenario: 'register-redis', cells: ['valid', 'invalid!', 'unknown!', 'invalid!'] },
    ]);

    // suite JUnit: newest run per scenario×seed (6 of the 7 runs)
    const junit = readFileSync(out.junitPath, 'utf8');
    const cases = [...junit.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((m) => [m[1], m[2], /<failure|<error/.exec(m[3]!)?.[0] ?? 'pass']);
    assert.deepEqual(cases, [
      ['lock-redis-naive', 'seed 1', 'pass'],
      ['lock-redis-naive', 'seed 2', '<failure'],
      ['lock-redis-naive', 'seed 3', '<error'],
      ['register-redis', 'seed 1', '<failure'],
      ['register-redis', 'seed 2', '<failure'],
      ['register-redis', 'seed 3', '<failure'],
    ]);
    assert.match(junit, /<failure message="nonlinearizable ×1: newer"/);
  });

  it('lists a run whose report fails to render without a link, logs why, and still writes the index', async () => {
    fakeStore();
    const logged: string[] = [];
    const out = await writeSuiteIndex(store, {
      log: (l) => logged.push(l),
      writeReport: async (dir) => {
        if (dir.includes('seed2')) throw new Error('renderer exploded');
        writeFileSync(join(dir, 'report.html'), 'ok');
        return join(dir, 'report.html');
      },
    });
    const html = readFileSync(out.indexPath, 'utf8');
    const rows = runRows(html);
    const broken = rows.filter((r) => r.attrs['data-seed'] === '2');
    assert.equal(broken.length, 2);
    for (const r of broken) {
      assert.doesNotMatch(r.html, /href="[^"]*report\.html"/);
      assert.match(r.html, /no report/);
    }
    assert.equal(rows.filter((r) => /href="[^"]*report\.html"/.test(r.html)).length, 5);
    assert.equal(logged.filter((l) => /renderer exploded/.test(l)).length, 2);
  });

  it('does not render reports when asked not to, and handles an empty store', async () => {
    fakeStore();
    const out = await writeSuiteIndex(store, { generateReports: false, writeReport: async () => assert.fail('must not render') });
    assert.equal(out.runs.length, 7);
    const empty = join(store, 'empty');
    mkdirSync(empty);
    const e = await writeSuiteIndex(empty);
    assert.equal(e.runs.length, 0);
    assert.match(readFileSync(e.indexPath, 'utf8'), /0 runs/);
    assert.match(readFileSync(e.junitPath, 'utf8'), /<testsuites name="faultline" tests="0"/);
    assert.ok(existsSync(e.indexPath));
  });

  it('fails clearly for a store that does not exist', async () => {
    await assert.rejects(writeSuiteIndex(join(store, 'missing')), /store .*missing does not exist; a store holds one directory per scenario/);
  });
});

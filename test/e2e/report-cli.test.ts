/**
 * `faultline report` and `faultline check --report` as a user runs them (the built CLI): every run writes
 * report.html and junit.xml; `report <run-dir>` rebuilds them; `report --index <store>` writes the suite index and
 * JUnit; a bare history gets a report; anything that is not a run directory is a clear usage error.
 * Needs `npm run build` first and redis-server for the real run.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { bin, faultline } from '../support/cli.js';

/** No script, style, image or font fetched from anywhere: everything inline. */
function assertSelfContained(html: string, what: string): void {
  assert.doesNotMatch(html, /<(?:script|img|iframe|audio|video|source)\b[^>]*\ssrc\s*=/i, `${what}: an element loads src`);
  assert.doesNotMatch(html, /<link\b[^>]*rel\s*=\s*["']?(?:stylesheet|preload|icon)/i, `${what}: a linked stylesheet/font`);
  assert.doesNotMatch(html, /@import|url\(\s*['"]?(?:https?:)?\/\//i, `${what}: CSS fetches from the network`);
}

/** Opens index.html in headless Chromium: no console errors, no request but the page, and the filters work. */
async function checkIndexInBrowser(indexPath: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(indexPath).href;
    await page.goto(url);
    const visible = () => page.locator('tr[data-testid="run"]:visible').count();
    assert.equal(await visible(), 2);
    await page.check('#f-unexpected');
    assert.equal(await visible(), 1, 'not-as-expected only');
    assert.equal(await page.locator('tr[data-testid="run"]:visible').getAttribute('data-scenario'), 'register-redis-copy');
    await page.uncheck('#f-unexpected');
    await page.selectOption('#f-scenario', 'register-redis');
    assert.equal(await visible(), 1, 'scenario filter');
    await page.selectOption('#f-scenario', '');
    await page.selectOption('#f-verdict', 'invalid');
    assert.equal(await visible(), 0, 'verdict filter: no INVALID run');
    await page.selectOption('#f-verdict', 'valid');
    assert.equal(await visible(), 2);
    await page.click('[data-filter-scenario="register-redis-copy"]');
    assert.equal(await visible(), 1, 'clicking a trend row filters to its scenario');
    assert.equal(await page.textContent('#shown'), '1');
    assert.deepEqual(errors, [], 'console errors');
    assert.deepEqual(requests, [url], 'no request but the page itself');
  } finally {
    await browser.close();
  }
}

describe('faultline report (CLI)', function () {
  this.timeout(180_000);
  let tmp = '';
  let store = '';
  let runDir = '';

  before(function () {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (npm test does) before the e2e tests`);
    tmp = mkdtempSync(join(tmpdir(), 'faultline-report-e2e-'));
    store = join(tmp, 'store');
    const r = faultline(['run', 'register-redis', '--seed', '5', '--time-limit', '3s', '--store', store]);
    assert.equal(r.code, 0, `faultline run failed:\n${r.stdout}\n${r.stderr}`);
    const dirs = readdirSync(join(store, 'register-redis'));
    assert.equal(dirs.length, 1);
    runDir = join(store, 'register-redis', dirs[0]!);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('every run writes report.html and junit.xml next to results.json', function () {
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    assert.match(html, /<main[^>]*data-testid="report"/);
    assertSelfContained(html, 'report.html');
    const junit = readFileSync(join(runDir, 'junit.xml'), 'utf8');
    assert.match(junit, /<testcase classname="register-redis" name="seed 5" time="\d+\.\d{3}">/);
    assert.doesNotMatch(junit, /<failure|<error/);
  });

  it('`report <run-dir>` regenerates a deleted report.html and junit.xml', function () {
    rmSync(join(runDir, 'report.html'));
    rmSync(join(runDir, 'junit.xml'));
    const r = faultline(['report', runDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /report: .*report\.html/);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    assert.match(html, /<main[^>]*data-testid="report"/);
    assert.match(html, /data-testid="reproduce"[\s\S]*npx faultline run register-redis --seed 5 --time-limit 3s/);
    assert.match(html, /<canvas[^>]*data-testid="timeline"/);
    assertSelfContained(html, 'report.html');
    assert.match(readFileSync(join(runDir, 'junit.xml'), 'utf8'), /classname="register-redis" name="seed 5"/);
  });

  it('`report` on something that is not a run directory says what is missing (exit 64)', function () {
    const missing = faultline(['report', join(tmp, 'no-such-dir')]);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /no-such-dir does not exist; a run directory .* holds scenario\.json, history\.jsonl, results\.json and logs\//);
    const empty = join(tmp, 'not-a-run');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'results.json'), '{}');
    const noHistory = faultline(['report', empty]);
    assert.equal(noHistory.code, 64);
    assert.match(noHistory.stderr, /not-a-run is not a run directory: history\.jsonl is missing/);
    assert.ok(!existsSync(join(empty, 'report.html')));
    const none = faultline(['report']);
    assert.equal(none.code, 64);
    assert.match(none.stderr, /needs a run directory .* or --index <store>/);
    const both = faultline(['report', runDir, '--index', store]);
    assert.equal(both.code, 64);
  });

  it('`report --index <store>` lists every run, renders missing reports and writes the suite JUnit', async function () {
    // a second run of another scenario, copied from the real one and relabelled, without a report
    const other = join(store, 'register-redis-copy', '2030-01-01T00-00-00.000Z-seed9');
    mkdirSync(other, { recursive: true });
    for (const f of ['history.jsonl', 'scenario.json', 'logs']) cpSync(join(runDir, f), join(other, f), { recursive: true });
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    writeFileSync(join(other, 'results.json'), JSON.stringify({ ...results, scenario: 'register-redis-copy', seed: 9, expected: 'invalid', exitCode: 1 }));
    const scen = JSON.parse(readFileSync(join(other, 'scenario.json'), 'utf8'));
    writeFileSync(join(other, 'scenario.json'), JSON.stringify({ ...scen, name: 'register-redis-copy', seed: 9, expect: 'invalid', startedAt: '2030-01-01T00:00:00.000Z' }));

    const r = faultline(['report', '--index', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 runs \(1 not as expected\)/);
    assert.ok(existsSync(join(other, 'report.html')), 'missing report rendered');
    const index = readFileSync(join(store, 'index.html'), 'utf8');
    assertSelfContained(index, 'index.html');
    const rows = [...index.matchAll(/<tr data-testid="run"[^>]*data-scenario="([^"]+)" data-seed="(\d+)" data-verdict="(\w+)" data-as-expected="(\w+)"[^>]*>([\s\S]*?)<\/tr>/g)];
    assert.deepEqual(rows.map((m) => m.slice(1, 5)).sort(), [['register-redis', '5', 'valid', 'true'], ['register-redis-copy', '9', 'valid', 'false']]);
    for (const m of rows) assert.match(m[5]!, new RegExp(`href="${m[1]}/[^"]+-seed${m[2]}/report\\.html"`));
    assert.equal([...index.matchAll(/data-testid="trend-row"/g)].length, 2);
    const junit = readFileSync(join(store, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuites name="faultline" tests="2" failures="1" errors="0"/);
    assert.match(junit, /<testcase classname="register-redis-copy" name="seed 9"[^>]*>\s*<failure message="VALID but the scenario expects INVALID: no anomalies were found"/);

    await checkIndexInBrowser(join(store, 'index.html'));

    const json = faultline(['report', '--index', store, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).runs.length, 2);
    const bad = faultline(['report', '--index', join(tmp, 'no-store')]);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /store .*no-store does not exist/);
  });

  it('`check --report` writes a report for a bare history: linearizability, lock and transactional checkers', function () {
    const lin = join(tmp, 'lin.html');
    const r = faultline(['check', 'test/fixtures/register-stale-read.jsonl', '--model', 'register', '--report', lin]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^INVALID: /);
    assert.match(r.stderr, /wrote report .*lin\.html/);
    const html = readFileSync(lin, 'utf8');
    assert.match(html, /<main[^>]*data-testid="report"/);
    assert.match(html, /<li[^>]*data-testid="anomaly"[^>]*data-ops="[\d,]+"/);
    assertSelfContained(html, 'check report');

    const txn = join(tmp, 'sub', 'txn.html');
    const t = faultline(['check', 'test/fixtures/txn/jepsen-style.jsonl', '--checker', 'list-append', '--report', txn]);
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stdout, /^INVALID: list-append/);
    assert.match(readFileSync(txn, 'utf8'), /data-testid="anomaly"[^>]*data-ops="[\d,]+"/);

    const lock = join(tmp, 'lock.html');
    const l = faultline(['check', 'test/fixtures/register-stale-read.jsonl', '--checker', 'mutex', '--report', lock]);
    assert.ok(existsSync(lock), `${l.stdout}\n${l.stderr}`);

    const valid = join(tmp, 'valid.html');
    const v = faultline(['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'cas-register', '--report', valid]);
    assert.equal(v.code, 0, v.stderr);
    assert.doesNotMatch(readFileSync(valid, 'utf8'), /<li[^>]*data-testid="anomaly"/);
  });
});

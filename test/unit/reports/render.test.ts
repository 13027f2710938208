/**
 * report.html (issue 6 part 1), rendered in Node: hooks, escaping, no network references, lanes, anomalies with
 * drawings, loadRunData errors, and the 100k-op budget. Writes sample reports to /tmp/faultline-report-samples/
 * for the browser tests.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readHistory } from '../../../checkers/history/io.js';
import type { Op } from '../../../checkers/history/types.js';
import { checkLinearizability, createModel } from '../../../checkers/linearizable/index.js';
import type { CheckResult } from '../../../checkers/result.js';
import { checkListAppend } from '../../../checkers/txn/index.js';
import { renderReport, writeRunReport } from '../../../reports/html/render.js';
import { loadRunData, reportDataFromHistory } from '../../../reports/run-data.js';

const SAMPLES = '/tmp/faultline-report-samples';
const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;

function embedded(html: string): { lanes: string[]; opCount: number; bars: { lane: number[] }; faults: { label: string; start: number; end: number }[] } {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'embedded report data missing');
  return JSON.parse(m[1]!);
}

function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /https?:\/\//i, 'no URLs with a scheme');
  assert.doesNotMatch(html, /\ssrc\s*=/i, 'no src= attributes');
  assert.doesNotMatch(html, /<link\b/i, 'no <link> elements');
  assert.doesNotMatch(html, /@import|url\(\s*['"]?(?!data:|#)/i, 'no CSS imports or external url()');
  assert.match(html, /^<!DOCTYPE html>/);
}

function assertHooks(html: string): void {
  assert.match(html, /<main data-testid="report">/);
  assert.match(html, /<header data-testid="header">/);
  assert.match(html, /data-testid="verdict"/);
  assert.match(html, /data-testid="reproduce"/);
  assert.match(html, /<canvas data-testid="timeline"/);
  assert.match(html, /window\.faultlineReport/);
}

/** Ops with `time` in ns, `n` ops per process over `procs` client processes (each invoke + completion). */
function syntheticHistory(pairs: number, procs: number, opts: { nemesisEvery?: number; failEvery?: number; value?: (i: number) => unknown } = {}): Op[] {
  const ops: Op[] = [];
  let t = 0;
  const open: (number | undefined)[] = new Array(procs).fill(undefined);
  let started = 0;
  let faultOpen = false;
  let p = 0;
  while (started < pairs || open.some((x) => x !== undefined)) {
    t += 50_000 + ((started * 7919) % 300_000);
    const proc = p++ % procs;
    if (opts.nemesisEvery && started % opts.nemesisEvery === 0 && started > 0 && open[proc] === undefined) {
      const f = faultOpen ? 'stop-link-latency' : 'start-link-latency';
      ops.push({ index: ops.length, time: t, process: 'nemesis', type: 'invoke', f, value: { targets: ['n1'] } });
      ops.push({ index: ops.length, time: t + 1000, process: 'nemesis', type: 'info', f, value: { targets: ['n1'] } });
      faultOpen = !faultOpen;
    }
    const o = open[proc];
    if (o !== undefined) {
      const inv = ops[o]!;
      const fail = opts.failEvery !== undefined && o % opts.failEvery === 0;
      ops.push({ index: ops.length, time: t, process: proc, type: fail ? 'fail' : 'ok', f: inv.f, value: inv.value, ...(fail ? { error: 'timeout' } : {}) });
      open[proc] = undefined;
    } else if (started < pairs) {
      open[proc] = ops.length;
      const f = started % 2 ? 'read' : 'write';
      ops.push({ index: ops.length, time: t, process: proc, type: 'invoke', f, value: opts.value ? opts.value(started) : f === 'read' ? null : started });
      started++;
    }
  }
  return ops;
}

function save(name: string, html: string): void {
  mkdirSync(SAMPLES, { recursive: true });
  writeFileSync(join(SAMPLES, name), html);
}

describe('reports: report.html', function () {
  it('renders a valid history with every hook, one lane per process and no network references', async function () {
    const { ops } = await readHistory(join(FIXTURES, 'cas-register-valid.jsonl'));
    const r = checkLinearizability(ops, createModel('cas-register'));
    assert.equal(r.valid, true);
    const html = renderReport(reportDataFromHistory(ops, [r], { scenario: 'cas-fixture', seed: 3, reproduce: 'npx faultline run x --seed 3' }));
    assertSelfContained(html);
    assertHooks(html);
    const d = embedded(html);
    const procs = [...new Set(ops.map((o) => String(o.process)).filter((p) => p !== 'nemesis'))].sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(d.lanes, procs);
    assert.equal(d.opCount, ops.length);
    assert.match(html, /data-testid="reproduce">npx faultline run x --seed 3</);
    assert.match(html, /data-checker="linearizable" data-valid="true"/);
    assert.doesNotMatch(html, /<li data-testid="anomaly"/);
    save('valid.html', html);
  });

  it('draws an invalid linearizability result with its prefix and escapes explanations', async function () {
    const { ops } = await readHistory(join(FIXTURES, 'register-stale-read.jsonl'));
    const r = checkLinearizability(ops, createModel('register'));
    assert.equal(r.valid, false);
    const a = r.anomalies[0]!;
    assert.ok(Array.isArray(a.prefix));
    // A hostile explanation and value: must come out escaped, never as markup.
    a.explanation += '\n<script>alert(1)</script> & "quoted" </pre>';
    const html = renderReport(reportDataFromHistory(ops, [r], { scenario: 'stale<read>', expected: 'invalid' }));
    assertSelfContained(html);
    assertHooks(html);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &lt;/pre&gt;'));
    assert.ok(!html.includes('<script>alert(1)'));
    assert.ok(html.includes('stale&lt;read&gt;'));
    const items = [...html.matchAll(/<li data-testid="anomaly" data-type="([^"]*)" data-ops="([^"]*)"/g)];
    assert.equal(items.length, r.anomalies.length);
    assert.equal(items[0]![2], a.ops.join(','));
    assert.match(html, /<svg class="lin-svg"/);
    assert.match(html, /Linearization order/);
    assert.match(html, /expected invalid ✓/);
    save('linearizability-invalid.html', html);
  });

  it('draws a txn cycle as a graph with labelled edges', async function () {
    const { ops } = await readHistory(join(FIXTURES, 'txn', 'paper-example.edn'));
    const r: CheckResult = checkListAppend(ops);
    const cyc = r.anomalies.find((x) => Array.isArray(x.steps));
    assert.ok(cyc, `expected a cycle anomaly, got ${r.anomalies.map((x) => x.type).join(', ')}`);
    const html = renderReport(reportDataFromHistory(ops, [r]));
    assertSelfContained(html);
    assert.match(html, /<svg class="cycle-svg"/);
    const steps = cyc.steps as { kind: string }[];
    for (const s of steps) assert.ok(html.includes(`>${s.kind}`), `edge label ${s.kind}`);
    for (let i = 1; i <= cyc.ops.length; i++) assert.ok(html.includes(`>T${i}</text>`));
    assert.ok(html.includes(`data-ops="${cyc.ops.join(',')}"`));
    // No scenario: the header says the reproduce command is unknown.
    assert.match(html, /data-testid="reproduce" class="hint">unknown/);
    assert.deepEqual(steps.map((s) => s.kind).sort(), ['rw', 'wr', 'ww']);
    save('txn-cycle.html', html);
    // A 2-cycle (write skew): both edges drawn, bent apart.
    const ws = (await readHistory(join(FIXTURES, 'txn-cli', 'write-skew.jsonl'))).ops;
    const r2: CheckResult = checkListAppend(ws);
    const html2 = renderReport(reportDataFromHistory(ws, [r2]));
    assert.equal([...html2.matchAll(/marker-end=/g)].length, 2 * r2.anomalies.filter((x) => Array.isArray(x.steps) && (x.steps as unknown[]).length === 2).length);
    save('txn-write-skew.html', html2);
  });

  it('shades nemesis windows instead of giving the nemesis a lane, and caps anomalies', function () {
    const ops = syntheticHistory(2000, 4, { nemesisEvery: 100, failEvery: 7 });
    ops.push({ index: ops.length, time: ops[ops.length - 1]!.time! + 10, process: 'resource', type: 'invoke', f: 'check', value: null });
    ops.push({ index: ops.length, time: ops[ops.length - 1]!.time! + 10, process: 'resource', type: 'ok', f: 'check', value: 1 });
    ops.push({ index: ops.length, time: ops[ops.length - 1]!.time! + 10, process: 3, type: 'invoke', f: 'write', value: 'never completes' });
    const anomalies = Array.from({ length: 60 }, (_, i) => ({ type: 'made-up', ops: [i * 2, i * 2 + 1], explanation: `anomaly ${i} with x < y` }));
    const r: CheckResult = { valid: false, checker: 'fake', anomalies, stats: {} };
    const html = renderReport(reportDataFromHistory(ops, [r], { checkerExpect: ['valid'] }));
    assertSelfContained(html);
    const d = embedded(html);
    assert.deepEqual(d.lanes, ['0', '1', '2', '3', 'resource']);
    assert.ok(d.faults.length >= 10, `fault windows: ${d.faults.length}`);
    assert.ok(d.faults.every((f) => f.label === 'link-latency' && f.end >= f.start));
    assert.equal([...html.matchAll(/<li data-testid="anomaly"/g)].length, 50);
    assert.match(html, /and 10 more anomalies/);
    assert.ok(html.includes('anomaly 3 with x &lt; y'));
    assert.match(html, /expected valid ✗/);
    save('nemesis-heavy.html', html);
  });

  it('renders 100k ops well under a second, compactly', function () {
    const ops = syntheticHistory(50_000, 10, { nemesisEvery: 5000, failEvery: 13 });
    assert.ok(ops.length >= 100_000);
    const r: CheckResult = { valid: false, checker: 'fake', anomalies: [{ type: 'x', ops: [10, 11, 99_000], explanation: 'late op' }], stats: {} };
    const data = reportDataFromHistory(ops, [r], { scenario: 'big', seed: 1 });
    renderReport(reportDataFromHistory(ops.slice(0, 100), [])); // warm up (uPlot read, JIT)
    const t0 = performance.now();
    const html = renderReport(data);
    const ms = performance.now() - t0;
    const bytes = Buffer.byteLength(html);
    console.log(`      100k-op report (${ops.length} records): ${Math.round(ms)} ms, ${bytes} bytes`);
    assert.ok(ms < 1000, `render took ${ms} ms`);
    assert.ok(bytes < 8 * 1024 * 1024, `report is ${bytes} bytes`);
    // No per-op DOM: the only per-op data is inside the JSON script.
    const withoutData = html.replace(/<script type="application\/json" id="report-data">[\s\S]*?<\/script>/, '');
    assert.ok(Buffer.byteLength(withoutData) < 300_000, `markup outside the data is ${Buffer.byteLength(withoutData)} bytes`);
    assert.equal(embedded(html).lanes.length, 10);
    save('big-100k.html', html);
  });

  describe('run directories', function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('says what is missing for a bad run directory', async function () {
      await assert.rejects(loadRunData(join(dir, 'nope')), /does not exist: a run directory .* holds scenario\.json, history\.jsonl, results\.json and logs/);
      await assert.rejects(loadRunData(dir), /has no history\.jsonl.*holds scenario\.json, history\.jsonl/);
    });

    it('loads scenario, results, logs and backend version, and writes report.html with relative links', async function () {
      const ops = syntheticHistory(50, 3, { nemesisEvery: 20 });
      writeFileSync(join(dir, 'history.jsonl'), ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
      writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ name: 'register-redis', ref: 'register-redis', description: 'desc <b>', seed: 9, expect: 'valid', backend: { kind: 'redis', topology: 'single' }, workload: { name: 'register', options: {} }, client: 'redis', checkers: [{ checker: 'linearizable', model: 'kv' }], startedAt: '2026-01-01T00:00:00.000Z' }));
      const result: CheckResult = { valid: true, checker: 'linearizable', anomalies: [], stats: {} };
      writeFileSync(join(dir, 'results.json'), JSON.stringify({ scenario: 'register-redis', seed: 9, valid: true, expected: 'valid', exitCode: 0, interrupted: false, stats: { totalMs: 1234, opsPerSec: 10 }, reproduce: 'npx faultline run register-redis --seed 9 --time-limit 5s', checkers: [result], finishedAt: '2026-01-01T00:00:02.000Z' }));
      mkdirSync(join(dir, 'logs'));
      writeFileSync(join(dir, 'logs', 'redis-n1.log'), '1:C 22 Nov 2026 # Redis version=7.0.15, bits=64\n');
      writeFileSync(join(dir, 'logs', 'harness.log'), 'hello\n');
      const data = await loadRunData(dir);
      assert.equal(data.meta.scenario, 'register-redis');
      assert.equal(data.meta.seed, 9);
      assert.deepEqual(data.meta.backends, [{ kind: 'redis', topology: 'single', version: '7.0.15', versionSource: 'logs/redis-n1.log' }]);
      assert.deepEqual(data.meta.files.map((f) => f.href), ['history.jsonl', 'results.json', 'scenario.json', 'logs/harness.log', 'logs/redis-n1.log']);
      const file = await writeRunReport(dir);
      assert.equal(file, join(dir, 'report.html'));
      const html = (await import('node:fs')).readFileSync(file, 'utf8');
      assertSelfContained(html);
      assertHooks(html);
      assert.match(html, /data-testid="reproduce">npx faultline run register-redis --seed 9 --time-limit 5s</);
      assert.match(html, /redis single v7\.0\.15/);
      assert.ok(html.includes('desc &lt;b&gt;'));
      for (const href of ['history.jsonl', 'results.json', 'scenario.json', 'logs/redis-n1.log', 'logs/harness.log']) assert.ok(html.includes(`<a href="${href}">`), href);
      assert.deepEqual(embedded(html).lanes, ['0', '1', '2']);
    });
  });
});

/**
 * report.html in headless Chromium (Debian's `chromium` through playwright-core): reports generated from
 * hand-written histories (valid register, non-linearizable stale read, write-skew txn cycle, nemesis-heavy), a
 * 100k-op generated history and one real short register-redis run. Each must load from file:// with no console
 * errors and no request but the document, draw one timeline lane per process on a canvas (no per-op DOM), list
 * every checker anomaly, and highlight an anomaly's ops when it is clicked. The failing report is screenshotted to
 * test-artifacts/report-invalid.png.
 *
 * A missing browser fails the suite (the `before` hook) with "install Debian package chromium"; it never skips.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { readHistory } from '../../checkers/history/io.js';
import type { Op } from '../../checkers/history/types.js';
import { checkLinearizability } from '../../checkers/linearizable/check.js';
import { createModel } from '../../checkers/linearizable/models/index.js';
import type { CheckResult } from '../../checkers/result.js';
import { checkListAppend } from '../../checkers/txn/index.js';
import { reportDataFromHistory, type ReportMeta } from '../../reports/run-data.js';
import { renderReport, writeRunReport } from '../../reports/html/render.js';
import { launchChromium, openReport, reportApi, useBrowser, type OpenedReport } from '../support/browser.js';
import { faultline, root, useStore } from '../support/cli.js';
import { concurrentTxns } from '../support/txn-sim.js';

const FIXTURES = join(root, 'test', 'fixtures');
const ARTIFACTS = join(root, 'test-artifacts');
const REPRO = (scenario: string, seed: number) => `npx faultline run ${scenario} --seed ${seed} --time-limit 10s`;

// ---------------------------------------------------------------------------------------------------------------
// Histories

/** A small deterministic PRNG (mulberry32), so generated histories are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS = ['link-latency', 'kill', 'pause', 'partition', 'link-loss'];

/**
 * A linearizable single-register history: `clients` workers invoke reads and writes, each op takes effect at its
 * completion, some writes fail (no effect) and some ops end `info` (a write then takes effect; the worker carries on
 * under a fresh process id, process + clients, as Jepsen does). `faults` nemesis windows (start-x … stop-x, every
 * fifth a `heal`) are spread over the run. About `records` history records in all; times in ns.
 */
function registerHistory(o: { records: number; clients: number; seed: number; faults?: number; infoRate?: number; failRate?: number }): Op[] {
  const rand = rng(o.seed);
  const ops: Op[] = [];
  let time = 0;
  let value: number | null = null;
  let next = 1;
  const proc = Array.from({ length: o.clients }, (_, i) => i);
  const pending: ({ f: 'read' | 'write'; value: number | null } | undefined)[] = new Array(o.clients).fill(undefined);
  const push = (op: Omit<Op, 'index' | 'time'>) => {
    time += 20_000 + Math.floor(rand() * 400_000);
    ops.push({ index: ops.length, time, ...op } as Op);
  };
  const faults = o.faults ?? 0;
  const faultEvery = faults > 0 ? Math.floor(o.records / (faults * 2 + 1)) : Infinity;
  let faultNo = 0;
  let faultOpen: string | undefined;
  while (ops.length < o.records - 2 * o.clients - 4) {
    if (faultNo < faults * 2 && ops.length >= faultEvery * (faultNo + 1)) {
      const k = Math.floor(faultNo / 2);
      const fault = k % 5 === 4 ? 'heal' : FAULTS[k % FAULTS.length]!;
      if (fault === 'heal') {
        if (faultNo % 2 === 0) {
          push({ process: 'nemesis', type: 'invoke', f: 'heal', value: null });
          push({ process: 'nemesis', type: 'info', f: 'heal', value: 'healed' });
        }
      } else if (faultNo % 2 === 0) {
        faultOpen = fault;
        push({ process: 'nemesis', type: 'invoke', f: `start-${fault}`, value: ['n1'] });
        push({ process: 'nemesis', type: 'info', f: `start-${fault}`, value: ['n1'] });
      } else {
        push({ process: 'nemesis', type: 'invoke', f: `stop-${faultOpen}`, value: null });
        push({ process: 'nemesis', type: 'info', f: `stop-${faultOpen}`, value: ['n1'] });
      }
      faultNo++;
      continue;
    }
    const w = Math.floor(rand() * o.clients);
    const p = pending[w];
    if (!p) {
      const op = rand() < 0.5 ? { f: 'read' as const, value: null } : { f: 'write' as const, value: next++ };
      pending[w] = op;
      push({ process: proc[w]!, type: 'invoke', f: op.f, value: op.value });
      continue;
    }
    pending[w] = undefined;
    const r = rand();
    if (r < (o.infoRate ?? 0.005)) {
      if (p.f === 'write') value = p.value;
      push({ process: proc[w]!, type: 'info', f: p.f, value: p.value, error: 'timeout' });
      proc[w]! += o.clients;
    } else if (p.f === 'write' && r < (o.infoRate ?? 0.005) + (o.failRate ?? 0.05)) {
      push({ process: proc[w]!, type: 'fail', f: 'write', value: p.value, error: 'rejected' });
    } else {
      if (p.f === 'write') value = p.value;
      push({ process: proc[w]!, type: 'ok', f: p.f, value: p.f === 'write' ? p.value : value });
    }
  }
  for (let w = 0; w < o.clients; w++) {
    const p = pending[w];
    if (!p) continue;
    if (p.f === 'write') value = p.value;
    push({ process: proc[w]!, type: 'ok', f: p.f, value: p.f === 'write' ? p.value : value });
  }
  if (faultOpen !== undefined && faultNo % 2 === 1) {
    push({ process: 'nemesis', type: 'invoke', f: `stop-${faultOpen}`, value: null });
    push({ process: 'nemesis', type: 'info', f: `stop-${faultOpen}`, value: ['n1'] });
  }
  return ops;
}

/** Client (numeric) processes of a history, as lane names. */
const clientProcesses = (ops: readonly Op[]) => [...new Set(ops.filter((o) => typeof o.process === 'number').map((o) => String(o.process)))];
/** Every process but the nemesis (clients, `resource`, …), as lane names. */
const laneProcesses = (ops: readonly Op[]) => [...new Set(ops.filter((o) => o.process !== 'nemesis').map((o) => String(o.process)))];

// ---------------------------------------------------------------------------------------------------------------
// Checking one report in the browser

const sortedNums = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

async function timelinePixels(page: Page): Promise<string> {
  return page.$eval('canvas[data-testid="timeline"]', (c) => (c as unknown as { toDataURL(): string }).toDataURL());
}

interface ReportExpect {
  ops: readonly Op[];
  results: readonly CheckResult[];
  /** Text the reproduce element must contain. */
  reproduce?: string;
  /** Upper bound on DOM elements (the timeline must not emit per-op nodes). */
  maxElements?: number;
}

/** Everything every report must satisfy; returns the open page for case-specific checks (caller closes). */
async function assertReport(opened: OpenedReport, e: ReportExpect): Promise<void> {
  const { page, url } = opened;
  assert.deepEqual(opened.errors, [], 'the page logged errors');
  assert.deepEqual(
    opened.requests.filter((u) => u !== url),
    [],
    'the report made requests besides its own document: it must be self-contained',
  );

  assert.equal(await page.locator('main[data-testid="report"]').count(), 1, 'one <main data-testid="report">');
  const header = page.locator('[data-testid="header"]');
  assert.equal(await header.count(), 1, 'one header');
  const verdicts = header.locator('[data-testid="verdict"]');
  assert.equal(await verdicts.count(), e.results.length, 'one verdict per checker in the header');
  for (let i = 0; i < e.results.length; i++) assert.ok(((await verdicts.nth(i).textContent()) ?? '').trim().length > 0, `verdict ${i} is empty`);
  const reproduce = header.locator('[data-testid="reproduce"]');
  assert.equal(await reproduce.count(), 1, 'the header shows the reproduce command');
  if (e.reproduce !== undefined) assert.ok(((await reproduce.textContent()) ?? '').includes(e.reproduce), `reproduce should contain ${e.reproduce}`);

  const canvas = page.locator('canvas[data-testid="timeline"]');
  assert.equal(await canvas.count(), 1, 'the timeline is one <canvas data-testid="timeline">');
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 20, `timeline canvas too small or hidden: ${JSON.stringify(box)}`);

  const api = await reportApi(page);
  assert.equal(api.ready, true);
  assert.equal(api.error, null, 'the page reported an error drawing itself');
  if (e.ops.some((o) => typeof o.time === 'number')) {
    assert.ok((await page.locator('.uplot').count()) >= 1, 'a timed history gets latency/throughput charts (uPlot)');
  }
  // One lane per process; the nemesis is drawn as shaded fault windows across all lanes, not as a lane.
  assert.equal(new Set(api.lanes).size, api.lanes.length, `duplicate lanes: ${api.lanes.join(', ')}`);
  assert.deepEqual([...api.lanes].sort(), laneProcesses(e.ops).sort(), 'one lane per process (nemesis excluded)');
  assert.equal(api.opCount, e.ops.length, 'opCount is the number of history records');
  assert.deepEqual(api.highlighted, [], 'nothing is highlighted before a click');

  const elements = await page.evaluate(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('*').length);
  assert.ok(elements <= (e.maxElements ?? 5000), `${elements} DOM elements: the report must not emit per-op nodes`);

  // Anomalies: one <li> each, in checker order, each naming its ops; a click highlights exactly those.
  const anomalies = e.results.flatMap((r) => r.anomalies);
  const items = page.locator('li[data-testid="anomaly"]');
  assert.equal(await items.count(), anomalies.length, 'one anomaly item per checker anomaly');
  for (let i = 0; i < anomalies.length; i++) {
    const li = items.nth(i);
    const a = anomalies[i]!;
    const dataOps = ((await li.getAttribute('data-ops')) ?? '').split(',').filter(Boolean).map(Number);
    assert.deepEqual(sortedNums(dataOps), sortedNums(a.ops), `anomaly ${i} (${a.type}) data-ops`);
    const text = (await li.textContent()) ?? '';
    assert.ok(text.includes(a.type), `anomaly ${i} item does not name its type ${a.type}`);
    const firstLine = a.explanation.split('\n')[0]!.trim();
    const anomaliesText = (await page.locator('main').textContent()) ?? '';
    assert.ok(anomaliesText.replace(/\s+/g, ' ').includes(firstLine.replace(/\s+/g, ' ')), `the explanation of anomaly ${i} is not shown: ${firstLine}`);

    const before = await timelinePixels(page);
    await li.click();
    await page.waitForFunction(
      (want: number[]) => {
        const h = (globalThis as unknown as { faultlineReport: { highlighted: number[] } }).faultlineReport.highlighted;
        return JSON.stringify([...h].sort((x, y) => x - y)) === JSON.stringify(want);
      },
      sortedNums(dataOps),
      { timeout: 5000 },
    ).catch(async () => assert.fail(`clicking anomaly ${i} set highlighted to ${JSON.stringify((await reportApi(page)).highlighted)}, expected ${JSON.stringify(sortedNums(dataOps))}`));
    // Let the redraw land, then the canvas must differ from before the click.
    await page.evaluate(() => new Promise((r) => (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => r(null))));
    assert.notEqual(await timelinePixels(page), before, `clicking anomaly ${i} did not redraw the timeline`);
  }
  assert.deepEqual(opened.errors, [], 'the page logged errors while clicking');
}

/** Render a report for a history into `dir/<name>.html`. */
function renderTo(dir: string, name: string, ops: Op[], results: CheckResult[], meta: Partial<ReportMeta> = {}): string {
  const path = join(dir, `${name}.html`);
  writeFileSync(path, renderReport(reportDataFromHistory(ops, results, meta)));
  return path;
}

// ---------------------------------------------------------------------------------------------------------------

describe('report.html in headless Chromium', function () {
  this.timeout(120_000);
  const browser = useBrowser();
  let dir = '';
  const opened: OpenedReport[] = [];
  before(() => (dir = mkdtempSync(join(tmpdir(), 'faultline-report-browser-'))));
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.context.close().catch(() => undefined);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const open = async (path: string, timeoutMs?: number) => {
    const o = await openReport(browser(), path, timeoutMs);
    opened.push(o);
    return o;
  };

  it('a missing browser fails with "install Debian package chromium" (never a skip)', async () => {
    await assert.rejects(launchChromium('/nonexistent/chromium'), /install Debian package chromium/);
  });

  it('valid register history: loads offline, one lane per process, no anomalies', async () => {
    const ops = registerHistory({ records: 600, clients: 5, seed: 1, faults: 2 });
    const result = checkLinearizability(ops, createModel('register'));
    assert.equal(result.valid, true, result.explanation);
    const path = renderTo(dir, 'valid', ops, [result], { scenario: 'hand-register', seed: 1, reproduce: REPRO('hand-register', 1) });
    await assertReport(await open(path), { ops, results: [result], reproduce: REPRO('hand-register', 1) });
  });

  it('invalid linearizability (stale read): the anomaly highlights its op; screenshot saved', async () => {
    const { ops } = await readHistory(join(FIXTURES, 'register-stale-read.jsonl'));
    const result = checkLinearizability(ops, createModel('register'));
    assert.equal(result.valid, false);
    assert.ok(result.anomalies.length > 0 && Array.isArray(result.anomalies[0]!.prefix), 'a linearizability anomaly with a prefix');
    const path = renderTo(dir, 'invalid', [...ops], [result], { scenario: 'stale-read', seed: 7, reproduce: REPRO('stale-read', 7) });
    const o = await open(path);
    await assertReport(o, { ops, results: [result], reproduce: REPRO('stale-read', 7) });
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'report-invalid.png');
    await o.page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot), `${shot} was not written`);
  });

  it('txn cycle (write skew): the G2-item anomaly highlights both txns', async () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1ry' },
      { name: 'T2', value: 'ay1rx' },
    ]);
    const ops = [...s.history];
    const result = checkListAppend(ops, { consistencyModels: ['serializable'] });
    assert.equal(result.valid, false);
    assert.ok(result.anomalies.some((a) => a.type === 'G2-item' && Array.isArray(a.steps)), 'a G2-item cycle with steps');
    const path = renderTo(dir, 'txn-cycle', ops, [result], { scenario: 'write-skew', seed: 2, reproduce: REPRO('write-skew', 2) });
    const o = await open(path);
    await assertReport(o, { ops, results: [result], reproduce: REPRO('write-skew', 2) });
    await o.page.screenshot({ path: join(ARTIFACTS, 'report-txn-cycle.png'), fullPage: true });
  });

  it('nemesis-heavy history (60 fault windows, crashed workers): loads, one lane per process', async () => {
    const ops = registerHistory({ records: 3000, clients: 8, seed: 3, faults: 60, infoRate: 0.02 });
    const windows = ops.filter((o) => o.process === 'nemesis' && o.type === 'invoke' && o.f.startsWith('start-')).length;
    assert.ok(windows >= 45, `only ${windows} fault windows generated`);
    assert.ok(clientProcesses(ops).length > 8, 'some workers crashed and continued under new process ids');
    const result = checkLinearizability(ops, createModel('register'), { timeBudgetMs: 30_000 });
    assert.equal(result.valid, true, result.explanation);
    const path = renderTo(dir, 'nemesis-heavy', ops, [result], { scenario: 'nemesis-heavy', seed: 3, reproduce: REPRO('nemesis-heavy', 3) });
    await assertReport(await open(path), { ops, results: [result], reproduce: REPRO('nemesis-heavy', 3) });
  });

  it('100k ops: ready within 3 s, no per-op DOM, and an anomaly near the end still highlights', async () => {
    const ops = registerHistory({ records: 100_000, clients: 10, seed: 4, faults: 20 });
    assert.ok(ops.length >= 99_900, `${ops.length} ops`);
    const target = ops.findLast((o) => o.type === 'ok' && typeof o.process === 'number')!;
    const result: CheckResult = {
      valid: false,
      checker: 'linearizable',
      anomalies: [{ type: 'nonlinearizable', ops: [target.index], explanation: `synthetic: op ${target.index} could not be placed`, prefix: [0, 2] }],
      stats: { ops: ops.length },
    };
    const path = renderTo(dir, 'big', ops, [result], { scenario: 'big', seed: 4, reproduce: REPRO('big', 4) });
    const o = await open(path, 20_000);
    assert.ok(o.readyMs < 3000, `the 100k-op report took ${Math.round(o.readyMs)} ms to become ready (budget 3000 ms)`);
    await assertReport(o, { ops, results: [result], maxElements: 5000, reproduce: REPRO('big', 4) });
  });

  describe('from a real register-redis run', function () {
    const storeDir = useStore();

    it('a 3 s run: its report loads offline, one lane per process, the reproduce command shown', async function () {
      const store = storeDir();
      const r = faultline(['run', 'register-redis', '--seed', '21', '--time-limit', '3s', '--store', store]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const runs = readdirSync(join(store, 'register-redis'));
      assert.equal(runs.length, 1, `expected one run dir, got ${runs.join(', ')}`);
      const runDir = join(store, 'register-redis', runs[0]!);
      const report = existsSync(join(runDir, 'report.html')) ? join(runDir, 'report.html') : await writeRunReport(runDir);
      assert.ok(existsSync(report), `${report} missing`);
      const { ops } = await readHistory(join(runDir, 'history.jsonl'));
      const parsed = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { checkers: CheckResult[]; reproduce: string };
      await assertReport(await open(report), { ops, results: parsed.checkers, reproduce: parsed.reproduce });
    });
  });
});

/**
 * The suite index: `<store>/index.html` lists every run under a store (scenario, seed, time, duration, ops, verdict,
 * expected outcome, as expected or not, a link to its report.html) with client-side filters and a per-scenario trend
 * of outcomes over time; `<store>/junit.xml` has one test case per scenario×seed (its newest run). Self-contained:
 * no scripts, styles or fonts from the network.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { runJUnit } from './junit.js';
import { findRunDirs, summarizeRun, type RunSummary } from './summary.js';

/** Options for writeSuiteIndex. */
export interface SuiteIndexOptions {
  /** Render report.html for runs that have none (default true). */
  generateReports?: boolean;
  /** Renders one run's report; defaults to reports/html/render.ts's writeRunReport. */
  writeReport?: (runDir: string) => Promise<string>;
  /** Diagnostic lines (a report that failed to render, a run that could not be read). */
  log?: (line: string) => void;
}

/** A run as the index shows it. */
export interface IndexedRun extends RunSummary {
  /** report.html relative to the store, when it exists. */
  reportHref?: string;
  /** Why its report could not be rendered. */
  reportError?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const verdictWord = (v: RunSummary['valid']) => (v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN');
const verdictClass = (v: RunSummary['valid']) => (v === true ? 'valid' : v === false ? 'invalid' : 'unknown');
const href = (store: string, file: string) => relative(store, file).split(sep).map(encodeURIComponent).join('/');

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Newest run per scenario×seed, for JUnit's one test case per scenario×seed. */
export function latestPerScenarioSeed(runs: readonly RunSummary[]): RunSummary[] {
  const latest = new Map<string, RunSummary>();
  for (const r of runs) {
    const key = `${r.scenario}\u0000${r.seed}`;
    const prev = latest.get(key);
    if (!prev || prev.startedAt < r.startedAt || (prev.startedAt === r.startedAt && prev.runDir < r.runDir)) latest.set(key, r);
  }
  return [...latest.values()].sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seed - b.seed);
}

const STYLE = `
:root { --valid: #2e7d32; --invalid: #c62828; --unknown: #f9a825; --bg: #fff; --fg: #1b1b1b; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
main { padding: 0 24px 24px; }
.muted { color: var(--muted); }
.totals span { margin-right: 16px; }
.filters { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; padding: 12px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { position: sticky; top: 0; background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-weight: 600; }
.verdict.valid { color: var(--valid); } .verdict.invalid { color: var(--invalid); } .verdict.unknown { color: #8d6e00; }
tr.unexpected { background: #fff3f3; }
.as-expected.yes { color: var(--valid); } .as-expected.no { color: var(--invalid); font-weight: 600; }
.summary { max-width: 48em; overflow-wrap: anywhere; font-size: 12px; }
.trend { width: auto; }
.trend td { border: none; padding: 2px 12px 2px 0; text-align: left; }
time { white-space: nowrap; }
.cells { display: flex; gap: 2px; flex-wrap: wrap; }
.cell { display: inline-block; width: 14px; height: 14px; border-radius: 2px; }
.cell.valid { background: var(--valid); } .cell.invalid { background: var(--invalid); } .cell.unknown { background: var(--unknown); }
.cell.unexpected { outline: 2px solid #000; outline-offset: -2px; }
.legend .cell { vertical-align: middle; margin: 0 4px 0 12px; }
`;

const SCRIPT = `
(function () {
  var scenario = document.getElementById('f-scenario');
  var verdict = document.getElementById('f-verdict');
  var unexpected = document.getElementById('f-unexpected');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-testid="run"]'));
  var shown = document.getElementById('shown');
  function apply() {
    var n = 0;
    rows.forEach(function (tr) {
      var ok = (!scenario.value || tr.getAttribute('data-scenario') === scenario.value) &&
        (!verdict.value || tr.getAttribute('data-verdict') === verdict.value) &&
        (!unexpected.checked || tr.getAttribute('data-as-expected') === 'false');
      tr.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = String(n);
  }
  scenario.addEventListener('change', apply);
  verdict.addEventListener('change', apply);
  unexpected.addEventListener('change', apply);
  Array.prototype.forEach.call(document.querySelectorAll('[data-filter-scenario]'), function (el) {
    el.addEventListener('click', function (ev) { ev.preventDefault(); scenario.value = el.getAttribute('data-filter-scenario'); apply(); });
  });
  apply();
  window.faultlineIndex = { runs: rows.length, apply: apply };
})();
`;

/** The index page for these runs; hrefs are relative to the store directory. */
export function renderSuiteIndex(runs: readonly IndexedRun[], opts: { title?: string; generatedAt?: Date } = {}): string {
  const title = opts.title ?? 'faultline runs';
  const ordered = [...runs].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0)); // newest first
  const scenarios = [...new Set(runs.map((r) => r.scenario))].sort();
  const unexpected = runs.filter((r) => !r.asExpected).length;

  const trendRows = scenarios.map((s) => {
    const rs = runs.filter((r) => r.scenario === s).sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0)); // oldest → newest
    const cells = rs
      .map((r) => {
        const tip = `${r.startedAt} seed ${r.seed}: ${verdictWord(r.valid)} (expected ${r.expected.toUpperCase()})${r.asExpected ? '' : ' — NOT as expected'}`;
        const cls = `cell ${verdictClass(r.valid)}${r.asExpected ? '' : ' unexpected'}`;
        const attrs = `class="${cls}" title="${esc(tip)}" data-verdict="${verdictClass(r.valid)}" data-as-expected="${r.asExpected}"`;
        return r.reportHref ? `<a ${attrs} href="${esc(r.reportHref)}"></a>` : `<span ${attrs}></span>`;
      })
      .join('');
    const bad = rs.filter((r) => !r.asExpected).length;
    return `<tr data-testid="trend-row" data-scenario="${esc(s)}"><td><a href="#" data-filter-scenario="${esc(s)}">${esc(s)}</a></td><td class="muted num">${rs.length} run${rs.length === 1 ? '' : 's'}${bad ? `, <span class="as-expected no">${bad} unexpected</span>` : ''}</td><td><div class="cells">${cells}</div></td></tr>`;
  });

  const rows = ordered.map((r) => {
    const v = verdictClass(r.valid);
    const report = r.reportHref ? `<a href="${esc(r.reportHref)}">report</a>` : `<span class="muted" title="${esc(r.reportError ?? 'no report.html')}">no report</span>`;
    const checkerTip = (r.checkers ?? []).map((c) => `${c.checker}: ${verdictWord(c.valid)}`).join('\n');
    return [
      `<tr data-testid="run" data-scenario="${esc(r.scenario)}" data-seed="${r.seed}" data-verdict="${v}" data-as-expected="${r.asExpected}"${r.asExpected ? '' : ' class="unexpected"'}>`,
      `<td>${esc(r.scenario)}</td>`,
      `<td class="num">${Number.isFinite(r.seed) ? r.seed : '?'}</td>`,
      `<td><time datetime="${esc(r.startedAt)}">${esc(r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time></td>`,
      `<td class="num">${duration(r.durationMs)}</td>`,
      `<td class="num">${r.ops}</td>`,
      `<td class="verdict ${v}" title="${esc(checkerTip)}">${verdictWord(r.valid)}${r.interrupted ? ' <span class="muted">(interrupted)</span>' : ''}</td>`,
      `<td>${r.expected.toUpperCase()}</td>`,
      `<td class="as-expected ${r.asExpected ? 'yes' : 'no'}">${r.asExpected ? 'yes' : 'no'}</td>`,
      `<td>${report}</td>`,
      `<td class="summary">${esc(r.anomalySummary)}</td>`,
      '</tr>',
    ].join('');
  });

  const options = (values: string[]) => values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<div class="totals" data-testid="totals"><span>${runs.length} run${runs.length === 1 ? '' : 's'}</span><span>${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}</span><span class="as-expected ${unexpected ? 'no' : 'yes'}">${unexpected} not as expected</span>${opts.generatedAt ? `<span class="muted">generated ${esc(opts.generatedAt.toISOString())}</span>` : ''}</div>
</header>
<main data-testid="index">
<h2>Trend per scenario <span class="muted legend">(oldest → newest)<span class="cell valid"></span>valid<span class="cell invalid"></span>invalid<span class="cell unknown"></span>unknown<span class="cell valid unexpected"></span>not as expected</span></h2>
<table class="trend" data-testid="trend"><tbody>
${trendRows.join('\n')}
</tbody></table>
<h2>Runs</h2>
<div class="filters">
<label>Scenario <select id="f-scenario" data-testid="filter-scenario"><option value="">all</option>${options(scenarios)}</select></label>
<label>Verdict <select id="f-verdict" data-testid="filter-verdict"><option value="">all</option><option value="valid">VALID</option><option value="invalid">INVALID</option><option value="unknown">UNKNOWN</option></select></label>
<label><input type="checkbox" id="f-unexpected" data-testid="filter-unexpected"> not as expected only</label>
<span class="muted"><span id="shown">${runs.length}</span> shown</span>
</div>
<table data-testid="runs">
<thead><tr><th>Scenario</th><th>Seed</th><th>Started</th><th>Duration</th><th>Ops</th><th>Verdict</th><th>Expected</th><th>As expected</th><th>Report</th><th>Anomalies</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

async function defaultWriteReport(runDir: string): Promise<string> {
  const { writeRunReport } = await import('./html/render.js');
  return writeRunReport(runDir);
}

/**
 * Finds every run under `storeDir`, renders report.html for runs that have none, and writes `<store>/index.html`
 * and `<store>/junit.xml` (newest run per scenario×seed). A report that fails to render is logged and listed
 * without a link; it does not stop the index.
 */
export async function writeSuiteIndex(storeDir: string, opts: SuiteIndexOptions = {}): Promise<{ indexPath: string; junitPath: string; runs: RunSummary[] }> {
  const store = resolve(storeDir);
  const log = opts.log ?? (() => {});
  const writeReport = opts.writeReport ?? defaultWriteReport;
  const runs: IndexedRun[] = [];
  for (const dir of findRunDirs(store)) {
    let summary: RunSummary;
    try {
      summary = await summarizeRun(dir);
    } catch (err) {
      log(`skipping ${dir}: ${(err as Error).message}`);
      continue;
    }
    const run: IndexedRun = { ...summary };
    const reportFile = join(dir, 'report.html');
    if (!existsSync(reportFile) && opts.generateReports !== false) {
      try {
        await writeReport(dir);
      } catch (err) {
        run.reportError = `report.html could not be rendered: ${(err as Error).message}`;
        log(`${dir}: ${run.reportError}`);
      }
    }
    if (existsSync(reportFile)) run.reportHref = href(store, reportFile);
    runs.push(run);
  }
  const indexPath = join(store, 'index.html');
  const junitPath = join(store, 'junit.xml');
  await writeFile(indexPath, renderSuiteIndex(runs, { generatedAt: new Date() }));
  await writeFile(junitPath, runJUnit(latestPerScenarioSeed(runs)));
  return { indexPath, junitPath, runs };
}

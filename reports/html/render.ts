/**
 * `report.html`: one self-contained page per run (issue 6, part 1). Header with verdicts and the reproduce
 * command, a canvas timeline (lanes per process, fault windows shaded), uPlot latency/throughput charts, the
 * anomalies with drawings, and links to the raw files. Everything is inline: the page makes no network requests.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Anomaly, CheckResult, Verdict } from '../../checkers/result.js';
import { loadRunData, type ReportData, type ReportMeta } from '../run-data.js';
import { REPORT_CLIENT_JS } from './client.js';
import { embed, pairOps, scriptJson, type Paired } from './embed.js';
import { REPORT_CSS } from './styles.js';
import { cycleSvg, esc, linearizabilitySvg } from './svg.js';

/** Anomalies rendered per checker; the rest are counted ("and N more"). */
export const MAX_ANOMALIES_PER_CHECKER = 50;
const MAX_EXPLANATION_CHARS = 20_000;

let uplotCache: { js: string; css: string } | undefined;

/** uPlot's IIFE bundle and CSS, read once from node_modules. The banner's URL loses its scheme (no URLs in the page). */
function uplotAssets(): { js: string; css: string } {
  if (!uplotCache) {
    const req = createRequire(import.meta.url);
    const jsPath = req.resolve('uplot/dist/uPlot.iife.min.js');
    const cssPath = req.resolve('uplot/dist/uPlot.min.css');
    const js = readFileSync(jsPath, 'utf8').replace(/https?:\/\//g, '').replace(/<\/script/gi, '<\\/script');
    const css = readFileSync(cssPath, 'utf8').replace(/https?:\/\//g, '').replace(/<\/style/gi, '<\\/style');
    uplotCache = { js, css };
  }
  return uplotCache;
}

function verdictText(v: Verdict | undefined): string {
  return v === true ? 'valid' : v === false ? 'invalid' : v === 'unknown' ? 'unknown' : 'not checked';
}

function vClass(v: Verdict | undefined): string {
  return v === true ? 'v-true' : v === false ? 'v-false' : 'v-unknown';
}

function expectationNote(v: Verdict, expect: 'valid' | 'invalid' | undefined): string {
  if (expect === undefined) return '';
  if (v === 'unknown') return ` <span class="mismatch">(expected ${expect}; undecided)</span>`;
  const ok = (v === true) === (expect === 'valid');
  return ` <span class="${ok ? 'match' : 'mismatch'}">(expected ${expect} ${ok ? '✓' : '✗'})</span>`;
}

function fmtDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function header(meta: ReportMeta, results: CheckResult[], data: ReportData, paired: Paired): string {
  const title = meta.scenario ?? 'history';
  const clientOps = data.ops.filter((o) => typeof o.process === 'number' && o.type === 'invoke').length;
  const counts = { ok: 0, fail: 0, info: 0 };
  for (const b of paired.bars) if (typeof b.invoke?.process === 'number') counts[b.type === 0 ? 'ok' : b.type === 1 ? 'fail' : 'info']++;
  const rows: [string, string][] = [
    ['scenario', meta.scenario !== undefined ? esc(meta.scenario) + (meta.ref && meta.ref !== meta.scenario ? ` <span class="hint">(${esc(meta.ref)})</span>` : '') : '<span class="hint">unknown (bare history)</span>'],
    ['seed', meta.seed !== undefined ? esc(meta.seed) : '—'],
    ['started', meta.startedAt ? esc(meta.startedAt) : '—'],
    ['duration', esc(fmtDuration(meta.durationMs))],
    ['ops', `${clientOps} client ops (ok ${counts.ok}, fail ${counts.fail}, info ${counts.info}); ${data.ops.length} history records; ${paired.faults.filter((f) => f.label !== 'heal').length} fault windows`],
    ['backend', meta.backends.length ? meta.backends.map((b) => esc([b.kind, b.topology, b.nodes !== undefined ? `${b.nodes} nodes` : undefined, b.version ? `v${b.version}` : undefined].filter(Boolean).join(' ')) + (b.versionSource ? ` <span class="hint">(version from ${esc(b.versionSource)})</span>` : '')).join('; ') : '—'],
  ];
  if (meta.workload || meta.client) rows.push(['workload', esc([meta.workload, meta.client ? `client ${meta.client}` : undefined].filter(Boolean).join(', '))]);
  if (meta.finishedAt) rows.push(['finished', esc(meta.finishedAt)]);
  if (meta.exitCode !== undefined) rows.push(['exit code', esc(meta.exitCode) + (meta.interrupted ? ' (interrupted)' : '')]);
  if (meta.stats && typeof meta.stats.opsPerSec === 'number') rows.push(['throughput', `${esc(meta.stats.opsPerSec)} ops/s`]);

  const overall: Verdict | undefined = meta.valid;
  const verdicts = results
    .map((r, i) => `<li data-testid="verdict" data-checker="${esc(r.checker)}" data-valid="${esc(String(r.valid))}"><b>${esc(r.checker)}</b>: <span class="${vClass(r.valid)}">${verdictText(r.valid)}</span>${expectationNote(r.valid, meta.checkerExpect[i] ?? meta.expected)}${r.anomalies.length ? ` <span class="hint">${r.anomalies.length} anomal${r.anomalies.length === 1 ? 'y' : 'ies'}</span>` : ''}</li>`)
    .join('');
  const reproduce = meta.reproduce
    ? `<div class="repro"><span>reproduce:</span><code data-testid="reproduce">${esc(meta.reproduce)}</code></div>`
    : `<div class="repro"><span>reproduce:</span><code data-testid="reproduce" class="hint">unknown: this report was built from a bare history, not a run directory</code></div>`;
  return `<header data-testid="header">
<h1>${esc(title)}${meta.seed !== undefined ? ` <span class="hint">seed ${esc(meta.seed)}</span>` : ''}
 <span class="overall ${vClass(overall)}" data-testid="overall">${overall === undefined ? 'not checked' : verdictText(overall).toUpperCase()}</span>${meta.expected ? expectationNote(overall ?? 'unknown', meta.expected) : ''}</h1>
${meta.description ? `<div class="desc">${esc(meta.description)}</div>` : ''}
<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>
<ul class="verdicts">${verdicts || '<li data-testid="verdict" data-valid="none">no checker results</li>'}</ul>
${meta.error ? `<div class="err">${esc(meta.error)}</div>` : ''}
${reproduce}
</header>`;
}

function anomalyItem(a: Anomaly, paired: Paired): string {
  const ops = Array.isArray(a.ops) ? a.ops.filter((x) => typeof x === 'number' && Number.isFinite(x)) : [];
  let figure = '';
  if (Array.isArray(a.prefix)) figure = linearizabilitySvg(a, paired);
  else if (Array.isArray(a.steps)) figure = cycleSvg(a, paired);
  let text = typeof a.explanation === 'string' ? a.explanation : String(a.explanation ?? '');
  if (text.length > MAX_EXPLANATION_CHARS) text = `${text.slice(0, MAX_EXPLANATION_CHARS)}\n… (${text.length - MAX_EXPLANATION_CHARS} more characters in results.json)`;
  const shownOps = ops.length > 20 ? `${ops.slice(0, 20).join(', ')} … (${ops.length} ops)` : ops.join(', ');
  return `<li data-testid="anomaly" data-type="${esc(a.type)}" data-ops="${ops.join(',')}" title="click to highlight these ops on the timeline">
<span class="atype">${esc(a.type)}</span> <span class="aops">ops ${esc(shownOps || 'none')}</span>
${figure ? `<div class="figure">${figure}</div>` : ''}<pre>${esc(text)}</pre></li>`;
}

function anomaliesSection(results: CheckResult[], meta: ReportMeta, paired: Paired): string {
  if (results.length === 0) return '<p class="hint">No checker results.</p>';
  return results
    .map((r, i) => {
      const list = r.anomalies.slice(0, MAX_ANOMALIES_PER_CHECKER).map((a) => anomalyItem(a, paired)).join('\n');
      const more = r.anomalies.length > MAX_ANOMALIES_PER_CHECKER ? `<p class="more">… and ${r.anomalies.length - MAX_ANOMALIES_PER_CHECKER} more anomalies (see results.json)</p>` : '';
      const expl = r.explanation && !(r.valid === false && r.anomalies.length > 0) ? `<pre class="explain">${esc(r.explanation.slice(0, MAX_EXPLANATION_CHARS))}</pre>` : '';
      return `<section class="checker" data-checker="${esc(r.checker)}"><h3>${esc(r.checker)}: <span class="${vClass(r.valid)}">${verdictText(r.valid)}</span>${expectationNote(r.valid, meta.checkerExpect[i] ?? meta.expected)}</h3>
${expl}${r.anomalies.length ? `<ol class="anomalies">${list}</ol>${more}` : '<p class="hint">No anomalies.</p>'}</section>`;
    })
    .join('\n');
}

function filesSection(meta: ReportMeta): string {
  if (meta.files.length === 0) return '<p class="hint">No run directory: this report was built from a history and checker results only.</p>';
  return `<ul class="files">${meta.files.map((f) => `<li><a href="${esc(f.href)}">${esc(f.label)}</a> <span class="hint">${esc(fmtBytes(f.bytes))}</span></li>`).join('')}</ul>`;
}

/** The whole self-contained HTML document for one run. */
export function renderReport(data: ReportData): string {
  const { meta, ops, results } = data;
  const paired = pairOps(ops);
  const embedded = embed(paired, ops.length);
  const { js: uplotJs, css: uplotCss } = uplotAssets();
  const title = `${meta.scenario ?? 'history'}${meta.seed !== undefined ? ` seed ${meta.seed}` : ''}: ${verdictText(meta.valid)}`;
  const faultLabels = [...new Set(paired.faults.map((f) => f.label))];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>faultline: ${esc(title)}</title>
<style>${uplotCss}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main data-testid="report">
${header(meta, results, data, paired)}
<h2>Timeline</h2>
<div class="legend"><span><i class="sw" style="background:#2e9d4f"></i>ok</span><span><i class="sw" style="background:#d33a3a"></i>fail</span><span><i class="sw" style="background:#e0a21b"></i>info / never completed</span>${faultLabels.length ? `<span>shaded: fault windows (${esc(faultLabels.join(', '))})</span>` : '<span>no faults</span>'}<span class="hint">wheel: zoom · drag: pan · double-click: reset · hover: op details</span> <button id="clear-highlight" type="button">clear highlight</button></div>
<div id="timeline-wrap"><canvas data-testid="timeline" aria-label="timeline: one lane per process"></canvas></div>
${embedded.unit === 'index' ? '<p class="hint">The history has no times: the timeline uses record positions, and latency charts are omitted.</p>' : ''}
<h2>Latency and throughput</h2>
<div id="charts" class="charts">${embedded.unit === 'index' ? '<p class="nocharts">No times in the history.</p>' : embedded.latency.t.length === 0 ? '<p class="nocharts">No completed client ops.</p>' : ''}</div>
<h2>Anomalies</h2>
<p class="hint">Click an anomaly to highlight its ops on the timeline.</p>
${anomaliesSection(results, meta, paired)}
<h2>Files</h2>
${filesSection(meta)}
</main>
<div id="tip" role="tooltip"></div>
<script type="application/json" id="report-data">${scriptJson(embedded)}</script>
<script>${uplotJs}</script>
<script>${REPORT_CLIENT_JS.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

/** Loads a run directory, renders it and writes `<runDir>/report.html`; returns the file's path. */
export async function writeRunReport(runDir: string): Promise<string> {
  const data = await loadRunData(runDir);
  const file = join(runDir, 'report.html');
  await writeFile(file, renderReport(data));
  return file;
}

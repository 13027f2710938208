/** The report's stylesheet (inlined into report.html; system fonts only, so nothing is fetched). */
export const REPORT_CSS = `
:root { --ok: #2e9d4f; --fail: #d33a3a; --info: #e0a21b; --fg: #1d232a; --muted: #66707a; --line: #e2e6ea; --bg: #fff; --panel: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1400px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
header { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
header .desc { color: var(--muted); margin-bottom: 8px; }
header dl { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; margin: 8px 0; }
header dt { color: var(--muted); }
header dd { margin: 0; }
.overall { font-weight: 700; font-size: 15px; padding: 2px 8px; border-radius: 4px; display: inline-block; }
.v-true { background: #dff3e4; color: #1b5e20; }
.v-false { background: #fbe0e0; color: #8e1b1b; }
.v-unknown { background: #fdf1d3; color: #7a5200; }
.verdicts { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px; }
.verdicts li { border: 1px solid var(--line); border-radius: 4px; padding: 3px 8px; background: #fff; }
.match { color: var(--ok); font-weight: 600; }
.mismatch { color: var(--fail); font-weight: 600; }
.repro { display: flex; gap: 8px; align-items: center; margin-top: 6px; }
.repro code { background: #fff; border: 1px solid var(--line); padding: 4px 8px; border-radius: 4px; user-select: all; overflow-x: auto; white-space: nowrap; flex: 1; }
.err { color: var(--fail); white-space: pre-wrap; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; color: var(--muted); font-size: 12px; margin: 4px 0; }
.sw { display: inline-block; width: 12px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
#timeline-wrap { position: relative; border: 1px solid var(--line); border-radius: 4px; }
canvas[data-testid="timeline"] { display: block; width: 100%; cursor: grab; touch-action: none; }
canvas[data-testid="timeline"].dragging { cursor: grabbing; }
#tip { position: fixed; pointer-events: none; z-index: 10; max-width: 560px; background: #1d232a; color: #f3f5f7; padding: 6px 8px; border-radius: 4px; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all; display: none; }
.hint { color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 12px; }
.chart { min-height: 60px; }
.checker { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.checker > pre.explain { background: var(--panel); padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; max-height: 20em; overflow: auto; }
ol.anomalies { padding-left: 22px; }
li[data-testid="anomaly"] { margin: 8px 0; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; cursor: pointer; }
li[data-testid="anomaly"]:hover { background: #f3f7fd; }
li[data-testid="anomaly"].selected { border-color: #1565c0; background: #eaf2fd; }
li[data-testid="anomaly"] pre { white-space: pre-wrap; margin: 4px 0; max-height: 24em; overflow: auto; }
.atype { font-weight: 700; }
.aops { color: var(--muted); font-size: 12px; }
.more { color: var(--muted); font-style: italic; }
svg text { font: 11px system-ui, sans-serif; }
svg .svg-cap { fill: #66707a; font-size: 11px; }
svg .svg-lane { fill: #333; }
svg .svg-op { fill: #222; font: 10.5px ui-monospace, Menlo, Consolas, monospace; }
svg .svg-ord { fill: #fff; font-size: 9px; font-weight: 700; }
svg .svg-node { font-weight: 700; }
svg .svg-edge { font-size: 11px; font-weight: 600; }
.figure { overflow-x: auto; margin: 6px 0; }
.files { columns: 3 220px; padding-left: 18px; }
.nocharts { color: var(--muted); }
`;

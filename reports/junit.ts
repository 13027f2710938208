/**
 * JUnit XML for CI: one `<testcase classname="<scenario>" name="seed <n>">` per scenario×seed, failing (with the
 * anomaly summary as its message) when the run's outcome was not what the scenario expects, erroring when the
 * harness itself failed or the run never finished.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { summarizeRun, type RunSummary } from './summary.js';

export { summarizeRun, type RunSummary } from './summary.js';

/** Characters XML 1.0 cannot carry at all (C0 controls except tab, LF, CR; lone surrogates; U+FFFE/U+FFFF). */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an XML attribute value or element content; drops characters XML cannot represent. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Element content keeps its line breaks readable. */
function escapeText(text: string): string {
  return escapeXml(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
const verdictWord = (v: RunSummary['valid']) => (v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN');

/** Whether a run counts as a JUnit error (the harness failed or never finished) rather than a failure. */
function isError(r: RunSummary): boolean {
  return r.exitCode === 70 || r.exitCode === 130;
}

function testcase(r: RunSummary): string {
  const attrs = `classname="${escapeXml(r.scenario)}" name="${escapeXml(`seed ${r.seed}`)}" time="${seconds(r.durationMs)}"`;
  const out = [
    `verdict: ${verdictWord(r.valid)} (expected ${r.expected.toUpperCase()})`,
    `ops: ${r.ops}`,
    `run directory: ${r.runDir}`,
    ...(r.reproduce ? [`reproduce: ${r.reproduce}`] : []),
  ].join('\n');
  const systemOut = `      <system-out>${escapeText(out)}</system-out>\n`;
  if (r.asExpected) return `    <testcase ${attrs}>\n${systemOut}    </testcase>\n`;
  const tag = isError(r) ? 'error' : 'failure';
  const type = isError(r) ? 'harness' : r.valid === 'unknown' ? 'unknown' : r.valid === true ? 'unexpected-valid' : 'unexpected-invalid';
  const message = r.anomalySummary || `${verdictWord(r.valid)} but expected ${r.expected.toUpperCase()}`;
  const body = [
    `${verdictWord(r.valid)}, expected ${r.expected.toUpperCase()} (exit code ${r.exitCode})`,
    message,
    ...(r.reproduce ? [`reproduce: ${r.reproduce}`] : []),
  ].join('\n');
  return `    <testcase ${attrs}>\n      <${tag} message="${escapeXml(message)}" type="${type}">${escapeText(body)}</${tag}>\n${systemOut}    </testcase>\n`;
}

/**
 * A JUnit XML document for these runs: one `<testsuite>` per scenario (in first-seen order) inside `<testsuites>`,
 * one test case per run given (pass the newest run per scenario×seed for a suite).
 */
export function runJUnit(results: RunSummary[]): string {
  const suites = new Map<string, RunSummary[]>();
  for (const r of results) suites.set(r.scenario, [...(suites.get(r.scenario) ?? []), r]);
  const count = (rs: RunSummary[]) => ({
    tests: rs.length,
    failures: rs.filter((r) => !r.asExpected && !isError(r)).length,
    errors: rs.filter((r) => !r.asExpected && isError(r)).length,
    time: seconds(rs.reduce((s, r) => s + r.durationMs, 0)),
  });
  const all = count(results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<testsuites name="faultline" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" time="${all.time}">\n`,
  ];
  for (const [scenario, rs] of suites) {
    const c = count(rs);
    const first = rs.map((r) => r.startedAt).sort()[0] ?? '';
    lines.push(`  <testsuite name="${escapeXml(scenario)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="0" time="${c.time}"${first ? ` timestamp="${escapeXml(first.replace(/Z$/, ''))}"` : ''}>\n`);
    for (const r of rs) lines.push(testcase(r));
    lines.push('  </testsuite>\n');
  }
  lines.push('</testsuites>\n');
  return lines.join('');
}

/** Writes `<runDir>/junit.xml` for one run; returns its path. */
export async function writeRunJUnit(runDir: string): Promise<string> {
  const summary = await summarizeRun(runDir);
  const file = join(resolve(runDir), 'junit.xml');
  await writeFile(file, runJUnit([summary]));
  return file;
}

/**
 * JUnit XML: well-formed (parsed back with a small XML reader), one test case per run with classname = scenario and
 * name = "seed <n>", a failure carrying the anomaly summary exactly when the outcome was not as expected, and
 * special characters escaped.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeXml, runJUnit, summarizeRun, writeRunJUnit, type RunSummary } from '../../../reports/junit.js';
import { anomalySummary } from '../../../reports/summary.js';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescape(s: string): string {
  assert.doesNotMatch(s, /[<]/, `raw < in ${JSON.stringify(s)}`);
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);|&/gi, (m, e: string | undefined) => {
    if (e === undefined) throw new Error(`bare & in ${JSON.stringify(s)}`);
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown entity &${e};`);
    return v;
  });
}

/** A strict little XML reader: balanced tags, quoted attributes, no bare & or < in text; throws otherwise. */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (decl) i = decl[0].length;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const tagRe = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/y;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt === -1 ? xml.slice(i) : xml.slice(i, lt);
    if (text) stack.at(-1)!.text += unescape(text);
    if (lt === -1) break;
    tagRe.lastIndex = lt;
    const m = tagRe.exec(xml);
    if (!m) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 80)}`);
    i = tagRe.lastIndex;
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`</${name}> closes <${open.name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = unescape(a[2]!);
    }
    const el: XmlElement = { name: name!, attrs, children: [], text: '' };
    stack.at(-1)!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  assert.equal(root.children.length, 1, 'one root element');
  return root.children[0]!;
}

const all = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];

function summary(over: Partial<RunSummary>): RunSummary {
  return {
    scenario: 'register-redis',
    seed: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1500,
    ops: 100,
    valid: true,
    expected: 'valid',
    exitCode: 0,
    asExpected: true,
    anomalySummary: '',
    runDir: '/tmp/store/register-redis/2026-01-01T00-00-00.000Z-seed1',
    ...over,
  };
}

describe('reports/junit', () => {
  it('writes one well-formed test case per run, grouped into a suite per scenario, time in seconds', () => {
    const xml = runJUnit([
      summary({ seed: 1, durationMs: 1500 }),
      summary({ seed: 2, durationMs: 2250, valid: false, exitCode: 1, asExpected: false, anomalySummary: 'nonlinearizable ×1: read 3 could not be placed' }),
      summary({ scenario: 'lock-redis-naive', seed: 7, valid: false, expected: 'invalid', durationMs: 10_000 }),
    ]);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n/);
    const root = parseXml(xml);
    assert.equal(root.name, 'testsuites');
    assert.deepEqual([root.attrs.tests, root.attrs.failures, root.attrs.errors, root.attrs.time], ['3', '1', '0', '13.750']);
    const suites = all(root, 'testsuite');
    assert.deepEqual(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures]), [['register-redis', '2', '1'], ['lock-redis-naive', '1', '0']]);
    const cases = all(root, 'testcase');
    assert.deepEqual(cases.map((c) => [c.attrs.classname, c.attrs.name, c.attrs.time]), [
      ['register-redis', 'seed 1', '1.500'],
      ['register-redis', 'seed 2', '2.250'],
      ['lock-redis-naive', 'seed 7', '10.000'],
    ]);
    const failures = all(root, 'failure');
    assert.equal(failures.length, 1, 'only the unexpected outcome fails (an expected INVALID passes)');
    assert.equal(failures[0]!.attrs.message, 'nonlinearizable ×1: read 3 could not be placed');
    assert.equal(failures[0]!.attrs.type, 'unexpected-invalid');
    assert.equal(all(cases[0]!, 'failure').length, 0);
    assert.equal(all(cases[1]!, 'failure').length, 1);
  });

  it('escapes < & " and friends in attributes and text, and drops characters XML cannot hold', () => {
    const nasty = `a<b & "c" 'd' > e\nline two\u0001`;
    const xml = runJUnit([summary({ scenario: 'x<&"y', valid: false, exitCode: 1, asExpected: false, anomalySummary: nasty, reproduce: 'npx faultline run "a&b"' })]);
    assert.doesNotMatch(xml, /\u0001/);
    const root = parseXml(xml);
    const tc = all(root, 'testcase')[0]!;
    assert.equal(tc.attrs.classname, 'x<&"y');
    assert.equal(all(root, 'testsuite')[0]!.attrs.name, 'x<&"y');
    const f = all(tc, 'failure')[0]!;
    assert.equal(f.attrs.message, `a<b & "c" 'd' > e\nline two\uFFFD`, 'newlines survive in attributes as &#10;');
    assert.match(f.text, /a<b & "c"/);
    assert.match(all(tc, 'system-out')[0]!.text, /reproduce: npx faultline run "a&b"/);
    assert.equal(escapeXml('<&>"\''), '&lt;&amp;&gt;&quot;&apos;');
  });

  it('reports harness failures as errors and unknown verdicts as failures', () => {
    const root = parseXml(
      runJUnit([
        summary({ seed: 1, valid: 'unknown', exitCode: 2, asExpected: false, anomalySummary: 'linearizable UNKNOWN: gave up' }),
        summary({ seed: 2, valid: 'unknown', exitCode: 70, asExpected: false, anomalySummary: 'backend: redis did not start' }),
      ]),
    );
    assert.deepEqual([root.attrs.failures, root.attrs.errors], ['1', '1']);
    assert.equal(all(root, 'failure')[0]!.attrs.type, 'unknown');
    assert.equal(all(root, 'error')[0]!.attrs.message, 'backend: redis did not start');
  });

  it('summarises anomalies as types ×counts with the first explanation', () => {
    const s = anomalySummary([
      { valid: false, checker: 'a', stats: {}, anomalies: [
        { type: 'G1c', ops: [1, 2], explanation: 'Let:\n  T1 = ...' },
        { type: 'G-single', ops: [3], explanation: 'second' },
        { type: 'G1c', ops: [4], explanation: 'third' },
      ] },
      { valid: true, checker: 'b', stats: {}, anomalies: [] },
    ]);
    assert.equal(s, 'G1c ×2, G-single ×1: Let:');
    assert.equal(anomalySummary([{ valid: 'unknown', checker: 'linearizable', stats: {}, anomalies: [], explanation: 'gave up after 10 s\nmore' }]), 'linearizable UNKNOWN: gave up after 10 s');
    assert.equal(anomalySummary([{ valid: true, checker: 'x', stats: {}, anomalies: [] }]), '');
  });

  describe('from a run directory', () => {
    let dir = '';
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'faultline-junit-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function writeRun(results: object | undefined): string {
      const run = join(dir, 'register-redis', '2026-03-04T05-06-07.890Z-seed42');
      mkdirSync(join(run, 'logs'), { recursive: true });
      writeFileSync(join(run, 'scenario.json'), JSON.stringify({ name: 'register-redis', seed: 42, expect: 'valid' }));
      writeFileSync(join(run, 'history.jsonl'), '{"index":0,"time":1,"process":0,"type":"invoke","f":"read","value":null}\n{"index":1,"time":2,"process":0,"type":"ok","f":"read","value":1}\n');
      if (results) writeFileSync(join(run, 'results.json'), JSON.stringify(results));
      return run;
    }

    it('writes <runDir>/junit.xml with the anomaly summary as the failure message', async () => {
      const run = writeRun({
        scenario: 'register-redis', seed: 42, valid: false, expected: 'valid', exitCode: 1, interrupted: false,
        stats: { invoked: 1, totalMs: 4321 }, reproduce: 'npx faultline run register-redis --seed 42',
        checkers: [{ valid: false, checker: 'linearizable', stats: {}, anomalies: [{ type: 'nonlinearizable', ops: [1], explanation: 'read of 1 <stale> & wrong' }] }],
      });
      const file = await writeRunJUnit(run);
      assert.equal(file, join(run, 'junit.xml'));
      const root = parseXml(readFileSync(file, 'utf8'));
      const tc = all(root, 'testcase')[0]!;
      assert.deepEqual([tc.attrs.classname, tc.attrs.name, tc.attrs.time], ['register-redis', 'seed 42', '4.321']);
      assert.equal(all(tc, 'failure')[0]!.attrs.message, 'nonlinearizable ×1: read of 1 <stale> & wrong');
      const s = await summarizeRun(run);
      assert.equal(s.startedAt, '2026-03-04T05:06:07.890Z', 'start time from the directory name when scenario.json has none');
      assert.equal(s.ops, 1);
    });

    it('treats a run without results.json as an error naming the missing file', async () => {
      const run = writeRun(undefined);
      const s = await summarizeRun(run);
      assert.equal(s.exitCode, 70);
      assert.equal(s.asExpected, false);
      assert.equal(s.ops, 1, 'invocations counted from the history');
      assert.match(s.anomalySummary, /results\.json is missing/);
      const root = parseXml(readFileSync(await writeRunJUnit(run), 'utf8'));
      assert.match(all(root, 'error')[0]!.attrs.message!, /results\.json is missing/);
    });

    it('rejects a directory that is not a run directory, saying what is missing and what a run directory holds', async () => {
      await assert.rejects(summarizeRun(join(dir, 'nope')), /does not exist.*holds scenario\.json, history\.jsonl, results\.json and logs/);
      mkdirSync(join(dir, 'empty'));
      await assert.rejects(writeRunJUnit(join(dir, 'empty')), /history\.jsonl is missing.*a run directory .* holds scenario\.json/);
    });
  });
});

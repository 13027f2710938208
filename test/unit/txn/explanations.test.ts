/**
 * Snapshot tests of the transactional checker's explanations (txn-anomalies.md §9): each expected text lives in
 * test/fixtures/txn/explanations/<name>.txt, written by hand from the reference's format — "Let:" binding T1..Tn to
 * their ops, "Then:" with one "Ti < Tj, because ..." line per edge, the last "However, ...: a contradiction!" — and
 * the per-edge wording (wr "T2 observed T1's append of 1 to key y", ww "T2 appended 2 after T1 appended 1 to key
 * x", rw "T1 did not observe T2's append of 8 to key 255", process "process 3 executed T1 before T2", realtime "T1
 * completed at index i, 0.123 seconds before the invocation of T2, at index j"). As in Elle's results, a cycle
 * starts with the edge its anomaly type hinges on: the (first) rw edge when there is one, else the wr edge of a
 * G1c, else a ww edge; session and realtime edges come after. Comparisons are exact; a mismatch prints a line diff.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistory } from '../../../checkers/history/io.js';
import type { Op } from '../../../checkers/history/types.js';
import { checkListAppend, type TxnCheckOptions, type TxnCheckResult } from '../../../checkers/txn/index.js';
import { concurrentTxns, invocationOf, parseMops, sequentialTxns, TxnScript, type HandMop } from '../../support/txn-sim.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', 'fixtures', 'txn');

/** The expected text of one snapshot (the file's final newline is not part of it). */
function expected(name: string): string {
  return readFileSync(join(FIXTURES, 'explanations', `${name}.txt`), 'utf8').replace(/\n$/, '');
}

/** A line-by-line diff: `-` expected, `+` actual, two spaces for equal lines. */
function lineDiff(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) out.push(`  ${a[i]}`);
    else {
      if (a[i] !== undefined) out.push(`- ${a[i]}`);
      if (b[i] !== undefined) out.push(`+ ${b[i]}`);
    }
  }
  return out.join('\n');
}

/** The explanation of the one anomaly of `type` must equal the snapshot `name` exactly. */
function assertSnapshot(r: TxnCheckResult, type: string, name: string): void {
  const of = r.anomalies.filter((a) => a.type === type);
  assert.equal(of.length, 1, `expected one ${type} anomaly, got types ${JSON.stringify(r.anomalyTypes)}`);
  const got = of[0]!.explanation;
  const want = expected(name);
  if (got !== want) assert.fail(`explanation of ${type} differs from ${name}.txt:\n${lineDiff(want, got)}`);
}

/** One op with an explicit (sparse) index, for histories that must match a given text's indices. */
function op(index: number, process: number, type: Op['type'], value: HandMop[]): Op {
  return { index, time: index * 1_000_000, process, type, f: 'txn', value };
}

/** invoke + ok records of a txn spec at given indices. */
function pairAt(invokeAt: number, okAt: number, process: number, spec: string): [Op, Op] {
  const mops = parseMops(spec);
  return [op(invokeAt, process, 'invoke', invocationOf(mops)), op(okAt, process, 'ok', mops)];
}

const serializable: TxnCheckOptions = { consistencyModels: ['serializable'] };

describe('txn explanations (snapshots)', () => {
  it('the diff helper marks exactly the differing lines', () => {
    assert.equal(lineDiff('a\nb\nc', 'a\nB\nc'), '  a\n- b\n+ B\n  c');
    assert.equal(lineDiff('a', 'a\nextra'), '  a\n+ extra');
  });

  it('write skew (G2-item): the reference example shape, with sparse indices and processes 3 and 4', () => {
    const [t0, t0ok] = pairAt(1, 2, 0, 'ax1ay1');
    const [t1] = pairAt(10, 12, 3, 'ax5ry1');
    const [t2] = pairAt(11, 15, 4, 'ay2rx1');
    const h = [t0, t0ok, t1, t2, op(12, 3, 'ok', parseMops('ax5ry1')), op(15, 4, 'ok', parseMops('ay2rx1'))];
    const r = checkListAppend(h, serializable);
    assert.deepEqual(r.anomalyTypes, ['G2-item']);
    assertSnapshot(r, 'G2-item', 'write-skew-g2-item');
  });

  it('G-single-item: the Elle paper example, three txns with integer keys and an unread append', async () => {
    const { ops } = await readHistory(join(FIXTURES, 'paper-example.edn'));
    const r = checkListAppend(ops, serializable);
    assertSnapshot(r, 'G-single-item', 'paper-example-g-single-item');
  });

  it('G-single-item from the initial state: an empty read anti-depends on the first append', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1ay1' },
      { name: 'T2', value: 'ax2ry' },
      { name: 'T3', value: 'rx12' },
    ]);
    assertSnapshot(checkListAppend(s.history, serializable), 'G-single-item', 'g-single-item-initial-state');
  });

  it('G1c: named from its wr edge', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1ry1' },
      { name: 'T2', value: 'ax2ay1' },
      { name: 'T3', value: 'rx12' },
    ]);
    assertSnapshot(checkListAppend(s.history, serializable), 'G1c', 'g1c');
  });

  it('G0: two ww edges in opposite orders on x and y', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1ay1' },
      { name: 'T2', value: 'ax2ay2' },
      { name: 'T3', value: 'rx12ry21' },
    ]);
    assertSnapshot(checkListAppend(s.history, serializable), 'G0', 'g0');
  });

  it('G-single-item-realtime: the gap between completion and invocation in seconds', () => {
    // 123 ms between consecutive records, so T1 (index 3) completes 0.123 s before T2 is invoked (index 4).
    const s = new TxnScript('list-append', 123_000_000).txn('T0', 0, 'ax1').txn('T1', 1, 'ax2').txn('T2', 2, 'rx1').txn('T3', 3, 'rx12');
    assertSnapshot(checkListAppend(s.history), 'G-single-item-realtime', 'g-single-item-realtime');
  });

  it('realtime with no gap, or no times, says "just before"', () => {
    const s = sequentialTxns([
      { name: 'T0', value: 'ax1' },
      { name: 'T1', value: 'ax2' },
      { name: 'T2', value: 'rx1' },
    ]);
    const untimed = s.history.map(({ time: _time, ...rest }) => rest as Op);
    const want = expected('g-single-item-realtime').replace('0.123 seconds before', 'just before');
    const got = checkListAppend(untimed).anomalies.find((a) => a.type === 'G-single-item-realtime')!.explanation;
    assert.equal(got, want, lineDiff(want, got));
  });

  it('G-single-item-process: the process that ran both txns', () => {
    const s = sequentialTxns([
      { name: 'T0', process: 0, value: 'ax1' },
      { name: 'T1', process: 1, value: 'ax2' },
      { name: 'T2', process: 1, value: 'rx1' },
      { name: 'T3', process: 2, value: 'rx12' },
    ]);
    assertSnapshot(checkListAppend(s.history, { consistencyModels: ['strong-session-snapshot-isolation'] }), 'G-single-item-process', 'g-single-item-process');
  });

  it('long values are abbreviated in the Let: block', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = new TxnScript()
      .txn('T0', 0, hundred.map((v): HandMop => ['append', 'x', v]))
      .invoke('T1', 1, [['r', 'x', hundred], ['append', 'y', 1]])
      .invoke('T2', 2, [['append', 'x', 101], ['r', 'y', []]])
      .complete('T1')
      .complete('T2');
    const r = checkListAppend(s.history, serializable);
    assertSnapshot(r, 'G2-item', 'g2-item-long-read');
    const line = r.anomalies[0]!.explanation.split('\n')[1]!;
    assert.ok(line.length < 120, `the Let: line should stay short, got ${line.length} characters`);
  });

  it('maxValueChars shortens the abbreviation further', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = new TxnScript()
      .txn('T0', 0, hundred.map((v): HandMop => ['append', 'x', v]))
      .invoke('T1', 1, [['r', 'x', hundred], ['append', 'y', 1]])
      .invoke('T2', 2, [['append', 'x', 101], ['r', 'y', []]])
      .complete('T1')
      .complete('T2');
    const short = checkListAppend(s.history, { ...serializable, maxValueChars: 24 }).anomalies[0]!.explanation;
    const long = checkListAppend(s.history, { ...serializable, maxValueChars: 400 }).anomalies[0]!.explanation;
    assert.ok(short.includes('(100 elements)'), short);
    assert.ok(short.split('\n')[1]!.length < expected('g2-item-long-read').split('\n')[1]!.length, short);
    assert.ok(long.includes(`[r x [${hundred.join(' ')}]]`), 'a large enough limit shows the whole read');
  });

  it('G1a: the failed writer and the committed reader', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1', type: 'fail' },
      { name: 'T2', value: 'rx1' },
    ]);
    assertSnapshot(checkListAppend(s.history), 'G1a', 'g1a');
  });

  it('incompatible-order: the longest read and the read that is not its prefix', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1' },
      { name: 'T2', value: 'ax2' },
      { name: 'T3', value: 'rx12' },
      { name: 'T4', value: 'rx2' },
    ]);
    assertSnapshot(checkListAppend(s.history), 'incompatible-order', 'incompatible-order');
  });

  it('steps carry the explanation as data, one per edge, in cycle order', () => {
    const s = concurrentTxns([
      { name: 'T1', value: 'ax1ry1' },
      { name: 'T2', value: 'ax2ay1' },
      { name: 'T3', value: 'rx12' },
    ]);
    const g1c = checkListAppend(s.history, serializable).anomalies.find((a) => a.type === 'G1c')!;
    assert.deepEqual(
      g1c.steps!.map(({ kind, key, value, value2, aMop, bMop }) => ({ kind, key, value, value2, aMop, bMop })),
      [
        { kind: 'wr', key: 'y', value: 1, value2: undefined, aMop: 1, bMop: 1 },
        { kind: 'ww', key: 'x', value: 1, value2: 2, aMop: 0, bMop: 0 },
      ],
    );
    assert.deepEqual(g1c.steps!.map((st) => st.text), ["T2 observed T1's append of 1 to key y", 'T1 appended 2 after T2 appended 1 to key x']);
  });
});

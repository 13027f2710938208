/**
 * List-append inference: exact edges (named by the history index of their txns), exact anomalies and witnesses,
 * the explanation of each edge, unknowns for input we cannot use, the Elle paper's Figure 2 history, and a property:
 * histories recorded against a serial in-memory list store have no anomalies and only forward edges.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op } from '../../../checkers/history/types.js';
import { inferListAppend } from '../../../checkers/txn/list-append.js';
import { H, inferWith } from './infer-helpers.js';
import type { Mop, TxnCheckOptions } from '../../../checkers/txn/types.js';

const ap = (k: unknown, v: unknown): Mop => ['append', k, v];
const r = (k: unknown, v: unknown): Mop => ['r', k, v];

const infer = (ops: readonly Op[], opts?: TxnCheckOptions) => inferWith(inferListAppend, ops, opts);

const sortEdges = (xs: string[]) => [...xs].sort();

describe('txn: list-append inference', () => {
  it('Elle paper Figure 2: the hand-derived edges, including the G-single cycle T7 -rw-> T3 -wr-> T5 -ww-> T7', () => {
    const h = new H();
    const t1 = h.txn(0, [ap(253, 1), ap(253, 3), ap(253, 4), ap(255, 2), ap(255, 3), ap(255, 4), ap(255, 5), ap(256, 1), ap(256, 2)]);
    const t3 = h.txn(0, [ap(255, 8), r(253, [1, 3, 4])]);
    const t5 = h.txn(0, [ap(256, 4), r(255, [2, 3, 4, 5, 8]), r(256, [1, 2, 4]), r(253, [1, 3, 4])]);
    const t7 = h.txn(0, [ap(250, 10), r(253, [1, 3, 4]), r(255, [2, 3, 4, 5]), ap(256, 3)]);
    assert.deepEqual([t1, t3, t5, t7], [1, 3, 5, 7]);
    const x = infer(h.ops);
    // Orders: 253 [1 3 4] (all T1); 255 [2 3 4 5 8] (T1 x4, then T3); 256 [1 2 4] (T1, T1, T5) + unread 3 (T7); 250 [10].
    assert.deepEqual(
      x.edges,
      sortEdges([
        '1->3 ww', // 255: T1's 5, then T3's 8
        '1->5 ww', // 256: T1's 2, then T5's 4
        '5->7 ww', // 256: T7's 3 was never read, so it follows the last observed element, T5's 4
        '5->7 rw', // ... and T5 read 256 up to that last observed element, so it did not see T7's 3 either
        '1->3 wr', // T3 read 253 [1 3 4]
        '3->5 wr', // T5 read 255 ending in T3's 8
        '1->5 wr', // T5 read 253 [1 3 4]
        '1->7 wr', // T7 read 253 [1 3 4] and 255 [2 3 4 5]
        '7->3 rw', // T7 read 255 up to 5 and missed T3's 8
      ]),
    );
    assert.deepEqual(x.anomalies, []);
    assert.deepEqual(x.unknowns, []);
    assert.deepEqual(x.explain(7, 3, 'rw'), { kind: 'rw', key: 255, value: 5, value2: 8, aMop: 2, bMop: 0, text: "%a did not observe %b's append of 8 to key 255" });
    assert.deepEqual(x.explain(3, 5, 'wr'), { kind: 'wr', key: 255, value: 8, aMop: 0, bMop: 1, text: "%b observed %a's append of 8 to key 255" });
    assert.deepEqual(x.explain(5, 7, 'ww'), {
      kind: 'ww',
      key: 256,
      value: 4,
      value2: 3,
      aMop: 0,
      bMop: 3,
      text: '%b appended 3 after %a appended 4 to key 256 (no read observed 3, so it came after 4, the last element observed)',
    });
    assert.deepEqual(x.explain(1, 3, 'ww'), { kind: 'ww', key: 255, value: 5, value2: 8, aMop: 6, bMop: 0, text: '%b appended 8 after %a appended 5 to key 255' });
    // Not edges: no explanation.
    assert.equal(x.explain(3, 7, 'rw'), undefined);
    assert.equal(x.explain(5, 1, 'ww'), undefined);
  });

  it('ww between consecutive elements, wr from the last element, rw to the next element (and from an empty read)', () => {
    const h = new H();
    const a = h.txn(0, [ap('x', 1)]);
    const b = h.txn(1, [r('x', [1]), ap('x', 2)]);
    const c = h.txn(2, [r('x', [1, 2])]);
    const d = h.txn(3, [r('x', [])]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, sortEdges([`${a}->${b} ww`, `${a}->${b} wr`, `${b}->${c} wr`, `${d}->${a} rw`]));
    assert.deepEqual(x.anomalies, []);
    assert.deepEqual(x.explain(a, b, 'ww'), { kind: 'ww', key: 'x', value: 1, value2: 2, aMop: 0, bMop: 1, text: '%b appended 2 after %a appended 1 to key x' });
    assert.deepEqual(x.explain(a, b, 'wr'), { kind: 'wr', key: 'x', value: 1, aMop: 0, bMop: 0, text: "%b observed %a's append of 1 to key x" });
    assert.deepEqual(x.explain(d, a, 'rw'), { kind: 'rw', key: 'x', value2: 1, aMop: 0, bMop: 0, text: "%a observed the initial (empty) state of key x, which %b's append of 1 ended" });
    assert.equal(x.explain(b, c, 'rw'), undefined);
  });

  it('appends nobody read come after the last observed element: ww from its writer, rw from its readers', () => {
    const h = new H();
    const t1 = h.txn(0, [ap('x', 1)]);
    const t2 = h.txn(1, [r('x', [1])]);
    const t3 = h.txn(2, [ap('x', 2)]);
    const t4 = h.txn(3, [ap('x', 3)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} wr`, `${t1}->${t3} ww`, `${t1}->${t4} ww`, `${t2}->${t3} rw`, `${t2}->${t4} rw`]));
    assert.equal(x.explain(t2, t4, 'rw')!.text, "%a did not observe %b's append of 3 to key x");
    assert.deepEqual(x.anomalies, []);
  });

  it('a key with a single append and no read has the order [x]; with several unread appends only empty reads order them', () => {
    const h = new H();
    const e1 = h.txn(0, [r('x', [])]);
    const w1 = h.txn(1, [ap('x', 1)]);
    const e2 = h.txn(2, [r('y', [])]);
    const w2 = h.txn(3, [ap('y', 1)]);
    const w3 = h.txn(4, [ap('y', 2)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, sortEdges([`${e1}->${w1} rw`, `${e2}->${w2} rw`, `${e2}->${w3} rw`]));
  });

  it('edges go into info txns but never out of them; keys 1 and "1" are different', () => {
    const h = new H();
    const t1 = h.txn(0, [ap('x', 1)]);
    const t2 = h.txn(1, [ap('x', 2)], 'info');
    const t3 = h.txn(2, [r('x', [1, 2])]);
    const t4 = h.txn(3, [r('x', [1])]);
    const n1 = h.txn(4, [ap(1, 'a')]);
    const s1 = h.txn(5, [ap('1', 'b')]);
    const rn = h.txn(6, [r(1, ['a']), r('1', ['b'])]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} ww`, `${t1}->${t4} wr`, `${t4}->${t2} rw`, `${n1}->${rn} wr`, `${s1}->${rn} wr`]));
    assert.equal(x.explain(t2, t3, 'wr'), undefined); // out of an info txn: not an edge
    assert.equal(x.explain(s1, rn, 'wr')!.text, "%b observed %a's append of b to key 1");
    assert.deepEqual(x.explain(s1, rn, 'wr')!.bMop, 1);
    assert.deepEqual(x.anomalies, []);
  });

  it('G1a: a committed read of a failed append (and no edge out of the failed txn)', () => {
    const h = new H();
    const f = h.txn(0, [ap('x', 1)], 'fail');
    const rd = h.txn(1, [r('x', [1])]);
    const rd2 = h.txn(2, [r('x', [1])]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [['G1a', [f, rd, rd2]]]);
    const a = x.inf.anomalies[0]!;
    assert.deepEqual([a.key, a.element, a.writer, a.readers, a.readCount], ['x', 1, f, [rd, rd2], 2]);
    assert.equal(a.explanation, `Key x: element 1 was appended by txn ${f}, which failed (aborted), yet committed txn ${rd} and txn ${rd2} read it (aborted read).`);
    assert.deepEqual(x.edges, []);
  });

  it('dirty-update: a committed append right after a failed one (info appends between are undecided)', () => {
    const h = new H();
    const f = h.txn(0, [ap('x', 1)], 'fail');
    const i = h.txn(1, [ap('x', 2)], 'info');
    const ok = h.txn(2, [ap('x', 3)]);
    const rd = h.txn(3, [r('x', [1, 2, 3])]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [
      ['G1a', [f, rd]],
      ['dirty-update', [f, ok]],
    ]);
    const du = x.inf.anomalies[1]!;
    assert.deepEqual(du.elements, [1, 2, 3]);
    assert.match(du.explanation, new RegExp(`^Key x: txn ${ok} committed an append of 3 on top of 1, which txn ${f} appended and then failed \\(aborted\\), with 1 undecided \\(info\\) append between them`));
    assert.deepEqual(x.edges, sortEdges([`${ok}->${rd} wr`]));
    void i;
  });

  it('G1b: reading a version that ends in an intermediate append of another txn', () => {
    const h = new H();
    const w = h.txn(0, [ap('x', 1), ap('x', 2)]);
    const rd = h.txn(1, [r('x', [1])]);
    const own = h.txn(2, [ap('y', 1), r('y', [1]), ap('y', 2)]); // reading one's own intermediate append is fine
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [['G1b', [w, rd]]]);
    assert.match(x.inf.anomalies[0]!.explanation, new RegExp(`txn ${w} appended 1 and then appended to the key again in the same transaction, yet txn ${rd} read a version ending in 1`));
    assert.deepEqual(x.edges, sortEdges([`${w}->${rd} wr`, `${rd}->${w} rw`]));
    void own;
  });

  it('internal: a read that contradicts the same txn\'s earlier appends or reads', () => {
    const h = new H();
    const a = h.txn(0, [ap('x', 5), r('x', [])]);
    const w = h.txn(1, [ap('y', 1)]);
    const b = h.txn(2, [r('y', []), r('y', [1])]);
    const fine = h.txn(3, [r('y', [1]), ap('y', 2), r('y', [1, 2])]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [
      ['internal', [a]],
      ['internal', [b]],
    ]);
    assert.deepEqual(x.inf.anomalies[0]!.expected, ['...', 5]);
    assert.deepEqual(x.inf.anomalies[1]!.expected, []);
    assert.equal(x.inf.anomalies[0]!.explanation, `txn ${a} read key x = [] at micro-op 1, but its own earlier micro-ops on that key imply a list ending in [5]: a transaction must observe its own reads and appends.`);
    void w;
    void fine;
  });

  it('future-read: a read that already contains what the txn appends later', () => {
    const h = new H();
    const t = h.txn(0, [r('x', [1]), ap('x', 1)]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [['future-read', [t]]]);
    assert.equal(x.inf.anomalies[0]!.element, 1);
    assert.equal(x.inf.anomalies[0]!.explanation, `txn ${t} read key x = [1] at micro-op 0, which includes 1, an element it only appends later, at micro-op 1.`);
  });

  it('duplicate-elements and incompatible-order', () => {
    const h = new H();
    const a1 = h.txn(0, [ap('x', 1)]);
    const a2 = h.txn(0, [ap('x', 2)]);
    const a3 = h.txn(0, [ap('x', 3)]);
    const long = h.txn(1, [r('x', [1, 2, 3])]);
    const bad = h.txn(2, [r('x', [1, 3])]);
    const d1 = h.txn(3, [ap('y', 7)]);
    const dr = h.txn(4, [r('y', [7, 7])]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [
      ['incompatible-order', [long, bad]],
      ['duplicate-elements', [dr]],
    ]);
    const io = x.inf.anomalies[0]!;
    assert.deepEqual(io.longest, { op: long, mop: 0, value: [1, 2, 3] });
    assert.equal(io.explanation, `Key x: reads disagree about the order of appends. The longest read, by txn ${long}, is [1 2 3], but txn ${bad} read [1 3], which is not a prefix of it. Appends to one list must be seen in one order.`);
    assert.equal(x.inf.anomalies[1]!.element, 7);
    // The incompatible read still has a writer for its last element (wr) but no rw edge.
    assert.deepEqual(x.edges, sortEdges([`${a1}->${a2} ww`, `${a2}->${a3} ww`, `${a3}->${long} wr`, `${a3}->${bad} wr`, `${d1}->${dr} wr`]));
  });

  it('lost-update: two committed txns read the same version and both appended', () => {
    const h = new H();
    const t1 = h.txn(0, [r('x', []), ap('x', 1)]);
    const t2 = h.txn(1, [r('x', []), ap('x', 2)]);
    const t3 = h.txn(2, [r('x', [1, 2])]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [['lost-update', [t1, t2]]]);
    assert.deepEqual(x.inf.anomalies[0]!.value, []);
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} ww`, `${t2}->${t1} rw`, `${t2}->${t3} wr`]));
  });

  it('unknowns: duplicate appends leave the key out; w micro-ops, non-list reads and reads of unwritten elements', () => {
    const h = new H();
    const d1 = h.txn(0, [ap('x', 1)]);
    const d2 = h.txn(1, [ap('x', 1)]);
    h.txn(2, [r('x', [1])]);
    const y1 = h.txn(3, [ap('y', 1)]);
    const y2 = h.txn(4, [r('y', [1])]);
    const w = h.txn(5, [ap('z', 1), ['w', 'z', 2]]);
    const nl = h.txn(6, [r('z', 5)]);
    const g = h.txn(7, [r('q', [9])]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, [`${y1}->${y2} wr`]);
    assert.deepEqual(x.anomalies, []);
    assert.deepEqual(x.unknowns.map((u) => [u.type, u.ops]), [
      ['unknown-mop', [w]],
      ['malformed-txn', [nl]],
      ['duplicate-appends', [d1]],
      ['garbage-read', [g]],
    ]);
    const [um, mt, da, gr] = x.unknowns;
    assert.equal(um!.explanation, `txn ${w}: micro-op 1 is [w z 2], but list-append transactions may only append and r (read); the transaction is left out.`);
    assert.equal(mt!.explanation, `txn ${nl}: micro-op 0 read 5 from key z: expected a list of appended elements (or nil for an empty key); the transaction is left out.`);
    assert.deepEqual(da!.writers, [d1, d2]);
    assert.match(da!.explanation, /^Key x: element 1 was appended 2 times \(txn 1 and txn 3\)\. Appended elements must be unique per key/);
    assert.match(gr!.explanation, /^Key q: txn 15 read element 9, which no transaction in the history appended/);
  });

  it('a nil read in an ok txn is the empty list; reads in info/fail txns are ignored', () => {
    const h = new H();
    const a = h.txn(0, [ap('x', 1)]);
    const nilRead = h.txn(1, [r('x', null)]);
    h.invoke(2, [r('x', null)]);
    h.complete(2, 'info', [r('x', null)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, [`${nilRead}->${a} rw`]);
    assert.deepEqual(x.anomalies, []);
  });

  it('explainEdge rejects ids out of range and edges that were not emitted', () => {
    const h = new H();
    h.txn(0, [ap('x', 1)]);
    h.txn(1, [r('x', [1])]);
    const x = infer(h.ops);
    assert.equal(x.inf.explainEdge(0, 5, 'wr'), undefined);
    assert.equal(x.inf.explainEdge(-1, 0, 'wr'), undefined);
    assert.equal(x.inf.explainEdge(1, 0, 'wr'), undefined);
    assert.equal(x.inf.explainEdge(0, 1, 'rw'), undefined);
    assert.ok(x.inf.explainEdge(0, 1, 'wr'));
  });

  it('abbreviates long values in explanation texts (maxValueChars)', () => {
    const h = new H();
    const n = 60;
    for (let i = 0; i < n; i++) h.txn(0, [ap('x', i)]);
    const rd = h.txn(1, [r('x', Array.from({ length: 30 }, (_, i) => i))]);
    const last = h.txn(2, [r('x', Array.from({ length: n }, (_, i) => i)), r('x', [0, 1])]);
    const x = infer(h.ops, { maxValueChars: 30 });
    const internal = x.inf.anomalies.find((a) => a.type === 'internal')!;
    assert.match(internal.explanation, /read key x = \[0 1\] at micro-op 1, but its own earlier micro-ops on that key imply \[0 1 .*\.\.\. .*59 \(60 elements\)\]:/);
    assert.ok(internal.explanation.length < 200, internal.explanation);
    // rd saw 0..29: it did not observe the append of 30.
    assert.equal(x.explain(rd, 61, 'rw')!.text, "%a did not observe %b's append of 30 to key x");
    assert.equal(x.explain(59 * 2 + 1, last, 'wr')!.text, "%b observed %a's append of 59 to key x");
  });

  it('property: histories from a serial list store have no anomalies and only forward edges', () => {
    const mopArb = fc.oneof(
      fc.record({ f: fc.constant('append' as const), k: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ f: fc.constant('r' as const), k: fc.integer({ min: 0, max: 2 }) }),
    );
    const txnArb = fc.record({
      worker: fc.integer({ min: 0, max: 2 }),
      mops: fc.array(mopArb, { minLength: 1, maxLength: 4 }),
      outcome: fc.constantFrom('ok', 'ok', 'ok', 'fail', 'info'),
      applied: fc.boolean(),
    });
    const seen = { ww: 0, wr: 0, rw: 0 };
    fc.assert(
      fc.property(fc.array(txnArb, { maxLength: 40 }), fc.boolean(), (spec, dangling) => {
        const h = new H();
        const state = new Map<number, number[]>();
        const procs = [0, 1, 2];
        let nextProc = 3;
        let next = 1;
        const run = (s: (typeof spec)[number], complete: boolean) => {
          const work = new Map<number, number[]>();
          const get = (k: number) => work.get(k) ?? state.get(k) ?? [];
          const mops: Mop[] = s.mops.map(({ f, k }) => {
            if (f === 'append') {
              const v = next++;
              work.set(k, [...get(k), v]);
              return ap(k, v);
            }
            return r(k, [...get(k)]);
          });
          const p = procs[s.worker]!;
          h.invoke(p, mops);
          const commits = s.outcome === 'ok' || (s.outcome === 'info' && s.applied);
          if (commits) for (const [k, v] of work) state.set(k, v);
          if (!complete) return;
          h.complete(p, s.outcome as 'ok' | 'fail' | 'info', mops);
          if (s.outcome === 'info') procs[s.worker] = nextProc++;
        };
        spec.forEach((s) => run(s, true));
        if (dangling) run({ worker: 0, mops: [{ f: 'append', k: 0 }], outcome: 'info', applied: true }, false);
        const x = infer(h.ops);
        assert.deepEqual(x.anomalies, []);
        assert.deepEqual(x.unknowns, []);
        for (const [a, b, kind] of x.ids) {
          seen[kind as 'ww' | 'wr' | 'rw']++;
          const ta = x.txns[a]!;
          const tb = x.txns[b]!;
          assert.equal(ta.type, 'ok', `edge out of a ${ta.type} txn`);
          assert.notEqual(tb.type, 'fail', 'edge into a failed txn');
          if (tb.type === 'ok') assert.ok(a < b, `${kind} edge ${ta.index} -> ${tb.index} goes backwards in the serial order`);
          assert.ok(x.inf.explainEdge(a, b, kind as 'ww' | 'wr' | 'rw'), `no explanation for ${kind} ${ta.index} -> ${tb.index}`);
        }
      }),
      { seed: 0x1a99e4d, numRuns: 300 },
    );
    // The property is not vacuous: every kind of edge was produced and checked many times.
    assert.ok(seen.ww > 100 && seen.wr > 100 && seen.rw > 100, JSON.stringify(seen));
  });
});

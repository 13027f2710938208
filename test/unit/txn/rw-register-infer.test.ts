/**
 * rw-register inference: the version-order sources (initial nil always; wfr, sequential and linearizable keys on
 * request), exact edges and anomalies, cyclic-versions when a source contradicts the others, explanations, unknowns,
 * and a property: histories recorded against a serial register store have no anomalies and only forward edges.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op } from '../../../checkers/history/types.js';
import { inferRwRegister } from '../../../checkers/txn/rw-register.js';
import { H, inferWith } from './infer-helpers.js';
import type { Mop, TxnCheckOptions } from '../../../checkers/txn/types.js';

const w = (k: unknown, v: unknown): Mop => ['w', k, v];
const r = (k: unknown, v: unknown): Mop => ['r', k, v];

const infer = (ops: readonly Op[], opts?: TxnCheckOptions) => inferWith(inferRwRegister, ops, opts);

const sortEdges = (xs: string[]) => [...xs].sort();

describe('txn: rw-register inference', () => {
  it('by default only nil precedes everything: wr from writers, rw from nil readers to every writer', () => {
    const h = new H();
    const t1 = h.txn(0, [w('x', 1)]);
    const t2 = h.txn(1, [r('x', 1)]);
    const t3 = h.txn(2, [r('x', null)]);
    const t4 = h.txn(3, [w('x', 2)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} wr`, `${t3}->${t1} rw`, `${t3}->${t4} rw`]));
    assert.deepEqual(x.anomalies, []);
    assert.deepEqual(x.unknowns, []);
    assert.deepEqual(x.explain(t1, t2, 'wr'), { kind: 'wr', key: 'x', value: 1, aMop: 0, bMop: 0, text: '%b read key x = 1, which %a wrote' });
    assert.deepEqual(x.explain(t3, t4, 'rw'), { kind: 'rw', key: 'x', value: null, value2: 2, aMop: 0, bMop: 0, text: '%a read key x = nil, and %b set it to the next version, 2' });
    assert.equal(x.explain(t1, t4, 'ww'), undefined); // 1 and 2 are unordered
  });

  it('wfrKeys: a read then a write of the same key orders the two versions', () => {
    const h = new H();
    const t1 = h.txn(0, [w('x', 1)]);
    const t2 = h.txn(1, [r('x', 1), w('x', 2)]);
    const t3 = h.txn(2, [r('x', 1)]);
    assert.deepEqual(infer(h.ops).edges, sortEdges([`${t1}->${t2} wr`, `${t1}->${t3} wr`]));
    const x = infer(h.ops, { wfrKeys: true });
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} wr`, `${t1}->${t3} wr`, `${t1}->${t2} ww`, `${t3}->${t2} rw`]));
    assert.deepEqual(x.explain(t1, t2, 'ww'), { kind: 'ww', key: 'x', value: 1, value2: 2, aMop: 0, bMop: 1, text: '%a set key x to 1, and %b set it to 2 after' });
    assert.deepEqual(x.explain(t3, t2, 'rw'), { kind: 'rw', key: 'x', value: 1, value2: 2, aMop: 0, bMop: 1, text: '%a read key x = 1, and %b set it to the next version, 2' });
  });

  it('sequentialKeys: each process sees versions in order', () => {
    const h = new H();
    const t1 = h.txn(0, [w('x', 1)]);
    const t2 = h.txn(0, [w('x', 2)]);
    const t3 = h.txn(1, [r('x', 1)]);
    assert.deepEqual(infer(h.ops).edges, [`${t1}->${t3} wr`]);
    const x = infer(h.ops, { sequentialKeys: true });
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t3} wr`, `${t1}->${t2} ww`, `${t3}->${t2} rw`]));
  });

  it('linearizableKeys: a txn that completed before another began has the earlier version (reduced realtime order)', () => {
    const h = new H();
    h.invoke(0, [w('x', 1)]);
    const t1 = h.complete(0, 'ok', [w('x', 1)]);
    h.invoke(1, [w('x', 2)]);
    h.invoke(2, [w('x', 3)]);
    const t2 = h.complete(1, 'ok', [w('x', 2)]);
    const t3 = h.complete(2, 'ok', [w('x', 3)]);
    const t4 = h.txn(3, [r('x', 3)]);
    assert.deepEqual(infer(h.ops).edges, [`${t3}->${t4} wr`]);
    const x = infer(h.ops, { linearizableKeys: true });
    // 1 < 2 and 1 < 3 (t1 done before both began); 2 < 3 (t2 done before t4, which saw 3); t2 and t3 overlap.
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t2} ww`, `${t1}->${t3} ww`, `${t2}->${t3} ww`, `${t3}->${t4} wr`]));
    assert.deepEqual(x.anomalies, []);
  });

  it('cyclic-versions: a source that contradicts the merged order is dropped for that key', () => {
    const h = new H();
    const t1 = h.txn(0, [w('x', 1)]);
    const t3 = h.txn(1, [r('x', 1), w('x', 2)]); // wfr: 1 < 2
    const t5 = h.txn(2, [r('x', 2)]);
    const t7 = h.txn(2, [r('x', 1)]); // process 2 saw 2 and then 1: sequential says 2 < 1
    const x = infer(h.ops, { wfrKeys: true, sequentialKeys: true });
    assert.deepEqual(x.anomalies, [['cyclic-versions', [t3, t5, t7]]]);
    const a = x.inf.anomalies[0]!;
    assert.deepEqual([a.key, a.source, a.cycle], ['x', 'sequential-keys', [1, 2]]);
    assert.equal(
      a.explanation,
      `Key x: the version order from sequential-keys contradicts what was already known, so that source was not used for this key. ` +
        `The versions would form a cycle: 1 < 2 (txn ${t3} read the first and then wrote the second); 2 < 1 (process 2 ran txn ${t5} before txn ${t7}).`,
    );
    // Only the wfr order is used.
    assert.deepEqual(x.edges, sortEdges([`${t1}->${t3} ww`, `${t1}->${t3} wr`, `${t3}->${t5} wr`, `${t1}->${t7} wr`, `${t7}->${t3} rw`]));
  });

  it('edges go into info txns (their writes count) but never out of them', () => {
    const h = new H();
    const t1 = h.txn(0, [w('x', 1)], 'info');
    const t2 = h.txn(1, [r('x', 1)]);
    const t3 = h.txn(2, [r('x', null)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, [`${t3}->${t1} rw`]);
    assert.equal(x.explain(t1, t2, 'wr'), undefined);
  });

  it('G1a and G1b: reads of failed and of intermediate writes', () => {
    const h = new H();
    const f = h.txn(0, [w('x', 1)], 'fail');
    const ra = h.txn(1, [r('x', 1)]);
    const im = h.txn(2, [w('y', 1), r('y', 1), w('y', 2)]); // its own intermediate read is fine
    const rb = h.txn(3, [r('y', 1)]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [
      ['G1a', [f, ra]],
      ['G1b', [im, rb]],
    ]);
    assert.equal(x.inf.anomalies[0]!.explanation, `Key x: 1 was written by txn ${f}, which failed (aborted), yet committed txn ${ra} read it (aborted read).`);
    assert.equal(
      x.inf.anomalies[1]!.explanation,
      `Key y: txn ${im} wrote 1 and then overwrote it in the same transaction, yet txn ${rb} read 1: an intermediate state of another transaction (intermediate read).`,
    );
    assert.deepEqual(x.edges, []);
  });

  it('internal, future-read and lost-update', () => {
    const h = new H();
    const w2 = h.txn(0, [w('x', 2)]);
    const i1 = h.txn(1, [w('x', 1), r('x', 2)]);
    const i2 = h.txn(2, [r('y', null), r('y', 5)]);
    const y5 = h.txn(3, [w('y', 5)]);
    const fr = h.txn(4, [r('z', 7), w('z', 7)]);
    const l1 = h.txn(5, [r('q', null), w('q', 1)]);
    const l2 = h.txn(6, [r('q', null), w('q', 2)]);
    const x = infer(h.ops);
    assert.deepEqual(x.anomalies, [
      ['lost-update', [l1, l2]],
      ['internal', [i1]],
      ['internal', [i2]],
      ['future-read', [fr]],
    ]);
    const [lu, in1, in2, fu] = x.inf.anomalies;
    assert.equal(lu!.value, null);
    assert.equal(in1!.expected, 1);
    assert.equal(in2!.expected, null);
    assert.equal(in1!.explanation, `txn ${i1} read key x = 2 at micro-op 1, but its own earlier micro-ops on that key imply 1: a transaction must observe its own reads and writes.`);
    assert.equal(fu!.explanation, `txn ${fr} read key z = 7 at micro-op 0, a value it only writes later, at micro-op 1.`);
    assert.match(lu!.explanation, new RegExp(`^Key q: txn ${l1} and txn ${l2} all read nil and then wrote the key`));
    assert.ok(x.edges.includes(`${l1}->${l2} rw`) && x.edges.includes(`${l2}->${l1} rw`));
    void w2;
    void y5;
  });

  it('unknowns: duplicate writes leave the key out; appends, nil writes and reads of unwritten values', () => {
    const h = new H();
    const d1 = h.txn(0, [w('x', 1)]);
    const d2 = h.txn(1, [w('x', 1)]);
    h.txn(2, [r('x', 1)]);
    const y1 = h.txn(3, [w('y', 1)]);
    const y2 = h.txn(4, [r('y', 1)]);
    const ap = h.txn(5, [['append', 'z', 1]]);
    const nw = h.txn(6, [w('z', null)]);
    const g = h.txn(7, [r('q', 9)]);
    const x = infer(h.ops);
    assert.deepEqual(x.edges, [`${y1}->${y2} wr`]);
    assert.deepEqual(x.anomalies, []);
    assert.deepEqual(x.unknowns.map((u) => [u.type, u.ops]), [
      ['unknown-mop', [ap]],
      ['malformed-txn', [nw]],
      ['duplicate-writes', [d1]],
      ['garbage-read', [g]],
    ]);
    assert.deepEqual(x.unknowns[2]!.writers, [d1, d2]);
    assert.equal(x.unknowns[1]!.explanation, `txn ${nw}: micro-op 0 writes nil to key z: every key starts as nil, so writes must be non-nil values; the transaction is left out.`);
  });

  it('property: histories from a serial register store have no anomalies and only forward edges, with every source on', () => {
    const mopArb = fc.record({ f: fc.constantFrom('w' as const, 'r' as const), k: fc.integer({ min: 0, max: 2 }) });
    const txnArb = fc.record({
      worker: fc.integer({ min: 0, max: 2 }),
      mops: fc.array(mopArb, { minLength: 1, maxLength: 4 }),
      outcome: fc.constantFrom('ok', 'ok', 'ok', 'fail', 'info'),
      applied: fc.boolean(),
    });
    const seen = { ww: 0, wr: 0, rw: 0 };
    fc.assert(
      fc.property(fc.array(txnArb, { maxLength: 40 }), (spec) => {
        const h = new H();
        const state = new Map<number, number>();
        const procs = [0, 1, 2];
        let nextProc = 3;
        let next = 1;
        for (const s of spec) {
          const work = new Map<number, number>();
          const mops: Mop[] = s.mops.map(({ f, k }) => {
            if (f === 'w') {
              const v = next++;
              work.set(k, v);
              return w(k, v);
            }
            return r(k, work.get(k) ?? state.get(k) ?? null);
          });
          const p = procs[s.worker]!;
          h.invoke(p, mops);
          if (s.outcome === 'ok' || (s.outcome === 'info' && s.applied)) for (const [k, v] of work) state.set(k, v);
          h.complete(p, s.outcome as 'ok' | 'fail' | 'info', mops);
          if (s.outcome === 'info') procs[s.worker] = nextProc++;
        }
        const x = infer(h.ops, { wfrKeys: true, sequentialKeys: true, linearizableKeys: true });
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
      { seed: 0x2e9, numRuns: 300 },
    );
    // The property is not vacuous: every kind of edge was produced and checked many times.
    assert.ok(seen.ww > 100 && seen.wr > 100 && seen.rw > 100, JSON.stringify(seen));
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_KINDS, GraphBuilder, edgeCounts, kindsBetween, outEdges, processOrder, realtimeOrder, type Csr } from '../../../checkers/txn/graph.js';
import { componentLabels, nontrivialComponents } from '../../../checkers/txn/scc.js';
import { EdgeKind, type EdgeKindName, type Txn } from '../../../checkers/txn/types.js';

/** A frozen graph of n nodes from [from, to, kind] triples. */
function graphOf(n: number, edges: [number, number, EdgeKindName][]): Csr {
  const b = new GraphBuilder(n);
  for (const [a, c, k] of edges) b.add(a, c, k);
  return b.freeze();
}

const sccs = (g: Csr, mask = ALL_KINDS) => nontrivialComponents(g, mask).map((c) => Array.from(c));

/** Minimal txns for session-order tests: [process, type, invokePos, completePos]. */
function txnsOf(specs: [number, Txn['type'], number, number?][]): Txn[] {
  return specs.map(([process, type, invokePos, completePos], id) => ({
    id,
    index: completePos ?? invokePos,
    invokeIndex: invokePos,
    process,
    type,
    mops: [],
    invokePos,
    completePos: completePos ?? Infinity,
  }));
}

describe('txn graph: builder and session orders', () => {
  it('freezes edges into CSR, merging duplicate pairs by ORing their kinds', () => {
    const g = graphOf(3, [
      [0, 1, 'ww'],
      [1, 2, 'wr'],
      [0, 1, 'rw'],
      [0, 2, 'ww'],
      [0, 1, 'ww'],
    ]);
    assert.deepEqual(outEdges(g, 0), [
      [1, EdgeKind.ww | EdgeKind.rw],
      [2, EdgeKind.ww],
    ]);
    assert.deepEqual(outEdges(g, 1), [[2, EdgeKind.wr]]);
    assert.deepEqual(outEdges(g, 2), []);
    assert.equal(kindsBetween(g, 0, 1), EdgeKind.ww | EdgeKind.rw);
    assert.equal(kindsBetween(g, 1, 0), 0);
    assert.deepEqual(edgeCounts(g), { ww: 2, wr: 1, rw: 1, process: 0, realtime: 0 });
  });

  it('merges duplicates of a high-degree node too, across builder chunks', () => {
    const n = 600; // chunk size is max(256, 2n) = 1200 edges: 3 * 599 edges span two chunks
    const b = new GraphBuilder(n);
    for (let t = 1; t < n; t++) b.add(0, t, 'ww');
    for (let t = 1; t < n; t++) b.add(0, t, 'wr');
    for (let t = n - 1; t >= 1; t--) b.add(0, t, 'rw');
    const g = b.freeze();
    assert.equal(g.offsets[1], n - 1);
    assert.ok(outEdges(g, 0).every(([, k]) => k === (EdgeKind.ww | EdgeKind.wr | EdgeKind.rw)));
    assert.deepEqual(
      outEdges(g, 0).map(([t]) => t),
      Array.from({ length: n - 1 }, (_, i) => i + 1),
    );
  });

  it('rejects self-edges, unknown kinds and ids outside the graph with a clear message', () => {
    const b = new GraphBuilder(2);
    assert.throws(() => b.add(1, 1, 'ww'), /self-edge on transaction 1/);
    assert.throws(() => b.add(0, 2, 'ww'), /outside 0\.\.1/);
    assert.throws(() => b.add(0, 1, 'bogus' as EdgeKindName), /unknown edge kind "bogus": expected one of ww, wr, rw, process, realtime/);
    b.freeze();
    assert.throws(() => b.add(0, 1, 'ww'), /after freeze/);
  });

  it('process order links each ok txn to its process\'s next ok or info txn, skipping failures', () => {
    const txns = txnsOf([
      [1, 'ok', 0, 1],
      [2, 'ok', 2, 3],
      [1, 'fail', 4, 5],
      [1, 'ok', 6, 7],
      [2, 'info', 8, 9],
      [1, 'info', 10],
    ]);
    assert.deepEqual(Array.from(processOrder(txns)), [3, 4, -1, 5, -1, -1]);
  });

  it('realtime order is the transitive reduction of "completed before invoked", never out of info or fail', () => {
    // positions: A [0,1], B [2,3], C [4,7] overlaps D [5,6], E [8,9] after both; F info invoked at 10.
    const txns = txnsOf([
      [1, 'ok', 0, 1], // A
      [1, 'ok', 2, 3], // B
      [1, 'ok', 4, 7], // C
      [2, 'ok', 5, 6], // D
      [2, 'ok', 8, 9], // E
      [3, 'info', 10], // F
    ]);
    const rt = realtimeOrder(txns);
    const g = new GraphBuilder(txns.length).freeze({ realtime: rt });
    const succ = (v: number) => outEdges(g, v, EdgeKind.realtime).map(([w]) => w);
    assert.deepEqual(succ(0), [1]); // A -> B only: A -> C is implied through B
    assert.deepEqual(succ(1), [2, 3]); // B -> C and D, which overlap
    assert.deepEqual(succ(2), [4]);
    assert.deepEqual(succ(3), [4]);
    assert.deepEqual(succ(4), [5]); // into the info txn
    assert.deepEqual(succ(5), []); // never out of info
    assert.equal(rt.edges, 6);
  });

  it('realtime ranges reach exactly the pairs "ok txn completed before the other was invoked" (property)', () => {
    const arb = fc.array(fc.record({ gap: fc.nat(3), length: fc.integer({ min: 1, max: 8 }), type: fc.constantFrom<Txn['type']>('ok', 'ok', 'info', 'fail') }), { minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(arb, (specs) => {
        // Event times, then positions by time (invocations first on ties, as a history would order them).
        let t = 0;
        const events: { time: number; id: number; invoke: boolean }[] = [];
        specs.forEach((s, id) => {
          t += s.gap;
          events.push({ time: t, id, invoke: true });
          if (s.type !== 'info') events.push({ time: t + s.length - 0.5, id, invoke: false });
        });
        events.sort((a, b) => a.time - b.time || (a.invoke === b.invoke ? a.id - b.id : a.invoke ? -1 : 1));
        const txns: Txn[] = specs.map((s, id) => ({ id, index: 0, invokeIndex: 0, process: id, type: s.type, mops: [], invokePos: -1, completePos: Infinity }));
        events.forEach((e, pos) => (e.invoke ? (txns[e.id]!.invokePos = pos) : (txns[e.id]!.completePos = pos)));
        const g = new GraphBuilder(txns.length).freeze({ realtime: realtimeOrder(txns) });
        for (const a of txns) {
          const seen = new Set<number>();
          const todo = [a.id];
          while (todo.length) for (const [w] of outEdges(g, todo.pop()!, EdgeKind.realtime)) if (!seen.has(w)) todo.push(w), seen.add(w);
          for (const b of txns) {
            const expected = a.type === 'ok' && b.type !== 'fail' && a.completePos < b.invokePos;
            if (b.type !== 'fail') assert.equal(seen.has(b.id), expected, `${a.id} ~> ${b.id}`);
          }
        }
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('realtime ranges skip failed txns in the edge count and never start at them', () => {
    const txns = txnsOf([
      [1, 'ok', 0, 1],
      [2, 'fail', 2, 3],
      [3, 'ok', 4, 5],
    ]);
    const rt = realtimeOrder(txns);
    assert.deepEqual([rt.lo[1], rt.hi[1]], [0, 0]);
    assert.equal(rt.edges, 1); // 0 -> 2 (the range 0 -> [1, 2] also covers the failed txn, which has no edges)
    const g = new GraphBuilder(3).freeze({ realtime: rt });
    assert.equal(kindsBetween(g, 0, 2), EdgeKind.realtime);
    assert.equal(kindsBetween(g, 2, 0), 0);
  });
});

describe('txn graph: strongly connected components (iterative Tarjan)', () => {
  it('finds no component in a chain', () => {
    const g = graphOf(5, [
      [0, 1, 'ww'],
      [1, 2, 'wr'],
      [2, 3, 'rw'],
      [3, 4, 'ww'],
    ]);
    assert.deepEqual(sccs(g), []);
    assert.equal(componentLabels(g, ALL_KINDS).count, 5);
  });

  it('finds a simple cycle and nothing else', () => {
    const g = graphOf(5, [
      [0, 1, 'ww'],
      [1, 2, 'ww'],
      [2, 0, 'wr'],
      [2, 3, 'ww'],
      [4, 0, 'rw'],
    ]);
    assert.deepEqual(sccs(g), [[0, 1, 2]]);
  });

  it('separates components joined by a one-way bridge and numbers them in reverse topological order', () => {
    // {0,1,2} -> {3,4} -> 5, and {6,7} -> {0,1,2}
    const g = graphOf(8, [
      [0, 1, 'ww'],
      [1, 2, 'ww'],
      [2, 0, 'ww'],
      [2, 3, 'wr'],
      [3, 4, 'rw'],
      [4, 3, 'rw'],
      [4, 5, 'ww'],
      [6, 7, 'ww'],
      [7, 6, 'wr'],
      [7, 1, 'ww'],
    ]);
    assert.deepEqual(
      sccs(g).map((c) => c.sort((a, b) => a - b)),
      [
        [3, 4],
        [0, 1, 2],
        [6, 7],
      ],
    );
    const { comp } = componentLabels(g, ALL_KINDS);
    // If X reaches Y then id(X) > id(Y).
    assert.ok(comp[6]! > comp[0]! && comp[0]! > comp[3]! && comp[3]! > comp[5]!);
  });

  it('finds nested cycles sharing nodes as one component', () => {
    const g = graphOf(6, [
      [0, 1, 'ww'],
      [1, 0, 'ww'],
      [1, 2, 'ww'],
      [2, 3, 'ww'],
      [3, 1, 'ww'],
      [3, 4, 'ww'],
      [4, 5, 'ww'],
      [5, 3, 'ww'],
    ]);
    assert.deepEqual(sccs(g), [[0, 1, 2, 3, 4, 5]]);
  });

  it('projects onto an edge-kind mask', () => {
    const g = graphOf(3, [
      [0, 1, 'ww'],
      [1, 2, 'wr'],
      [2, 0, 'rw'],
    ]);
    assert.deepEqual(sccs(g, EdgeKind.ww | EdgeKind.wr | EdgeKind.rw), [[0, 1, 2]]);
    assert.deepEqual(sccs(g, EdgeKind.ww | EdgeKind.wr), []);
  });

  it('follows the implicit process and realtime edges only when the mask asks for them', () => {
    // 0 and 1 are sequential on process 1 (0 before 1), and 1 wrote what 0 read: 1 -wr-> 0.
    const txns = txnsOf([
      [1, 'ok', 0, 1],
      [1, 'ok', 2, 3],
    ]);
    const b = new GraphBuilder(2);
    b.add(1, 0, 'wr');
    const g = b.freeze({ procNext: processOrder(txns), realtime: realtimeOrder(txns) });
    assert.deepEqual(sccs(g, EdgeKind.wr), []);
    assert.deepEqual(sccs(g, EdgeKind.wr | EdgeKind.process), [[0, 1]]);
    assert.deepEqual(sccs(g, EdgeKind.wr | EdgeKind.realtime), [[0, 1]]);
  });

  it('agrees with brute-force mutual reachability on random graphs, session edges included (property)', () => {
    const kinds: EdgeKindName[] = ['ww', 'wr', 'rw'];
    const arb = fc.integer({ min: 1, max: 9 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.nat(2)), { maxLength: 2 * n }),
        proc: fc.array(fc.integer({ min: -1, max: n - 1 }), { minLength: n, maxLength: n }),
        ranges: fc.array(fc.tuple(fc.nat(n), fc.nat(n)), { minLength: n, maxLength: n }),
        mask: fc.integer({ min: 1, max: 31 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ n, edges, proc, ranges, mask }) => {
        const b = new GraphBuilder(n);
        for (const [x, y, k] of edges) if (x !== y) b.add(x, y, kinds[k]!);
        const procNext = Int32Array.from(proc, (p, v) => (p === v ? -1 : p));
        const lo = Int32Array.from(ranges, ([x, y]) => Math.min(x, y));
        const hi = Int32Array.from(ranges, ([x, y]) => Math.max(x, y));
        for (let v = 0; v < n; v++) if (lo[v]! <= v && v < hi[v]!) hi[v] = lo[v]!; // no self-edges
        const g = b.freeze({ procNext, realtime: { lo, hi, edges: 0 } });
        const reach = Array.from({ length: n }, (_, a) => {
          const seen = new Set<number>([a]);
          const todo = [a];
          while (todo.length) for (const [w] of outEdges(g, todo.pop()!, mask)) if (!seen.has(w)) seen.add(w), todo.push(w);
          return seen;
        });
        const { comp } = componentLabels(g, mask);
        for (let a = 0; a < n; a++) {
          for (let c = 0; c < n; c++) {
            assert.equal(comp[a] === comp[c], reach[a]!.has(c) && reach[c]!.has(a), `${a} ~ ${c}`);
            if (comp[a] !== comp[c] && reach[a]!.has(c)) assert.ok(comp[a]! > comp[c]!, 'reverse topological numbering');
          }
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('handles a 1M-node cycle and a 1M-node chain without recursion', function () {
    this.timeout(60000);
    const n = 1_000_000;
    const b = new GraphBuilder(n);
    for (let v = 0; v < n - 1; v++) b.add(v, v + 1, 'ww');
    const chain = b.freeze();
    assert.equal(nontrivialComponents(chain, ALL_KINDS).length, 0);
    const b2 = new GraphBuilder(n);
    for (let v = 0; v < n; v++) b2.add(v, (v + 1) % n, 'ww');
    const ring = nontrivialComponents(b2.freeze(), ALL_KINDS);
    assert.equal(ring.length, 1);
    assert.equal(ring[0]!.length, n);
    assert.equal(ring[0]![n - 1], n - 1);
  });
});

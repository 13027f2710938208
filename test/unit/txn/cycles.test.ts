import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op } from '../../../checkers/history/types.js';
import { CYCLE_SPECS, classifyCycle, searchCycles, simpleCycles, type Cycle, type CycleSearchOptions, type CycleSearchResult } from '../../../checkers/txn/cycles.js';
import { ALL_KINDS, GraphBuilder, kindsBetween, type Csr, type RealtimeRanges } from '../../../checkers/txn/graph.js';
import { checkListAppend, checkRwRegister } from '../../../checkers/txn/index.js';
import { cycleExistsChecks, forbiddenAnomalies, impliedAnomalies } from '../../../checkers/txn/models.js';
import { nontrivialComponents } from '../../../checkers/txn/scc.js';
import { EdgeKind, type EdgeKindName } from '../../../checkers/txn/types.js';

type E = [number, number, EdgeKindName];

/** A graph from data edges plus optional process successors and realtime ranges ([lo, hi) per node). */
function graphOf(n: number, edges: E[], session: { proc?: [number, number][]; rt?: [number, number, number][] } = {}): Csr {
  const b = new GraphBuilder(n);
  for (const [a, c, k] of edges) if (k !== 'process' && k !== 'realtime') b.add(a, c, k);
  const procNext = session.proc ? new Int32Array(n).fill(-1) : undefined;
  for (const [a, c] of session.proc ?? []) procNext![a] = c;
  let realtime: RealtimeRanges | undefined;
  if (session.rt) {
    realtime = { lo: new Int32Array(n), hi: new Int32Array(n), edges: 0 };
    for (const [a, lo, hi] of session.rt) {
      realtime.lo[a] = lo;
      realtime.hi[a] = hi;
      realtime.edges += hi - lo;
    }
  }
  return b.freeze({ ...(procNext ? { procNext } : {}), ...(realtime ? { realtime } : {}) });
}

const ALL_TYPES = new Set(CYCLE_SPECS.map((s) => s.type));

function search(g: Csr, opts: Partial<CycleSearchOptions> = {}): CycleSearchResult {
  const sccs = nontrivialComponents(g, opts.mask ?? ALL_KINDS);
  return searchCycles(g, sccs, { searchTypes: ALL_TYPES, ...opts });
}

/** Every step is a real edge of its kind, nodes are distinct, and the cycle returns to its start. */
function assertValidCycle(g: Csr, c: Cycle): void {
  assert.equal(c.nodes.length, c.kinds.length);
  assert.ok(c.nodes.length >= 2);
  assert.equal(new Set(c.nodes).size, c.nodes.length, `simple cycle: ${c.nodes.join(' ')}`);
  for (let i = 0; i < c.nodes.length; i++) {
    const a = c.nodes[i]!;
    const b = c.nodes[(i + 1) % c.nodes.length]!;
    assert.ok(kindsBetween(g, a, b) & EdgeKind[c.kinds[i]!], `edge ${a} -${c.kinds[i]}-> ${b} exists`);
  }
}

const types = (r: CycleSearchResult) => r.cycles.map((c) => c.type);

describe('txn cycle search', () => {
  describe('classifyCycle', () => {
    const cases: [EdgeKindName[], string][] = [
      [['ww', 'ww'], 'G0'],
      [['ww', 'wr'], 'G1c'],
      [['wr', 'wr', 'ww'], 'G1c'],
      [['rw', 'wr'], 'G-single-item'],
      [['rw', 'ww', 'ww'], 'G-single-item'],
      [['rw', 'wr', 'rw', 'ww'], 'G-nonadjacent-item'],
      [['rw', 'rw'], 'G2-item'],
      [['rw', 'wr', 'ww', 'rw'], 'G2-item'], // the last rw is adjacent to the first, cyclically
      [['ww', 'process'], 'G0-process'],
      [['wr', 'process', 'realtime'], 'G1c-realtime'],
      [['rw', 'realtime'], 'G-single-item-realtime'],
      [['rw', 'process', 'rw', 'process'], 'G-nonadjacent-item-process'],
    ];
    for (const [kinds, type] of cases) it(`${kinds.join(' ')} → ${type}`, () => assert.equal(classifyCycle(kinds), type));
  });

  it('splits a closed walk that revisits a node into simple cycles', () => {
    const walk: Cycle = { nodes: [0, 1, 2, 1, 3], kinds: ['rw', 'ww', 'wr', 'rw', 'ww'] };
    assert.deepEqual(simpleCycles(walk), [
      { nodes: [1, 2], kinds: ['ww', 'wr'] },
      { nodes: [0, 1, 3], kinds: ['rw', 'rw', 'ww'] },
    ]);
  });

  it('G0: finds the shortest write cycle, not the first one met', () => {
    // 0 -> 1 -> 2 -> 3 -> 0 and 2 <-> 3 (all ww): the search starts from 0's edge but must return a 2-cycle.
    const g = graphOf(4, [
      [0, 1, 'ww'],
      [1, 2, 'ww'],
      [2, 3, 'ww'],
      [3, 0, 'ww'],
      [3, 2, 'ww'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G0']);
    assertValidCycle(g, r.cycles[0]!.cycle);
    assert.equal(r.cycles[0]!.cycle.nodes.length, 2);
    assert.deepEqual(r.timeouts, []);
  });

  it('G1c: a cycle of writes and reads with at least one wr', () => {
    const g = graphOf(3, [
      [0, 1, 'ww'],
      [1, 2, 'wr'],
      [2, 0, 'ww'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G1c']);
    assertValidCycle(g, r.cycles[0]!.cycle);
    assert.deepEqual(r.cycles[0]!.cycle.kinds, ['wr', 'ww', 'ww']);
  });

  it('G-single-item: exactly one rw; the G2-item it implies is not searched', () => {
    const g = graphOf(4, [
      [0, 1, 'rw'],
      [1, 2, 'wr'],
      [2, 0, 'ww'],
      [2, 3, 'rw'],
      [3, 2, 'rw'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G-single-item']);
    const c = r.cycles[0]!.cycle;
    assertValidCycle(g, c);
    assert.deepEqual(c.kinds.filter((k) => k === 'rw').length, 1);
    assert.equal(c.nodes.length, 3);
  });

  it('G-nonadjacent-item: two rw edges never next to each other', () => {
    const g = graphOf(4, [
      [0, 1, 'rw'],
      [1, 2, 'wr'],
      [2, 3, 'rw'],
      [3, 0, 'ww'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G-nonadjacent-item']);
    assertValidCycle(g, r.cycles[0]!.cycle);
    assert.deepEqual(r.cycles[0]!.cycle.kinds, ['rw', 'wr', 'rw', 'ww']);
  });

  it('G2-item: adjacent anti-dependencies (write skew)', () => {
    const g = graphOf(2, [
      [0, 1, 'rw'],
      [1, 0, 'rw'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G2-item']);
    assertValidCycle(g, r.cycles[0]!.cycle);
  });

  it('uses, for a pair with several kinds, the kind the anomaly needs', () => {
    // 0 -> 1 is both ww and rw; 1 -wr-> 0: a G1c cycle (ww, wr) and a G-single cycle (rw, wr).
    const g = graphOf(2, [
      [0, 1, 'ww'],
      [0, 1, 'rw'],
      [1, 0, 'wr'],
    ]);
    const r = search(g);
    assert.deepEqual(types(r), ['G1c', 'G-single-item']);
    assert.deepEqual(r.cycles[0]!.cycle.kinds.slice().sort(), ['wr', 'ww']);
    assert.deepEqual(r.cycles[1]!.cycle.kinds.slice().sort(), ['rw', 'wr']);
  });

  it('skips types implied by one already found in the component (G0 implies G1c)', () => {
    const g = graphOf(3, [
      [0, 1, 'ww'],
      [1, 0, 'ww'],
      [1, 2, 'wr'],
      [2, 1, 'ww'],
    ]);
    assert.deepEqual(types(search(g)), ['G0']);
  });

  it('searches only the requested types', () => {
    const g = graphOf(2, [
      [0, 1, 'rw'],
      [1, 0, 'rw'],
    ]);
    const r = search(g, { searchTypes: forbiddenAnomalies(['read-committed']) });
    assert.deepEqual(r.cycles, []);
  });

  it('G1c-process: a read that a process order contradicts', () => {
    // Process order 0 then 1, yet 0 read what 1 wrote.
    const g = graphOf(2, [[1, 0, 'wr']], { proc: [[0, 1]] });
    const r = search(g);
    assert.deepEqual(types(r), ['G1c-process']);
    assertValidCycle(g, r.cycles[0]!.cycle);
    assert.deepEqual(r.cycles[0]!.cycle.kinds, ['process', 'wr']);
  });

  it('G-nonadjacent-item-process: rw, process, rw, wr', () => {
    const g = graphOf(
      4,
      [
        [0, 1, 'rw'],
        [2, 3, 'rw'],
        [3, 0, 'wr'],
      ],
      { proc: [[1, 2]] },
    );
    const r = search(g);
    assert.deepEqual(types(r), ['G-nonadjacent-item-process']);
    assertValidCycle(g, r.cycles[0]!.cycle);
  });

  it('G-single-item-realtime: a stale read of a write that completed before the read began', () => {
    // 0 completed before 1 was invoked (realtime 0 -> 1), but 1 did not see 0's write (1 -rw-> 0).
    const g = graphOf(2, [[1, 0, 'rw']], { rt: [[0, 1, 2]] });
    const r = search(g, { searchTypes: forbiddenAnomalies(['strict-serializable']) });
    assert.deepEqual(types(r), ['G-single-item-realtime']);
    assertValidCycle(g, r.cycles[0]!.cycle);
    assert.deepEqual(search(g, { searchTypes: forbiddenAnomalies(['serializable']) }).cycles, []);
  });

  it('G0-realtime and G2-item-realtime through a realtime range', () => {
    const g0 = graphOf(3, [[2, 0, 'ww']], { rt: [[0, 1, 3]] }); // 0 -> {1, 2} in real time, 2 -ww-> 0
    const r0 = search(g0);
    assert.deepEqual(types(r0), ['G0-realtime']);
    assertValidCycle(g0, r0.cycles[0]!.cycle);
    assert.equal(r0.cycles[0]!.cycle.nodes.length, 2);
    const g2 = graphOf(3, [
      [2, 1, 'rw'],
      [1, 0, 'rw'],
    ], { rt: [[0, 2, 3]] });
    assert.deepEqual(types(search(g2)), ['G2-item-realtime']);
  });

  it('cycle-exists proofs: kept when no concrete cycle rules the model out, weakest model only', () => {
    const g = graphOf(3, [
      [0, 1, 'ww'],
      [1, 2, 'wr'],
      [2, 0, 'ww'],
    ]);
    const checks = cycleExistsChecks(['serializable']);
    const none = search(g, { searchTypes: new Set(), cycleExists: checks });
    assert.deepEqual(
      none.cycleExists.map((h) => [h.type, h.subgraph, h.members]),
      [['read-committed-cycle-exists', ['ww', 'wr'], [0, 1, 2]]],
    );
    const found = search(g, { cycleExists: checks });
    assert.deepEqual(types(found), ['G1c']);
    assert.deepEqual(found.cycleExists, [], 'a concrete G1c cycle makes the proof redundant');
  });

  it('cycle-exists for snapshot isolation: an rw edge closing a ww/wr cycle', () => {
    const g = graphOf(3, [
      [0, 1, 'rw'],
      [1, 2, 'wr'],
      [2, 1, 'ww'],
      [2, 0, 'wr'],
    ]);
    const r = search(g, { searchTypes: new Set(), cycleExists: cycleExistsChecks(['snapshot-isolation']) });
    assert.deepEqual(
      r.cycleExists.map((h) => h.type),
      ['read-committed-cycle-exists'],
    );
    const g2 = graphOf(2, [
      [0, 1, 'rw'],
      [1, 0, 'wr'],
    ]);
    const r2 = search(g2, { searchTypes: new Set(), cycleExists: cycleExistsChecks(['snapshot-isolation']) });
    assert.deepEqual(
      r2.cycleExists.map((h) => [h.type, h.subgraph]),
      [['snapshot-isolation-cycle-exists', ['ww', 'wr', 'rw']]],
    );
  });

  it('budget expiry reports cycle-search-timeout and a fallback cycle', () => {
    const g = graphOf(3, [
      [0, 1, 'rw'],
      [1, 2, 'wr'],
      [2, 0, 'ww'],
    ]);
    const r = search(g, { budgetMs: 0, cycleExists: cycleExistsChecks(['serializable']) });
    assert.equal(r.timeouts.length, 1);
    const t = r.timeouts[0]!;
    assert.equal(t.searched, 'G-single-item'); // G0 and G1c were skipped: no ww cycle, no wr edge in a ww/wr cycle
    assert.deepEqual(t.notSearched.slice(0, 2), ['G-nonadjacent-item', 'G2-item']);
    assert.equal(t.sccSize, 3);
    assert.deepEqual(types(r), ['G-single-item']);
    assert.equal(r.cycles[0]!.fallback, true);
    assertValidCycle(g, r.cycles[0]!.cycle);
  });

  it('a clock that runs out mid-search stops the search and names what was not searched', () => {
    // A big ring where G0 fails quickly and G-single needs a long BFS; the clock expires after a few reads.
    const n = 50_000;
    const edges: E[] = [];
    for (let v = 0; v < n - 1; v++) edges.push([v, v + 1, 'wr']);
    edges.push([n - 1, 0, 'rw']);
    const g = graphOf(n, edges);
    let reads = 0;
    const r = search(g, { now: () => (reads++ < 3 ? 0 : 1e9), budgetMs: 1000 });
    assert.equal(r.timeouts.length, 1);
    assert.ok(['G-single-item', 'G1c'].includes(r.timeouts[0]!.searched), r.timeouts[0]!.searched);
  });

  it('proves quickly that a big component whose only cycle has adjacent rw edges has no G-nonadjacent cycle', function () {
    this.timeout(30000);
    // A ring with an rw edge every 6 steps (ww between) plus one adjacent rw pair at 0 -> 1 -> 2. A BFS from each
    // rw edge walks half the ring before failing at the pair: quadratic without the "rw inside a component of the
    // last-edge-was-rw product graph" test.
    const n = 60_000;
    const edges: E[] = [];
    for (let v = 0; v < n; v++) edges.push([v, (v + 1) % n, v % 6 === 0 || v === 1 ? 'rw' : 'ww']);
    const g = graphOf(n, edges);
    const started = performance.now();
    const si = search(g, { searchTypes: forbiddenAnomalies(['snapshot-isolation']), budgetMs: 5000 });
    assert.deepEqual(si.timeouts, []);
    assert.deepEqual(si.cycles, []);
    assert.ok(performance.now() - started < 5000);
    const rr = search(g, { searchTypes: forbiddenAnomalies(['repeatable-read']), budgetMs: 5000 });
    assert.deepEqual(types(rr), ['G2-item']);
    assert.equal(rr.cycles[0]!.cycle.nodes.length, n);
  });

  it('on random small graphs, matches a brute-force enumeration of simple cycles: every type present is reported or implied, shortest per component', () => {
    const KINDS: EdgeKindName[] = ['ww', 'wr', 'rw', 'process', 'realtime'];
    const arb = fc.integer({ min: 2, max: 8 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.nat(4)), { maxLength: 3 * n }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ n, edges }) => {
        const list: E[] = edges.filter(([a, b]) => a !== b).map(([a, b, k]) => [a, b, KINDS[k]!]);
        const b = new GraphBuilder(n);
        for (const [x, y, k] of list) b.add(x, y, k); // session kinds as plain CSR edges: only the search is under test
        const g = b.freeze();
        const sccs = nontrivialComponents(g, ALL_KINDS);
        const compOf = new Int32Array(n).fill(-1);
        sccs.forEach((c, i) => c.forEach((v) => (compOf[v] = i)));
        const r = searchCycles(g, sccs, { searchTypes: ALL_TYPES, budgetMs: 60_000 });
        // Oracle: every simple cycle with every choice of kinds, from its smallest node.
        const shortest = new Map<string, number>(); // "component:type" -> length
        const path: number[] = [];
        const kinds: EdgeKindName[] = [];
        const walk = (start: number, v: number): void => {
          for (let w = 0; w < n; w++) {
            const bits = kindsBetween(g, v, w);
            for (let k = 0; k < 5; k++) {
              if (!(bits & (1 << k))) continue;
              if (w === start) {
                const key = `${compOf[start]}:${classifyCycle([...kinds, KINDS[k]!])}`;
                shortest.set(key, Math.min(shortest.get(key) ?? Infinity, kinds.length + 1));
              } else if (w > start && !path.includes(w)) {
                path.push(w);
                kinds.push(KINDS[k]!);
                walk(start, w);
                path.pop();
                kinds.pop();
              }
            }
          }
        };
        for (let s = 0; s < n; s++) {
          path.splice(0, path.length, s);
          walk(s, s);
        }
        const covered = new Set<string>();
        for (const c of r.cycles) {
          assertValidCycle(g, c.cycle);
          assert.equal(classifyCycle(c.cycle.kinds), c.type);
          const comp = compOf[c.cycle.nodes[0]!];
          assert.equal(c.cycle.nodes.length, shortest.get(`${comp}:${c.type}`), `shortest ${c.type}`);
          for (const t of impliedAnomalies(c.type)) covered.add(`${comp}:${t}`);
        }
        for (const key of shortest.keys()) assert.ok(covered.has(key), `${key} reported or implied`);
        assert.deepEqual(r.timeouts, []);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('finds a long cycle in a large component quickly', function () {
    this.timeout(30000);
    const n = 300_000;
    const edges: E[] = [];
    for (let v = 0; v < n - 1; v++) edges.push([v, v + 1, v % 2 ? 'ww' : 'wr']);
    edges.push([n - 1, 0, 'rw']);
    for (let v = 0; v + 1000 < n; v += 997) edges.push([v + 1000, v, 'rw']); // more rw chords: G2 cycles exist too
    const g = graphOf(n, edges);
    const started = performance.now();
    const r = search(g, { budgetMs: 10_000 });
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(r.timeouts, []);
    assert.ok(types(r).includes('G-single-item'));
    for (const c of r.cycles) assertValidCycle(g, c.cycle);
    const single = r.cycles.find((c) => c.type === 'G-single-item')!;
    assert.equal(single.cycle.nodes.length, 1001); // the shortest: one chord back over 1000 forward edges
  });
});

/** A history builder for end-to-end checks: one op per call, 1 ms apart. */
class H {
  readonly ops: Op[] = [];
  invoke(p: number, value: unknown[]): number {
    return this.push(p, 'invoke', value);
  }
  done(p: number, type: 'ok' | 'fail' | 'info', value: unknown[]): number {
    return this.push(p, type, value);
  }
  txn(p: number, value: unknown[], type: 'ok' | 'fail' | 'info' = 'ok', result = value): number {
    this.invoke(p, value.map((m) => ((m as unknown[])[0] === 'r' ? [(m as unknown[])[0], (m as unknown[])[1], null] : m)));
    return this.done(p, type, result);
  }
  private push(process: number, type: Op['type'], value: unknown): number {
    const index = this.ops.length;
    this.ops.push({ index, time: index * 1_000_000, process, type, f: 'txn', value });
    return index;
  }
}

describe('transactional checker end to end', () => {
  it('a serial, consistent list-append history is valid under strict serializability', () => {
    const h = new H();
    h.txn(1, [['append', 'x', 1]]);
    h.txn(2, [['r', 'x', [1]], ['append', 'x', 2]]);
    h.txn(1, [['r', 'x', [1, 2]]]);
    const r = checkListAppend(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.deepEqual(r.anomalies, []);
    assert.deepEqual(r.consistencyModels, ['strict-serializable']);
    assert.deepEqual((r.stats.txns as { ok: number }).ok, 3);
  });

  it('write skew is G2-item: not repeatable-read, but fine under snapshot isolation', () => {
    const h = new H();
    h.invoke(1, [['append', 'x', 5], ['r', 'y', null]]);
    h.invoke(2, [['append', 'y', 2], ['r', 'x', null]]);
    const a = h.done(1, 'ok', [['append', 'x', 5], ['r', 'y', []]]);
    const b = h.done(2, 'ok', [['append', 'y', 2], ['r', 'x', []]]);
    h.txn(3, [['r', 'x', [5]], ['r', 'y', [2]]]);
    const r = checkListAppend(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalyTypes, ['G2-item']);
    assert.deepEqual(r.not, ['repeatable-read']);
    assert.ok(r.alsoNot.includes('serializable') && r.alsoNot.includes('strict-serializable'));
    const g2 = r.anomalies[0]!;
    assert.deepEqual(g2.ops.slice().sort(), [a, b]);
    assert.match(g2.explanation, /^Let:\n {2}T1 = \{index \d, process \d, type ok, value .*\}\n {2}T2 = .*\nThen:\n {2}- T1 < T2, because .*\.\n {2}- However, T2 < T1, because .*: a contradiction!$/);
    assert.equal(g2.steps!.length, 2);
    assert.ok(g2.steps!.every((s) => s.kind === 'rw' && !s.text.includes('%')));
    const si = checkListAppend(h.ops, { consistencyModels: ['snapshot-isolation'] });
    assert.equal(si.valid, true, si.explanation);
  });

  it('a stale read after a completed append is G-single-item-realtime under strict serializability only', () => {
    const h = new H();
    h.txn(1, [['append', 'x', 1]]);
    h.txn(2, [['r', 'x', []]]);
    h.txn(3, [['r', 'x', [1]]]);
    const r = checkListAppend(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalyTypes, ['G-single-item-realtime']);
    assert.deepEqual(r.not, ['strong-snapshot-isolation']);
    assert.deepEqual(r.alsoNot, ['strict-serializable']);
    assert.match(r.anomalies[0]!.explanation, /completed at index 1, 0\.001 seconds before the invocation of T\d, at index 2/);
    assert.equal(checkListAppend(h.ops, { consistencyModels: ['serializable'] }).valid, true);
  });

  it('G1c between two committed txns that each read the other\'s append', () => {
    const h = new H();
    h.invoke(1, [['append', 'x', 1], ['r', 'y', null]]);
    h.invoke(2, [['append', 'y', 1], ['r', 'x', null]]);
    h.done(1, 'ok', [['append', 'x', 1], ['r', 'y', [1]]]);
    h.done(2, 'ok', [['append', 'y', 1], ['r', 'x', [1]]]);
    const r = checkListAppend(h.ops, { consistencyModels: ['read-committed'] });
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalyTypes, ['G1c']);
    assert.deepEqual(r.not, ['read-committed']);
    assert.match(r.explanation!, /^Not read-committed .*: found G1c ×1\.\n\nG1c:\nLet:/s);
  });

  it('no committed txn makes the verdict unknown (empty-transaction-graph)', () => {
    const h = new H();
    h.txn(1, [['append', 'x', 1]], 'fail');
    const r = checkListAppend(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.deepEqual(r.anomalyTypes, ['empty-transaction-graph']);
    assert.deepEqual(r.not, []);
  });

  it('a budget of 0 ms makes a cyclic history report cycle-search-timeout next to the fallback cycle', () => {
    const h = new H();
    h.invoke(1, [['append', 'x', 5], ['r', 'y', null]]);
    h.invoke(2, [['append', 'y', 2], ['r', 'x', null]]);
    h.done(1, 'ok', [['append', 'x', 5], ['r', 'y', []]]);
    h.done(2, 'ok', [['append', 'y', 2], ['r', 'x', []]]);
    const r = checkListAppend(h.ops, { consistencyModels: ['serializable'], cycleSearchBudgetMs: 0 });
    assert.ok(r.anomalyTypes.includes('cycle-search-timeout'), r.anomalyTypes.join());
    assert.equal(r.valid, false); // the fallback cycle is a concrete G2-item
    const timeout = r.anomalies.find((a) => a.type === 'cycle-search-timeout')!;
    assert.match(timeout.explanation, /ran out of its 0 ms budget while looking for G-single-item; not searched: G-nonadjacent-item, G2-item/);
    assert.ok(r.anomalies.some((a) => a.type === 'G2-item' && a.foundAfterTimeout === true));
  });

  // Elle's histories/paper-example.edn (the paper's Figure 2), with the process and f fields our schema requires.
  const paperExample = (): Op[] =>
    [
      [[['append', 253, 1], ['append', 253, 3], ['append', 253, 4], ['append', 255, 2], ['append', 255, 3], ['append', 255, 4], ['append', 255, 5], ['append', 256, 1], ['append', 256, 2]]],
      [[['append', 255, 8], ['r', 253, null]], [['append', 255, 8], ['r', 253, [1, 3, 4]]]],
      [[['append', 256, 4], ['r', 255, null], ['r', 256, null], ['r', 253, null]], [['append', 256, 4], ['r', 255, [2, 3, 4, 5, 8]], ['r', 256, [1, 2, 4]], ['r', 253, [1, 3, 4]]]],
      [[['append', 250, 10], ['r', 253, null], ['r', 255, null], ['append', 256, 3]], [['append', 250, 10], ['r', 253, [1, 3, 4]], ['r', 255, [2, 3, 4, 5]], ['append', 256, 3]]],
    ].flatMap(([inv, ok], i) => [
      { index: 2 * i, process: i, type: 'invoke' as const, f: 'txn', value: inv },
      { index: 2 * i + 1, process: i, type: 'ok' as const, f: 'txn', value: ok ?? inv },
    ]);

  it('paper example: T7 -rw-> T3 -wr-> T5 -ww-> T7 is G-single-item (not consistent-view, not repeatable-read)', () => {
    const r = checkListAppend(paperExample(), { consistencyModels: ['serializable'] });
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalyTypes, ['G-single-item']);
    assert.deepEqual(r.not, ['consistent-view', 'repeatable-read']);
    const a = r.anomalies[0]!;
    assert.deepEqual(a.ops, [7, 3, 5]);
    assert.deepEqual(
      a.steps!.map((s) => [s.kind, s.key]),
      [
        ['rw', 255],
        ['wr', 255],
        ['ww', 256],
      ],
    );
    // Strict serializability adds realtime edges; the cycles they add are implied by the G-single-item found.
    assert.deepEqual(checkListAppend(paperExample()).anomalyTypes, ['G-single-item']);
  });

  it('si-without-g-single: G2-item rules out repeatable-read but no false snapshot-isolation violation', () => {
    // Elle's histories/si-without-g-single.edn (T1 ww T3, T1 wr T4, T2 rw T1, T3 rw T2, T3 rw T4, T4 rw T3).
    const rows: [number, number, unknown[], unknown[]][] = [
      [10, 2, [['append', 9, 2]], [['append', 9, 2]]],
      [20, 4, [['append', 8, 1], ['r', 9, null]], [['append', 8, 1], ['r', 9, null]]],
      [30, 7, [['r', 6, null], ['r', 8, null], ['append', 9, 5]], [['r', 6, null], ['r', 8, null], ['append', 9, 5]]],
      [40, 9, [['append', 6, 2], ['r', 9, null]], [['append', 6, 2], ['r', 9, [2]]]],
    ];
    const ops: Op[] = rows.flatMap(([index, process, inv, ok]) => [
      { index, time: 0, process, type: 'invoke' as const, f: 'txn', value: inv },
      { index: index + 1, time: 0, process, type: 'ok' as const, f: 'txn', value: ok },
    ]);
    const r = checkListAppend(ops, { consistencyModels: ['snapshot-isolation', 'repeatable-read'] });
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalyTypes, ['G2-item']);
    assert.deepEqual(r.not, ['repeatable-read']);
    assert.ok(!r.alsoNot.includes('snapshot-isolation'));
  });

  it('rejects unknown models and anomaly names with the valid ones listed', () => {
    assert.throws(() => checkListAppend([], { consistencyModels: ['snapshot'] }), /unknown consistency model "snapshot": expected one of strict-serializable/);
    assert.throws(() => checkListAppend([], { anomalies: ['G9'] }), /unknown anomaly type "G9"/);
    assert.throws(() => checkListAppend([], { cycleSearchBudgetMs: -1 }), /cycleSearchBudgetMs: expected a non-negative number/);
  });

  it('rw-register: a lost update between two writers is reported under serializability', () => {
    const h = new H();
    h.invoke(1, [['r', 'x', null], ['w', 'x', 1]]);
    h.invoke(2, [['r', 'x', null], ['w', 'x', 2]]);
    h.done(1, 'ok', [['r', 'x', null], ['w', 'x', 1]]);
    h.done(2, 'ok', [['r', 'x', null], ['w', 'x', 2]]);
    const r = checkRwRegister(h.ops, { consistencyModels: ['serializable'] });
    assert.equal(r.valid, false, r.explanation);
    assert.equal(r.checker, 'rw-register');
    assert.ok(r.not.includes('repeatable-read') || r.not.includes('cursor-stability'), r.not.join());
  });
});

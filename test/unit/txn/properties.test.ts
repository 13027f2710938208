/**
 * Properties of the transactional checker against ground truth (txn-anomalies.md §5-§8), on small inputs:
 *
 * (a) histories from the simulated serializable store (strict: each txn takes effect at one instant inside its
 *     interval, or never, or later for some info txns) are valid for serializable and strict-serializable, for
 *     list-append and for rw-register (also with every version-order source switched on, all sound here);
 * (b) histories from the simulated snapshot-isolation store are valid for snapshot-isolation, and whenever the
 *     simulator committed a write skew (and every element is observed), checking for serializable finds G2-item
 *     or a type implying it;
 * (c) read-committed and read-uncommitted stores pass their own models, and the dirty store's aborted and
 *     intermediate reads are found as G1a and G1b;
 * (d) a brute-force reference on tiny list-append histories (≤ 5 txns, all ok): some serial order (respecting real
 *     time, for strict-serializable) explains every read exactly iff the checker says valid. The checker's
 *     inference is complete only when every key's order is fully known, so every txn reads each key it appended to
 *     after its last append: every appended element then shows up in some read.
 *
 * Every property has a fixed seed; a failure prints the history.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op } from '../../../checkers/history/types.js';
import { checkListAppend, checkRwRegister, type TxnCheckResult } from '../../../checkers/txn/index.js';
import { makeRng, simulateTxns, type HandMop, type TxnSimMode, type TxnSimResult } from '../../support/txn-sim.js';

const showHistory = (h: readonly Op[]) => h.map((o) => JSON.stringify(o)).join('\n');
const showResult = (r: TxnCheckResult) =>
  `valid=${String(r.valid)} types=${JSON.stringify(r.anomalyTypes)} not=${JSON.stringify(r.not)}\n${r.anomalies
    .slice(0, 3)
    .map((a) => `${a.type} ${JSON.stringify(a.ops)}\n${a.explanation}`)
    .join('\n')}`;

/** Valid, or unknown only because nothing committed (tiny histories with many failures). */
function assertValid(r: TxnCheckResult, h: readonly Op[], label: string): void {
  const ok = r.valid === true || (r.valid === 'unknown' && r.anomalyTypes.every((t) => t === 'empty-transaction-graph'));
  assert.ok(ok, `${label}: ${showResult(r)}\n${showHistory(h)}`);
}

/** Simulator knobs fast-check varies; small so a property run takes milliseconds. */
const simArb = (modes: TxnSimMode[]) =>
  fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    mode: fc.constantFrom(...modes),
    txns: fc.integer({ min: 1, max: 40 }),
    processes: fc.integer({ min: 1, max: 6 }),
    keys: fc.integer({ min: 1, max: 5 }),
    maxMops: fc.integer({ min: 1, max: 5 }),
    keyDist: fc.constantFrom('uniform' as const, 'exponential' as const, 'zipf' as const),
    readProb: fc.constantFrom(0.3, 0.5, 0.7),
    failRate: fc.constantFrom(0, 0.1, 0.3),
    infoRate: fc.constantFrom(0, 0.1, 0.3),
    readAfterWrite: fc.boolean(),
    finalRead: fc.boolean(),
    leaveOpen: fc.boolean(),
    stringKeys: fc.boolean(),
  });

describe('txn checker: properties', () => {
  // -------------------------------------------------------------------------------------------------------------
  // (a) serializable store

  it('(a) list-append histories of a serializable store are serializable and strict-serializable', () => {
    let committed = 0;
    fc.assert(
      fc.property(simArb(['serializable']), (o) => {
        const { history, stats } = simulateTxns(o);
        committed += stats.ok;
        assertValid(checkListAppend(history), history, 'strict-serializable');
        assertValid(checkListAppend(history, { consistencyModels: ['serializable'] }), history, 'serializable');
        assertValid(checkListAppend(history, { consistencyModels: ['strong-session-serializable'] }), history, 'strong-session-serializable');
      }),
      { seed: 0x7a11, numRuns: 150 },
    );
    assert.ok(committed > 1000, `the property should see real work, saw ${committed} committed txns`);
  });

  it('(a) rw-register histories of a serializable store are strict-serializable, with every version source', () => {
    fc.assert(
      fc.property(simArb(['serializable']), fc.boolean(), (o, sources) => {
        const { history } = simulateTxns({ ...o, workload: 'rw-register' });
        const opts = sources ? { wfrKeys: true, sequentialKeys: true, linearizableKeys: true } : {};
        assertValid(checkRwRegister(history, opts), history, `strict-serializable ${JSON.stringify(opts)}`);
      }),
      { seed: 0x7a12, numRuns: 150 },
    );
  });

  // -------------------------------------------------------------------------------------------------------------
  // (b) snapshot isolation

  it('(b) snapshot-isolation histories are valid for snapshot-isolation (list-append and rw-register)', () => {
    fc.assert(
      fc.property(simArb(['snapshot-isolation']), (o) => {
        const { history } = simulateTxns(o);
        assertValid(checkListAppend(history, { consistencyModels: ['snapshot-isolation'] }), history, 'list-append SI');
        const reg = simulateTxns({ ...o, workload: 'rw-register' }).history;
        assertValid(checkRwRegister(reg, { consistencyModels: ['snapshot-isolation'], wfrKeys: true, sequentialKeys: true, linearizableKeys: true }), reg, 'rw-register SI');
      }),
      { seed: 0x5151, numRuns: 150 },
    );
  });

  it('(b) when the SI store committed a write skew, serializable checking finds G2-item (or worse)', () => {
    const impliesG2Item = new Set(['G2-item', 'G-nonadjacent-item', 'G-single-item', 'lost-update']);
    let skewed = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          txns: fc.integer({ min: 2, max: 40 }),
          processes: fc.integer({ min: 2, max: 6 }),
          keys: fc.integer({ min: 2, max: 4 }),
          maxMops: fc.integer({ min: 2, max: 4 }),
          failRate: fc.constantFrom(0, 0.1),
        }),
        (o) => {
          // No info txns and a final read: every committed element is observed, so the skew's cycle is inferable.
          const sim: TxnSimResult = simulateTxns({ ...o, mode: 'snapshot-isolation', infoRate: 0, finalRead: true });
          runs++;
          const r = checkListAppend(sim.history, { consistencyModels: ['serializable'] });
          if (sim.writeSkews.length === 0) return;
          skewed++;
          assert.equal(r.valid, false, `write skew ${JSON.stringify(sim.writeSkews)} missed: ${showResult(r)}\n${showHistory(sim.history)}`);
          assert.ok(
            r.anomalyTypes.some((t) => impliesG2Item.has(t)),
            `write skew ${JSON.stringify(sim.writeSkews)} should give G2-item or a type implying it: ${showResult(r)}\n${showHistory(sim.history)}`,
          );
        },
      ),
      { seed: 0x5152, numRuns: 200 },
    );
    assert.ok(skewed >= runs / 10, `only ${skewed} of ${runs} runs produced write skew: the property is too weak`);
  });

  // -------------------------------------------------------------------------------------------------------------
  // (c) weaker stores

  it('(c) read-committed histories are valid for read-committed', () => {
    fc.assert(
      fc.property(simArb(['read-committed']), fc.constantFrom('list-append' as const, 'rw-register' as const), (o, workload) => {
        const { history } = simulateTxns({ ...o, workload });
        const check = workload === 'list-append' ? checkListAppend : checkRwRegister;
        assertValid(check(history, { consistencyModels: ['read-committed'] }), history, `${workload} read-committed`);
      }),
      { seed: 0x2c2c, numRuns: 150 },
    );
  });

  it('(c) read-uncommitted histories are valid for read-uncommitted; their dirty reads are G1a and G1b', () => {
    let aborted = 0;
    let intermediate = 0;
    fc.assert(
      fc.property(simArb(['read-uncommitted']), (o) => {
        const sim = simulateTxns(o);
        assertValid(checkListAppend(sim.history, { consistencyModels: ['read-uncommitted'] }), sim.history, 'read-uncommitted');
        const rc = checkListAppend(sim.history, { consistencyModels: ['read-committed'] });
        if (sim.abortedReads.length > 0) {
          aborted++;
          // Witness lists are bounded, so not every reader need be named; but some must be.
          const found = rc.anomalies.filter((a) => a.type === 'G1a').flatMap((a) => a.ops);
          assert.ok(sim.abortedReads.some((i) => found.includes(i)), `aborted reads by ops ${JSON.stringify(sim.abortedReads)} not reported as G1a: ${showResult(rc)}\n${showHistory(sim.history)}`);
        }
        if (sim.intermediateReads.length > 0) {
          intermediate++;
          const found = rc.anomalies.filter((a) => a.type === 'G1b').flatMap((a) => a.ops);
          assert.ok(sim.intermediateReads.some((i) => found.includes(i)), `intermediate reads by ops ${JSON.stringify(sim.intermediateReads)} not reported as G1b: ${showResult(rc)}\n${showHistory(sim.history)}`);
        }
      }),
      { seed: 0x1a1b, numRuns: 150 },
    );
    assert.ok(aborted >= 10 && intermediate >= 5, `too few dirty runs to mean anything: ${aborted} aborted, ${intermediate} intermediate`);
  });

  // -------------------------------------------------------------------------------------------------------------
  // (d) brute force on tiny histories

  it('(d) on tiny histories the verdict agrees with trying every serial order', () => {
    const tally = { serializable: 0, not: 0, strict: 0, strictNot: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const tiny = tinyHistory(seed);
        const serial = bruteForce(tiny.txns, tiny.intervals, false);
        const strict = bruteForce(tiny.txns, tiny.intervals, true);
        tally[serial ? 'serializable' : 'not']++;
        tally[strict ? 'strict' : 'strictNot']++;
        const rs = checkListAppend(tiny.history, { consistencyModels: ['serializable'] });
        assert.equal(rs.valid, serial, `serializable: brute force says ${serial}: ${showResult(rs)}\n${showHistory(tiny.history)}`);
        const rt = checkListAppend(tiny.history, { consistencyModels: ['strict-serializable'] });
        assert.equal(rt.valid, strict, `strict-serializable: brute force says ${strict}: ${showResult(rt)}\n${showHistory(tiny.history)}`);
      }),
      { seed: 0xb20f, numRuns: 1000 },
    );
    // Both verdicts must be common, or the comparison proves little.
    for (const [k, n] of Object.entries(tally)) assert.ok(n >= 100, `only ${n} ${k} histories: ${JSON.stringify(tally)}`);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The brute-force reference

interface Tiny {
  history: Op[];
  /** Completed micro-ops per txn (reads filled). */
  txns: HandMop[][];
  /** Positions of each txn's invocation and completion in the history. */
  intervals: [number, number][];
}

/**
 * 1-5 txns over keys x, y, z: appends of fresh values and reads; each txn ends with a read of every key it
 * appended to. Reads come from running the txns in a random serial order, then (often) one or two reads are
 * replaced by another prefix of that key's final list, so both serializable and non-serializable histories are
 * common. Invocations and completions interleave randomly, one process per txn.
 */
function tinyHistory(seed: number): Tiny {
  const rng = makeRng(seed);
  const keys = ['x', 'y', 'z'].slice(0, 1 + rng.int(3));
  const n = 1 + rng.int(5);
  const next = new Map<string, number>();
  const txns: HandMop[][] = [];
  for (let t = 0; t < n; t++) {
    const mops: HandMop[] = [];
    const m = 1 + rng.int(3);
    for (let i = 0; i < m; i++) {
      const k = keys[rng.int(keys.length)]!;
      if (rng.chance(0.5)) mops.push(['r', k, null]);
      else {
        const v = (next.get(k) ?? 0) + 1;
        next.set(k, v);
        mops.push(['append', k, v]);
      }
    }
    for (const k of keys) {
      let last = -1;
      mops.forEach((mop, i) => mop[1] === k && (last = i));
      if (last >= 0 && mops[last]![0] === 'append') mops.push(['r', k, null]);
    }
    txns.push(mops);
  }
  // Run a random serial order to fill the reads.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const state = new Map<string, number[]>();
  for (const t of order) {
    for (const mop of txns[t]!) {
      const k = mop[1] as string;
      if (mop[0] === 'r') mop[2] = [...(state.get(k) ?? [])];
      else state.set(k, [...(state.get(k) ?? []), mop[2] as number]);
    }
  }
  // Perturb a read or two, keeping every appended element visible in some read (complete information).
  const reads = txns.flatMap((mops) => mops.filter((m) => m[0] === 'r'));
  const perturbations = rng.chance(0.6) ? 1 + rng.int(2) : 0;
  for (let p = 0; p < perturbations && reads.length > 0; p++) {
    const r = reads[rng.int(reads.length)]!;
    const full = state.get(r[1] as string) ?? [];
    const before = r[2];
    r[2] = full.slice(0, rng.int(full.length + 1));
    const seen = new Set(reads.filter((x) => x[1] === r[1]).flatMap((x) => x[2] as number[]));
    if (!full.every((e) => seen.has(e))) r[2] = before;
  }
  // Interleave invocations and completions.
  const history: Op[] = [];
  const intervals: [number, number][] = txns.map(() => [-1, -1]);
  const open: number[] = [];
  let invoked = 0;
  while (history.length < 2 * n) {
    const canInvoke = invoked < n;
    if (canInvoke && (open.length === 0 || rng.chance(0.5))) {
      const t = invoked++;
      intervals[t]![0] = history.length;
      history.push({ index: history.length, time: history.length * 1000, process: t, type: 'invoke', f: 'txn', value: txns[t]!.map(([f, k, v]) => [f, k, f === 'r' ? null : v]) });
      open.push(t);
    } else {
      const t = open.splice(rng.int(open.length), 1)[0]!;
      intervals[t]![1] = history.length;
      history.push({ index: history.length, time: history.length * 1000, process: t, type: 'ok', f: 'txn', value: txns[t]!.map((m) => [...m]) });
    }
  }
  return { history, txns, intervals };
}

/**
 * Is there a serial order of the txns (respecting real time when `strict`: a txn that completed before another
 * was invoked comes first) in which every read returns exactly the list built by the appends before it?
 */
function bruteForce(txns: readonly HandMop[][], intervals: readonly [number, number][], strict: boolean): boolean {
  const n = txns.length;
  const used = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  const explains = (): boolean => {
    const state = new Map<string, number[]>();
    for (const t of order) {
      for (const [f, k, v] of txns[t]!) {
        const cur = state.get(k as string) ?? [];
        if (f === 'append') state.set(k as string, [...cur, v as number]);
        else if (JSON.stringify(v ?? []) !== JSON.stringify(cur)) return false;
      }
    }
    return true;
  };
  const search = (): boolean => {
    if (order.length === n) return explains();
    for (let t = 0; t < n; t++) {
      if (used[t]) continue;
      // Real time: every txn that completed before t was invoked must already be placed.
      if (strict && txns.some((_, u) => !used[u] && u !== t && intervals[u]![1] < intervals[t]![0])) continue;
      used[t] = true;
      order.push(t);
      if (search()) return true;
      order.pop();
      used[t] = false;
    }
    return false;
  };
  return search();
}

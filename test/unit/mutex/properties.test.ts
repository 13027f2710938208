/**
 * Properties of the lock checkers, each against an obviously-correct reference on small inputs:
 *
 * (a) histories recorded from a simulated correct lock (one holder at a time, growing tokens, a serial resource;
 *     random fails, infos that took effect or not, lapsed leases nobody exploited, abandoned holds, nemesis
 *     records, ops in flight at the end) are valid for all four checkers;
 * (b) overlap: on random small histories (any op order, any outcomes), checkOverlap's overlapping pairs equal a
 *     brute-force O(n²) comparison of belief intervals computed straight from the raw records;
 * (c) lost updates: read-modify-writes run serialized never lose anything; under random interleavings the
 *     lost elements and lost-update count equal a brute-force replay that keeps every version's full set.
 *
 * Every property runs with a fixed seed; on failure fast-check prints the seed, the path and the shrunk input.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Op } from '../../../checkers/history/types.js';
import { checkFencing, checkLocks, checkLostUpdates, checkMutexLinearizable, checkOverlap } from '../../../checkers/mutex/index.js';
import { HistoryBuilder, showHistory, simulateCorrectLock } from './helpers.js';

// ---------------------------------------------------------------------------------------------------------------
// (a) a correct lock

describe('lock checkers: properties', () => {
  it('(a) histories from a simulated correct lock are valid for all four checkers', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          workers: fc.integer({ min: 1, max: 4 }),
          steps: fc.integer({ min: 0, max: 160 }),
          locks: fc.integer({ min: 1, max: 2 }),
          pFail: fc.constantFrom(0, 0.1, 0.3),
          pInfo: fc.constantFrom(0, 0.05, 0.2),
          tokens: fc.boolean(),
          fenced: fc.boolean(),
          pLapse: fc.constantFrom(0, 0.3),
        }),
        (sim) => {
          const h = simulateCorrectLock(sim);
          const r = checkLocks(h, { mutex: { timeBudgetMs: 20_000 } });
          for (const [name, res] of Object.entries(r.results)) {
            assert.equal(res.valid, true, `${name}: ${String(res.valid)}: ${res.explanation ?? ''}\n${showHistory(h)}`);
          }
          assert.equal(r.valid, true);
        },
      ),
      { seed: 0x10c4, numRuns: 200 },
    );
  });

  it('(a) each checker alone agrees with checkLocks on those histories', () => {
    const h = simulateCorrectLock({ seed: 7, workers: 3, steps: 120, locks: 2, pFail: 0.1, pInfo: 0.1, tokens: true, fenced: true, pLapse: 0.3 });
    const all = checkLocks(h);
    assert.equal(checkMutexLinearizable(h).valid, all.results.mutex.valid);
    assert.equal(checkOverlap(h).valid, all.results.overlap.valid);
    assert.equal(checkFencing(h).valid, all.results.fencing.valid);
    assert.equal(checkLostUpdates(h).valid, all.results['lost-update'].valid);
  });

  // -------------------------------------------------------------------------------------------------------------
  // (b) overlap vs brute force

  /** A random history: each choice moves one worker (invoke or complete, any f, any outcome) or adds noise. */
  function randomLockHistory(workers: number, choices: readonly number[]): Op[] {
    const h = new HistoryBuilder();
    const procs = Array.from({ length: workers }, (_, i) => i);
    let next = workers;
    const inFlight = new Map<number, { f: string; key: string }>();
    for (const c of choices) {
      if (c % 17 === 16) {
        h.nemesis();
        continue;
      }
      if (c % 13 === 12) {
        h.resRead('A', { worker: 0, token: null, accepted: true, version: 0 });
        continue;
      }
      const w = c % workers;
      const sub = Math.floor(c / workers);
      const p = procs[w]!;
      const open = inFlight.get(p);
      if (!open) {
        const f = ['acquire', 'read', 'write', 'release', 'acquire', 'acquire'][sub % 6]!;
        const key = ['A', 'A', 'B'][Math.floor(sub / 6) % 3]!;
        inFlight.set(p, { f, key });
        h.invoke(p, f, key, f === 'write' ? { add: h.ops.length, delayMs: 0 } : null);
        continue;
      }
      inFlight.delete(p);
      const type = (['ok', 'ok', 'fail', 'info'] as const)[sub % 4]!;
      h.rec(p, type, open.f, open.key, open.f === 'acquire' && type === 'ok' ? { token: null } : null);
      if (type === 'info') procs[w] = next++;
    }
    return h.ops;
  }

  /** Belief intervals straight from the records, and every overlapping pair by comparing all of them. */
  function bruteForceOverlaps(history: readonly Op[]): string[] {
    const intervals: { process: number; key: unknown; okIndex: number; start: number; end: number }[] = [];
    const processes = new Set(history.filter((o) => typeof o.process === 'number').map((o) => o.process as number));
    for (const p of processes) {
      const mine = history.map((o, pos) => ({ o, pos })).filter(({ o }) => o.process === p);
      const held = new Map<unknown, { okIndex: number; start: number }>();
      for (const { o, pos } of mine) {
        if (o.type === 'ok' && o.f === 'acquire' && !held.has(o.key)) held.set(o.key, { okIndex: o.index, start: pos });
        if (o.type === 'invoke' && o.f === 'release' && held.has(o.key)) {
          intervals.push({ process: p, key: o.key, ...held.get(o.key)!, end: pos });
          held.delete(o.key);
        }
      }
      const last = mine[mine.length - 1]!;
      for (const [key, s] of held) intervals.push({ process: p, key, ...s, end: last.o.type === 'invoke' ? Infinity : last.pos });
    }
    const pairs: string[] = [];
    for (let i = 0; i < intervals.length; i++) {
      for (let j = i + 1; j < intervals.length; j++) {
        const a = intervals[i]!;
        const b = intervals[j]!;
        if (a.key !== b.key || a.process === b.process) continue;
        if (a.start < b.end && b.start < a.end) pairs.push(pairId(a.key, [a.okIndex, b.okIndex]));
      }
    }
    return pairs.sort();
  }

  const pairId = (key: unknown, oks: number[]) => `${String(key)}:${[...oks].sort((x, y) => x - y).join('/')}`;

  it('(b) checkOverlap finds exactly the overlapping pairs a brute-force comparison finds', () => {
    let overlapping = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat({ max: 10_000 }), { minLength: 4, maxLength: 48, size: 'max' }), (workers, choices) => {
        const h = randomLockHistory(workers, choices);
        const expected = bruteForceOverlaps(h);
        const r = checkOverlap(h, { maxPairs: Infinity });
        const got = r.anomalies.map((a) => pairId(a.lock, (a.intervals as { acquireOk: number }[]).map((i) => i.acquireOk))).sort();
        assert.equal(r.stats.overlappingPairs, expected.length, showHistory(h));
        assert.deepEqual(got, expected, showHistory(h));
        assert.equal(r.valid, expected.length === 0);
        if (expected.length > 0) overlapping++;
      }),
      { seed: 0x0b1a, numRuns: 400 },
    );
    assert.ok(overlapping > 40, `only ${overlapping} of 400 random histories had an overlap: the generator is too tame`);
  });

  // -------------------------------------------------------------------------------------------------------------
  // (c) lost updates vs a brute-force replay

  interface RmwRun {
    history: Op[];
    /** Per lock: elements missing from the final set (brute force), and writes based on a stale version. */
    lost: Map<string, number[]>;
    lostUpdates: number;
  }

  /**
   * Workers do read-modify-writes on 1-2 locks. Serialized: each read and its write-back happen together. Otherwise
   * reads and writes interleave as the choices say. Rejected stale writes and failed ops are sprinkled in; the
   * reference keeps every version's whole set, so the final set and the lost elements are plain set arithmetic.
   */
  function rmwRun(workers: number, locks: number, choices: readonly number[], serialized: boolean): RmwRun {
    const h = new HistoryBuilder();
    const names = ['A', 'B'].slice(0, locks);
    const state = new Map(names.map((n) => [n, { current: 0, last: 0, sets: new Map<number, Set<number>>([[0, new Set()]]), adds: [] as number[] }]));
    const pending = new Map<number, { lock: string; version: number }>();
    let lostUpdates = 0;
    let nextAdd = 1;
    const read = (w: number, lock: string) => {
      const s = state.get(lock)!;
      h.invoke(w, 'read', lock);
      h.resRead(lock, { worker: w, token: null, accepted: true, version: s.current, fenced: false });
      h.ok(w, 'read', lock, { version: s.current, counter: s.sets.get(s.current)!.size });
      pending.set(w, { lock, version: s.current });
    };
    const write = (w: number) => {
      const { lock, version: basedOn } = pending.get(w)!;
      pending.delete(w);
      const s = state.get(lock)!;
      const add = nextAdd++;
      const version = ++s.last;
      if (basedOn !== s.current) lostUpdates++;
      s.sets.set(version, new Set([...s.sets.get(basedOn)!, add]));
      s.current = version;
      s.adds.push(add);
      h.invoke(w, 'write', lock, { add, delayMs: 0 });
      h.resWrite(lock, { worker: w, token: null, accepted: true, basedOn, version, add, fenced: false });
      h.ok(w, 'write', lock, { add, version });
    };
    for (const c of choices) {
      const w = c % workers;
      const lock = names[Math.floor(c / workers) % names.length]!;
      if (c % 11 === 10) {
        // A write the resource rejected, and a client write that failed: neither adds anything.
        h.resWrite(lock, { worker: w, token: 1, accepted: false, basedOn: 0, fenced: true, maxToken: 2, reason: 'stale token 1 < 2' });
        h.op(100 + w, 'write', lock, 'fail', { add: -c, delayMs: 0 });
        continue;
      }
      if (serialized) {
        read(w, lock);
        write(w);
      } else if (pending.has(w)) write(w);
      else read(w, lock);
    }
    const lost = new Map<string, number[]>();
    for (const [name, s] of state) {
      const final = s.sets.get(s.current)!;
      const missing = s.adds.filter((a) => !final.has(a));
      if (missing.length > 0) lost.set(name, missing.sort((x, y) => x - y));
    }
    return { history: h.ops, lost, lostUpdates };
  }

  function lostByChecker(history: readonly Op[]): { lost: Map<string, number[]>; lostUpdates: number; valid: unknown } {
    const r = checkLostUpdates(history, { maxAnomalies: Infinity });
    const lost = new Map<string, number[]>();
    for (const a of r.anomalies) if (a.type === 'lost-element') lost.set(String(a.lock), [...(a.elements as number[])].sort((x, y) => x - y));
    assert.equal(r.anomalies.filter((a) => a.type === 'lost-update').length, r.stats.lostUpdates);
    return { lost, lostUpdates: r.stats.lostUpdates as number, valid: r.valid };
  }

  it('(c) serialized read-modify-writes lose nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.array(fc.nat({ max: 10_000 }), { maxLength: 40, size: 'max' }), (workers, locks, choices) => {
        const run = rmwRun(workers, locks, choices, true);
        assert.equal(run.lostUpdates, 0);
        const got = lostByChecker(run.history);
        assert.equal(got.valid, true, showHistory(run.history));
        assert.deepEqual([...got.lost], []);
        assert.equal(got.lostUpdates, 0);
      }),
      { seed: 0x5e41, numRuns: 200 },
    );
  });

  it('(c) under random interleavings the lost elements and lost updates equal a brute-force replay', () => {
    let lossy = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 2 }), fc.array(fc.nat({ max: 10_000 }), { maxLength: 40, size: 'max' }), (workers, locks, choices) => {
        const run = rmwRun(workers, locks, choices, false);
        const got = lostByChecker(run.history);
        assert.deepEqual([...got.lost].sort(), [...run.lost].sort(), showHistory(run.history));
        assert.equal(got.lostUpdates, run.lostUpdates);
        assert.equal(got.valid, run.lostUpdates === 0 && run.lost.size === 0);
        if (run.lost.size > 0) lossy++;
      }),
      { seed: 0x1057, numRuns: 400 },
    );
    assert.ok(lossy > 40, `only ${lossy} of 400 interleavings lost an element: the generator is too tame`);
  });
});

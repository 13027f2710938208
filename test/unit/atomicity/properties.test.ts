/**
 * Properties of the bank, set and counter checkers against obviously-correct references on small inputs:
 *
 * (a) bank: a simulated bank whose transfers and reads take effect atomically at one point between invocation and
 *     completion (random interleavings, fails, infos that took effect or not, even later) is always valid; with one
 *     injected lost update (a transfer whose debit or credit is overwritten), the wrong-total count is exactly the
 *     number of ok reads that took their snapshot after it;
 * (b) set: a simulated linearizable set store with random info and fail adds is valid (also as linearizable), its
 *     recovered count is the number of non-acknowledged elements that took effect; dropping one acknowledged
 *     element from the final read makes `lost` name exactly it, and adding a foreign one makes `unexpected` name
 *     exactly it; with a flaky replica whose reads drop elements, the stale elements equal a brute force;
 * (c) counter: on random small histories (any interleaving, any outcome, arbitrary read values) the out-of-bounds
 *     reads and their bounds equal a brute-force computation of the bounds from the raw records by definition;
 *     reads of a simulated atomic counter are always valid.
 *
 * Every property runs with a fixed seed; on failure fast-check prints the seed, the path and the shrunk input.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkBank } from '../../../checkers/bank.js';
import { checkCounter } from '../../../checkers/counter.js';
import type { Op, OpType } from '../../../checkers/history/types.js';
import type { Anomaly } from '../../../checkers/result.js';
import { checkSet } from '../../../checkers/set.js';
import { HistoryBuilder, rng, showHistory } from '../mutex/helpers.js';

type Outcome = 'ok' | 'fail' | 'info';

/** One client op between its invocation and completion in a simulation. */
interface InFlight {
  f: string;
  arg: unknown;
  /** The effect happened (at one atomic point) and what it returned. */
  applied: boolean;
  result?: unknown;
}

/**
 * Drives W workers through random steps: each step either invokes an op, applies an in-flight op's effect, or
 * completes it (ok only once applied; fail only if not; info either way, with unapplied info effects possibly
 * applied at a later step or never). After an info the worker continues as a fresh process.
 */
function simulate(o: {
  seed: number;
  workers: number;
  steps: number;
  invoke: (r: () => number) => { f: string; arg: unknown };
  apply: (op: InFlight, step: number) => unknown;
  pFail: number;
  pInfo: number;
  /** Appended after the random steps (e.g. a final read), applied atomically. */
  finale?: { f: string; arg: unknown };
}): Op[] {
  const r = rng(o.seed);
  const h = new HistoryBuilder(null);
  const procs = Array.from({ length: o.workers }, (_, i) => i);
  let nextProcess = o.workers;
  const inFlight = new Map<number, InFlight>();
  const ghosts: InFlight[] = []; // info ops whose effect may still happen
  const rec = (p: number | string, type: OpType, f: string, value: unknown) => h.rec(p, type, f, undefined, value);
  for (let step = 0; step < o.steps; step++) {
    const x = r();
    if (x < 0.03) {
      rec('nemesis', 'info', 'kill', null);
      continue;
    }
    if (x < 0.08 && ghosts.length > 0) {
      const g = ghosts.splice(Math.floor(r() * ghosts.length), 1)[0]!;
      o.apply(g, step);
      continue;
    }
    const w = Math.floor(r() * o.workers);
    const p = procs[w]!;
    const op = inFlight.get(p);
    if (!op) {
      const { f, arg } = o.invoke(r);
      inFlight.set(p, { f, arg, applied: false });
      rec(p, 'invoke', f, arg);
      continue;
    }
    if (!op.applied && r() < 0.5) {
      op.result = o.apply(op, step);
      op.applied = true;
      continue;
    }
    const y = r();
    const out: Outcome = y < o.pInfo ? 'info' : op.applied ? 'ok' : y < o.pInfo + o.pFail ? 'fail' : 'info';
    if (!op.applied && out === 'ok') throw new Error('simulation bug');
    inFlight.delete(p);
    if (out === 'ok') rec(p, 'ok', op.f, op.result === undefined ? op.arg : op.result);
    else if (out === 'fail') rec(p, 'fail', op.f, op.arg);
    else {
      rec(p, 'info', op.f, op.arg);
      if (!op.applied && r() < 0.5) ghosts.push(op);
      procs[w] = nextProcess++;
    }
  }
  if (o.finale) {
    const p = nextProcess++;
    rec(p, 'invoke', o.finale.f, o.finale.arg);
    rec(p, 'ok', o.finale.f, o.apply({ ...o.finale, applied: true }, o.steps));
  }
  return h.ops;
}

const simParams = {
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  workers: fc.integer({ min: 1, max: 5 }),
  steps: fc.integer({ min: 0, max: 200 }),
  pFail: fc.constantFrom(0, 0.1, 0.3),
  pInfo: fc.constantFrom(0, 0.1, 0.3),
};

const okReads = (h: readonly Op[], f = 'read') => h.filter((op) => op.type === 'ok' && op.f === f && typeof op.process === 'number');

// ---------------------------------------------------------------------------------------------------------------
// (a) bank

/** A correct bank (or one with a single lost update at `loseAt`): returns the history and the reads after the loss. */
function simulateBank(sim: { seed: number; workers: number; steps: number; pFail: number; pInfo: number }, accounts: number, total: number, loseAt: number | null, pairs: boolean) {
  const balances = Array.from({ length: accounts }, (_, i) => Math.floor(total / accounts) + (i < total % accounts ? 1 : 0));
  let lost: { step: number } | null = null;
  const readsAfterLoss = new Set<unknown>();
  const ops = simulate({
    ...sim,
    invoke: (r) => {
      if (r() < 0.6) {
        const from = Math.floor(r() * accounts);
        const to = (from + 1 + Math.floor(r() * (accounts - 1))) % accounts;
        return { f: 'transfer', arg: { from, to, amount: 1 + Math.floor(r() * 5) } };
      }
      return { f: 'read', arg: null };
    },
    apply: (op, step) => {
      if (op.f === 'read') {
        const snapshot = pairs ? balances.map((b, i) => [i, b]) : Object.fromEntries(balances.map((b, i) => [String(i), b]));
        if (lost) readsAfterLoss.add(snapshot);
        return snapshot;
      }
      const { from, to, amount } = op.arg as { from: number; to: number; amount: number };
      if (balances[from]! < amount) return { ...(op.arg as object), refused: true }; // no overdrafts: no effect
      const inject = loseAt !== null && !lost && step >= loseAt;
      if (inject) lost = { step };
      // The lost update: a concurrent stale write overwrote either the debit or the credit.
      if (!inject || step % 2 === 0) balances[from]! -= amount;
      if (!inject || step % 2 === 1) balances[to]! += amount;
      return op.arg;
    },
  });
  const wrongReads = okReads(ops).filter((op) => readsAfterLoss.has(op.value)).length;
  return { ops, wrongReads, injected: lost !== null };
}

describe('atomicity checkers: properties', () => {
  it('(a) bank: a simulated correct bank is always valid (total given or inferred)', () => {
    fc.assert(
      fc.property(fc.record({ ...simParams, accounts: fc.integer({ min: 2, max: 8 }), total: fc.integer({ min: 0, max: 100 }), pairs: fc.boolean() }), (s) => {
        const { ops } = simulateBank(s, s.accounts, s.total, null, s.pairs);
        const r = checkBank(ops, { accounts: s.accounts, total: s.total });
        const expected = okReads(ops).length > 0 ? true : 'unknown';
        assert.equal(r.valid, expected, `${r.explanation}\n${showHistory(ops)}`);
        assert.equal(checkBank(ops).valid, expected, 'total inferred from the first read');
        assert.equal(r.stats.okReads, okReads(ops).length);
      }),
      { seed: 0xba4c, numRuns: 300 },
    );
  });

  it('(a) bank: one lost update is detected in exactly the reads taken after it', () => {
    let detected = 0;
    fc.assert(
      fc.property(fc.record({ ...simParams, steps: fc.integer({ min: 1, max: 200 }), accounts: fc.integer({ min: 2, max: 8 }), loseAt: fc.nat(150), pairs: fc.boolean() }), (s) => {
        const { ops, wrongReads } = simulateBank(s, s.accounts, 100, s.loseAt, s.pairs);
        const r = checkBank(ops, { accounts: s.accounts, total: 100 });
        const wrong = r.anomalies.find((a: Anomaly) => a.type === 'wrong-total');
        assert.equal(wrong?.count ?? 0, wrongReads, `${r.explanation}\n${showHistory(ops)}`);
        assert.equal(r.valid, wrongReads > 0 ? false : okReads(ops).length > 0 ? true : 'unknown');
        assert.deepEqual(r.anomalies.map((a) => a.type), wrongReads > 0 ? ['wrong-total'] : []);
        if (wrongReads > 0) detected++;
      }),
      { seed: 0x1057, numRuns: 300 },
    );
    assert.ok(detected > 50, `the injection should be visible in many runs, was in ${detected}`);
  });

  // -------------------------------------------------------------------------------------------------------------
  // (b) set

  /** A linearizable set: adds of unique elements, atomic reads, a final read at the end. */
  function simulateSet(sim: { seed: number; workers: number; steps: number; pFail: number; pInfo: number }) {
    const store = new Set<number>();
    let next = 0;
    const ops = simulate({
      ...sim,
      invoke: (r) => (r() < 0.65 ? { f: 'add', arg: next++ } : { f: 'read', arg: null }),
      apply: (op) => {
        if (op.f === 'add') store.add(op.arg as number);
        else return [...store].sort((a, b) => a - b);
        return undefined;
      },
      finale: { f: 'read', arg: null },
    });
    return { ops, store };
  }

  it('(b) set: a simulated linearizable store with info and fail adds is valid; recovered = effects of unacknowledged adds', () => {
    fc.assert(
      fc.property(fc.record(simParams), (s) => {
        const { ops, store } = simulateSet(s);
        const r = checkSet(ops, { linearizable: true });
        assert.equal(r.valid, true, `${r.explanation}\n${showHistory(ops)}`);
        const acked = new Set(okReads(ops, 'add').map((op) => op.value));
        assert.equal(r.stats.recovered, [...store].filter((e) => !acked.has(e)).length);
        assert.deepEqual([r.stats.lost, r.stats.unexpected, r.stats.staleElements], [0, 0, 0]);
        assert.equal(r.stats.okElements, acked.size);
      }),
      { seed: 0x5e7, numRuns: 300 },
    );
  });

  it('(b) set: dropping an acknowledged element from the final read makes lost name exactly it; a foreign one is unexpected', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.record(simParams), fc.nat(), (s, pick) => {
        const { ops } = simulateSet(s);
        const acked = okReads(ops, 'add').map((op) => op.value as number);
        if (acked.length === 0) return;
        checked++;
        const victim = acked[pick % acked.length]!;
        const final = ops[ops.length - 1]!;
        const elems = final.value as number[];
        const dropped = [...ops.slice(0, -1), { ...final, value: elems.filter((e) => e !== victim) }];
        const r = checkSet(dropped);
        assert.equal(r.valid, false);
        assert.deepEqual(r.anomalies.map((a) => [a.type, a.elements, a.count]), [['lost', [victim], 1]]);
        const addOp = ops.find((op) => op.f === 'add' && op.type === 'ok' && op.value === victim)!;
        assert.ok((r.anomalies[0]!.ops as number[]).includes(addOp.index));
        const foreign = [...ops.slice(0, -1), { ...final, value: [...elems, -1] }];
        const u = checkSet(foreign);
        assert.deepEqual(u.anomalies.map((a) => [a.type, a.elements]), [['unexpected', [-1]]]);
      }),
      { seed: 0xd209, numRuns: 300 },
    );
    assert.ok(checked > 100, `too few histories with an acknowledged add: ${checked}`);
  });

  it('(b) set: stale elements equal a brute force over (ok add, later read) pairs when reads may miss elements', () => {
    fc.assert(
      fc.property(fc.record(simParams), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (s, seed) => {
        const r = rng(seed);
        const store = new Set<number>();
        let next = 0;
        const ops = simulate({
          ...s,
          invoke: (x) => (x() < 0.6 ? { f: 'add', arg: next++ } : { f: 'read', arg: null }),
          apply: (op, step) => {
            if (op.f === 'add') store.add(op.arg as number);
            // A flaky replica: non-final reads drop each element with probability 0.2.
            else return [...store].filter(() => step >= s.steps || r() >= 0.2);
            return undefined;
          },
          finale: { f: 'read', arg: null },
        });
        // Brute force: an acked element is stale if some ok read invoked after its add completed misses it.
        const pos = (index: number) => ops.findIndex((op) => op.index === index);
        const invokeOf = (c: number) => {
          for (let i = c - 1; i >= 0; i--) if (ops[i]!.process === ops[c]!.process && ops[i]!.type === 'invoke') return i;
          return -1;
        };
        const reads = okReads(ops).map((op) => ({ invoke: invokeOf(pos(op.index)), elems: op.value as number[] }));
        const stale = new Set<number>();
        for (const add of okReads(ops, 'add')) {
          const done = pos(add.index);
          if (reads.some((rd) => rd.invoke > done && !rd.elems.includes(add.value as number))) stale.add(add.value as number);
        }
        const res = checkSet(ops, { linearizable: true, maxElements: 1000 });
        assert.equal(res.stats.staleElements, stale.size, showHistory(ops));
        const reported = res.anomalies.find((a) => a.type === 'stale-read');
        assert.deepEqual(new Set((reported?.elements as number[] | undefined) ?? []), stale);
        assert.equal(res.valid, stale.size === 0);
      }),
      { seed: 0x57a1e, numRuns: 300 },
    );
  });

  // -------------------------------------------------------------------------------------------------------------
  // (c) counter

  /** A random counter history: each choice moves one worker (invoke, or complete with any outcome and any value). */
  function randomCounterHistory(workers: number, choices: readonly number[]): Op[] {
    const h = new HistoryBuilder(null);
    const procs = Array.from({ length: workers }, (_, i) => i);
    let next = workers;
    const inFlight = new Map<number, string>();
    for (const c of choices) {
      if (c % 23 === 22) {
        h.rec('nemesis', 'info', 'kill', undefined, null);
        continue;
      }
      const w = c % workers;
      const sub = Math.floor(c / workers);
      const p = procs[w]!;
      const f = inFlight.get(p);
      if (f === undefined) {
        const nf = sub % 2 === 0 ? 'add' : 'read';
        inFlight.set(p, nf);
        h.rec(p, 'invoke', nf, undefined, nf === 'add' ? Math.floor(sub / 2) % 4 : null);
        continue;
      }
      inFlight.delete(p);
      const t = (['ok', 'ok', 'fail', 'info'] as const)[sub % 4]!;
      h.rec(p, t, f, undefined, f === 'read' && t === 'ok' ? Math.floor(sub / 4) % 9 : null);
      if (t === 'info') procs[w] = next++;
    }
    return h.ops;
  }

  /** Bounds of every ok read straight from the definition, by scanning the raw records (quadratic, obviously right). */
  function bruteForceCounter(h: readonly Op[]): { index: number; value: number; lower: number; upper: number }[] {
    const client = (op: Op) => typeof op.process === 'number';
    const invokeOf = (c: number) => {
      for (let i = c - 1; i >= 0; i--) if (h[i]!.process === h[c]!.process && h[i]!.type === 'invoke') return i;
      throw new Error('no invoke');
    };
    const completionOf = (i: number) => {
      for (let c = i + 1; c < h.length; c++) if (h[c]!.process === h[i]!.process) return h[c]!;
      return undefined;
    };
    const out = [];
    for (let c = 0; c < h.length; c++) {
      const op = h[c]!;
      if (!client(op) || op.type !== 'ok' || op.f !== 'read') continue;
      const i = invokeOf(c);
      let lower = 0;
      let upper = 0;
      for (let q = 0; q < h.length; q++) {
        const x = h[q]!;
        if (!client(x) || x.f !== 'add') continue;
        if (x.type === 'ok' && q < i) lower += h[invokeOf(q)]!.value as number;
        if (x.type === 'invoke' && q < c && completionOf(q)?.type !== 'fail') upper += x.value as number;
      }
      out.push({ index: op.index, value: op.value as number, lower, upper });
    }
    return out;
  }

  it('(c) counter: out-of-bounds reads and their bounds equal a brute-force computation by definition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(400), { maxLength: 60 }), (workers, choices) => {
        const h = randomCounterHistory(workers, choices);
        const reads = bruteForceCounter(h);
        const bad = reads.filter((x) => x.value < x.lower || x.value > x.upper);
        const r = checkCounter(h, { maxReported: 1000 });
        const got = r.anomalies.map((a) => ({ index: a.ops[1], value: a.value, lower: a.lower, upper: a.upper }));
        assert.deepEqual(got, bad, showHistory(h));
        assert.equal(r.valid, bad.length > 0 ? false : reads.length > 0 ? true : 'unknown');
        assert.equal(r.stats.okReads, reads.length);
      }),
      { seed: 0xc0, numRuns: 500 },
    );
  });

  it('(c) counter: reads of a simulated atomic counter are always valid', () => {
    fc.assert(
      fc.property(fc.record(simParams), (s) => {
        let count = 0;
        const ops = simulate({
          ...s,
          invoke: (r) => (r() < 0.5 ? { f: 'add', arg: Math.floor(r() * 5) } : { f: 'read', arg: null }),
          apply: (op) => {
            if (op.f === 'add') count += op.arg as number;
            else return count;
            return undefined;
          },
        });
        const r = checkCounter(ops);
        assert.equal(r.valid, okReads(ops).length > 0 ? true : 'unknown', `${r.explanation}\n${showHistory(ops)}`);
      }),
      { seed: 0xadd, numRuns: 300 },
    );
  });
});

import assert from 'node:assert/strict';
import { checkCounter } from '../../../checkers/counter.js';
import type { Anomaly } from '../../../checkers/result.js';
import { HistoryBuilder } from '../mutex/helpers.js';

type Outcome = 'ok' | 'fail' | 'info';

/** Counter histories: `add n`, `read` returning the count. */
class Counter extends HistoryBuilder {
  add(p: number, n: unknown, type: Outcome = 'ok'): number {
    return this.op(p, 'add', undefined, type, n, n)[1];
  }
  read(p: number, v: unknown, type: Outcome = 'ok'): number {
    return this.op(p, 'read', undefined, type, null, type === 'ok' ? v : null)[1];
  }
  invokeAdd(p: number, n: number): number {
    return this.invoke(p, 'add', undefined, n);
  }
  invokeRead(p: number): number {
    return this.invoke(p, 'read', undefined);
  }
}

/** [lower, upper] of each out-of-bounds read, for compact assertions. */
const bounds = (as: Anomaly[]) => as.filter((a) => a.type === 'out-of-bounds').map((a) => [a.value, a.lower, a.upper]);

describe('counter checker', () => {
  it('accepts reads inside the bounds, at both ends', () => {
    const h = new Counter();
    h.read(0, 0);
    h.add(1, 2);
    h.read(0, 2);
    h.add(1, 3, 'info'); // may or may not have happened
    h.read(0, 2); // lower 2
    h.read(0, 5); // upper 5
    const r = checkCounter(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.checker, 'counter');
    assert.deepEqual(r.stats.adds, { invoked: 2, ok: 1, fail: 0, info: 1 });
    assert.equal(r.stats.okReads, 4);
  });

  it('an info add counts in the upper bound only', () => {
    const h = new Counter();
    h.add(1, 3, 'info');
    h.read(0, 4);
    h.read(0, -1);
    const r = checkCounter(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(bounds(r.anomalies), [
      [4, 0, 3],
      [-1, 0, 3],
    ]);
  });

  it('an add concurrent with the read counts in upper, not lower', () => {
    for (const v of [0, 5]) {
      const h = new Counter();
      h.invokeRead(0); // 0
      h.invokeAdd(1, 5); // 1
      h.ok(1, 'add', undefined, 5); // 2
      h.ok(0, 'read', undefined, v); // 3
      assert.equal(checkCounter(h.ops).valid, true, `read ${v}`);
    }
    // An add invoked after the read completed cannot be seen; one completed before the read began must be.
    const h = new Counter();
    h.add(1, 5); // 0,1
    h.invokeRead(0); // 2
    h.ok(0, 'read', undefined, 4); // 3: below 5
    h.invokeRead(0); // 4
    h.ok(0, 'read', undefined, 11); // 5: the next add is invoked after this
    h.add(1, 6);
    const r = checkCounter(h.ops);
    assert.deepEqual(bounds(r.anomalies), [
      [4, 5, 5],
      [11, 5, 5],
    ]);
  });

  it('a failed add never counts, even while in flight; an add that never completes counts in upper', () => {
    const h = new Counter();
    h.invokeAdd(1, 4); // 0: fails later
    h.invokeRead(0); // 1
    h.ok(0, 'read', undefined, 4); // 2: only a failed add could explain 4
    h.fail(1, 'add', undefined, 4); // 3
    h.invokeAdd(2, 7); // 4: never completes
    h.read(0, 7);
    const r = checkCounter(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(bounds(r.anomalies), [[4, 0, 0]]);
    const a = r.anomalies[0]!;
    assert.deepEqual(a.ops, [1, 2]);
    assert.equal(a.direction, 'above');
    assert.equal(
      a.explanation,
      'Read #2 returned 4, but all adds not known to have failed and invoked before it completed sum to only 0: ' +
        'the counter counted something nobody added, or an add that failed (allowed range 0..0).',
    );
  });

  it('explains a read below the lower bound', () => {
    const h = new Counter();
    h.add(1, 2);
    h.add(1, 3);
    const rd = h.read(0, 2);
    const r = checkCounter(h.ops);
    const a = r.anomalies[0]!;
    assert.equal(a.direction, 'below');
    assert.equal(a.explanation, `Read #${rd} returned 2, but adds summing to 5 had completed ok before it was invoked at #${rd - 1}: the counter went backwards or lost increments (allowed range 5..5).`);
    assert.match(r.explanation!, /^1 ok read of 1 fell outside the range the adds allow \(1 below, 0 above\)\. First: Read #5/);
  });

  it('caps the reported reads but counts them all', () => {
    const h = new Counter();
    h.add(1, 1);
    for (let i = 0; i < 5; i++) h.read(0, 0);
    const r = checkCounter(h.ops, { maxReported: 2 });
    assert.equal(r.anomalies.length, 2);
    assert.deepEqual([r.stats.errors, r.stats.reported], [5, 2]);
    assert.match(r.explanation!, /5 ok reads of 5 .*; the first 2 are reported/);
  });

  it('negative, fractional and non-numeric adds and non-integer reads are malformed, not crashes', () => {
    const h = new Counter();
    const neg = h.add(1, -2) - 1;
    const frac = h.add(1, 1.5) - 1;
    const str = h.add(1, 'one') - 1;
    const rd = h.read(0, '3');
    h.read(0, 0);
    const r = checkCounter(h.ops);
    assert.equal(r.valid, 'unknown');
    const m = r.anomalies.find((a) => a.type === 'malformed-op')!;
    assert.deepEqual(m.ops, [neg, frac, str, rd]);
    assert.match(m.explanation, /4 ops could not be checked .*#0: a negative add \(this counter only grows\): expected a non-negative integer; #2: add of 1.5: expected a non-negative integer; #4: add of "one"/);
    assert.deepEqual((m.problems as { index: number; problem: string }[])[3], { index: rd, problem: 'read value "3": expected the count as an integer' });
    h.read(0, 100);
    assert.equal(checkCounter(h.ops).valid, false, 'an out-of-bounds read still makes it false');
  });

  it('is unknown without an ok read; ignores nemesis ops and other fs', () => {
    const h = new Counter();
    h.add(1, 1);
    h.read(0, null, 'fail');
    h.nemesis();
    h.op(0, 'reset', undefined, 'ok', null, 0);
    const r = checkCounter(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /No read completed ok \(1 read invoked\)/);
    h.read(0, 1);
    assert.equal(checkCounter(h.ops).valid, true);
  });

  it('a history that cannot be paired is unknown with the reason', () => {
    const h = new Counter();
    h.ok(0, 'read', undefined, 1);
    const r = checkCounter(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /history is malformed: ok completion of read for process 0 with no invocation in flight/);
  });
});

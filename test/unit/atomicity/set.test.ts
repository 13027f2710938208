import assert from 'node:assert/strict';
import type { Anomaly } from '../../../checkers/result.js';
import { checkSet, type StaleRead } from '../../../checkers/set.js';
import { HistoryBuilder } from '../mutex/helpers.js';

type Outcome = 'ok' | 'fail' | 'info';

/** Set histories: `add` of one element, `read` returning the elements. */
class SetH extends HistoryBuilder {
  /** A whole add; returns the index of its completion. */
  add(p: number, v: unknown, type: Outcome = 'ok'): number {
    return this.op(p, 'add', undefined, type, v, v)[1];
  }
  read(p: number, elems: unknown, type: Outcome = 'ok'): number {
    return this.op(p, 'read', undefined, type, null, type === 'ok' ? elems : null)[1];
  }
}

function anomaly(r: { anomalies: Anomaly[] }, type: string): Anomaly {
  const a = r.anomalies.find((x) => x.type === type);
  assert.ok(a, `expected a ${type} anomaly, got ${r.anomalies.map((x) => x.type).join(', ') || 'none'}`);
  return a;
}

describe('set checker', () => {
  it('is valid when the final read holds every ok add; info adds that appear are recovered', () => {
    const h = new SetH();
    h.add(0, 1);
    h.add(0, 2);
    h.add(1, 3, 'info');
    h.add(2, 4, 'info');
    h.add(3, 5, 'fail');
    h.read(3, [1, 2, 3]);
    const r = checkSet(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.checker, 'set');
    assert.deepEqual(r.anomalies, []);
    assert.deepEqual([r.stats.lost, r.stats.unexpected, r.stats.recovered, r.stats.okElements, r.stats.finalSize], [0, 0, 1, 2, 3]);
    assert.deepEqual(r.stats.adds, { invoked: 5, ok: 2, fail: 1, info: 2 });
    assert.match(r.explanation!, /holds every one of the 2 acknowledged elements and nothing unexpected\.\n1 element whose adds were info or fail appeared/);
  });

  it('reports lost elements (ok adds missing from the final read) with the add ops and the final read', () => {
    const h = new SetH();
    const a1 = h.add(0, 1);
    const a2 = h.add(0, 2);
    const a3 = h.add(0, 3);
    h.read(1, [1, 2, 3]); // an earlier read had them all: only the final read counts
    const fin = h.read(1, [2]);
    const r = checkSet(h.ops);
    assert.equal(r.valid, false);
    const a = anomaly(r, 'lost');
    assert.deepEqual(a.elements, [1, 3]);
    assert.equal(a.count, 2);
    assert.deepEqual(a.ops, [a1, a3, fin]);
    assert.equal(a.explanation, `2 elements acknowledged by an ok add are missing from the final read #${fin}: 1 and 3 (added ok at #${a1} and #${a3}). The store lost acknowledged writes.`);
    assert.ok(!(a.ops as number[]).includes(a2));
  });

  it('reports unexpected elements that nobody tried to add', () => {
    const h = new SetH();
    h.add(0, 1);
    h.add(0, 2, 'fail');
    const fin = h.read(1, [1, 99, 'x', 99]);
    const r = checkSet(h.ops);
    assert.equal(r.valid, false);
    const a = anomaly(r, 'unexpected');
    assert.deepEqual(a.elements, [99, 'x']);
    assert.deepEqual(a.ops, [fin]);
    assert.match(a.explanation, /holds 2 elements that no client ever tried to add: 99 and "x"/);
  });

  it('uses the last ok read as the final read, not the last invoked', () => {
    const h = new SetH();
    h.add(0, 1);
    h.invoke(1, 'read', undefined); // 2: invoked first, completes last
    h.invoke(2, 'read', undefined); // 3
    h.ok(2, 'read', undefined, [1]); // 4
    const fin = h.ok(1, 'read', undefined, []); // 5
    h.read(3, null, 'fail');
    const r = checkSet(h.ops);
    assert.equal(r.stats.finalRead, fin);
    assert.equal(r.valid, false);
    assert.deepEqual(anomaly(r, 'lost').elements, [1]);
  });

  it('an ok add that completed after the final read began may be missing: not lost', () => {
    const h = new SetH();
    h.invoke(1, 'read', undefined); // 0: final read begins
    h.add(0, 7); // 1, 2
    h.ok(1, 'read', undefined, []); // 3
    const r = checkSet(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.concurrentWithFinalRead, 1);
    assert.match(r.explanation!, /1 ok add completed after the final read began and is missing from it; not counted as lost/);
  });

  it('counts a fail add that appears as recovered, and flags it only with failedAddsAreErrors', () => {
    const h = new SetH();
    const f = h.add(0, 5, 'fail');
    const fin = h.read(1, [5]);
    const r = checkSet(h.ops);
    assert.equal(r.valid, true);
    assert.equal(r.stats.recovered, 1);
    assert.deepEqual(r.stats.failedButPresent, { count: 1, elements: [5], ops: [f] });
    assert.match(r.explanation!, /had only failed adds \(5\), counted as recovered as Jepsen does/);
    const strict = checkSet(h.ops, { failedAddsAreErrors: true });
    assert.equal(strict.valid, false);
    assert.deepEqual(anomaly(strict, 'unexpected-failed-add').ops, [f, fin]);
  });

  it('stale reads: a read invoked after an ok add completed misses it; an anomaly only when linearizable', () => {
    const h = new SetH();
    const add = h.add(0, 1); // 0, 1
    h.invoke(2, 'read', undefined); // 2: concurrent with nothing that matters, invoked after the add completed
    const stale = h.ok(2, 'read', undefined, []); // 3
    h.read(2, []); // 4, 5: second miss
    h.read(3, [1]);
    const loose = checkSet(h.ops);
    assert.equal(loose.valid, true, loose.explanation);
    assert.equal(loose.stats.staleElements, 1);
    assert.match(loose.explanation!, /1 acknowledged element went missing from some later read before reappearing/);
    const r = checkSet(h.ops, { linearizable: true });
    assert.equal(r.valid, false);
    const a = anomaly(r, 'stale-read');
    assert.deepEqual(a.staleReads as StaleRead[], [{ element: 1, add, read: stale, misses: 2 }]);
    assert.deepEqual(a.ops, [add, stale]);
    assert.match(a.explanation, /1 acknowledged element went missing .*: 1 \(added ok at #1, missing from read #3 and 1 later\)/);
  });

  it('a read concurrent with the add that saw it does not excuse a later read that missed it', () => {
    const h = new SetH();
    h.invoke(0, 'add', undefined, 1); // 0
    h.invoke(1, 'read', undefined); // 1
    const add = h.ok(0, 'add', undefined, 1); // 2
    h.ok(1, 'read', undefined, [1]); // 3: saw it early
    const stale = h.read(1, []); // 4, 5
    h.read(1, [1]);
    const r = checkSet(h.ops, { linearizable: true });
    assert.equal(r.valid, false);
    assert.deepEqual(anomaly(r, 'stale-read').staleReads as StaleRead[], [{ element: 1, add, read: stale, misses: 1 }]);
  });

  it('a read invoked before the add completed may miss it: not stale', () => {
    const h = new SetH();
    h.invoke(0, 'add', undefined, 1); // 0
    h.invoke(1, 'read', undefined); // 1
    h.ok(0, 'add', undefined, 1); // 2
    h.ok(1, 'read', undefined, []); // 3
    h.read(1, [1]);
    const r = checkSet(h.ops, { linearizable: true });
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.staleElements, 0);
  });

  it('abbreviates long element lists to the first 20 and a count', () => {
    const h = new SetH();
    for (let i = 0; i < 30; i++) h.add(0, i);
    h.read(1, []);
    const a = anomaly(checkSet(h.ops), 'lost');
    assert.equal(a.count, 30);
    assert.equal((a.elements as unknown[]).length, 20);
    assert.equal((a.ops as number[]).length, 21);
    assert.match(a.explanation, /^30 elements .*: 0, 1, .*, 19 and 10 more \(added ok at/);
  });

  it('is unknown when no read completed ok', () => {
    const h = new SetH();
    h.add(0, 1);
    h.read(1, null, 'info');
    const r = checkSet(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.equal(r.stats.finalRead, null);
    assert.match(r.explanation!, /No read completed ok \(1 read invoked\)/);
  });

  it('reports malformed read values and null adds by index, never crashes', () => {
    const h = new SetH();
    h.add(0, 1);
    const nul = h.add(0, null);
    const bad = h.read(1, { 1: true });
    h.read(1, [1]);
    const r = checkSet(h.ops);
    assert.equal(r.valid, 'unknown');
    const m = anomaly(r, 'malformed-op');
    assert.deepEqual(m.ops, [nul - 1, bad]);
    assert.match(m.explanation, /read value \{"1":true\}: expected the elements as an array/);
    assert.match(m.explanation, /add of null: expected the element to add/);
    // Only a malformed final read: no final state at all.
    const only = new SetH();
    only.add(0, 1);
    only.read(1, 'oops');
    assert.equal(checkSet(only.ops).valid, 'unknown');
  });

  it('compares elements by content, accepts Sets, ignores nemesis ops and other fs', () => {
    const h = new SetH();
    h.nemesis('kill');
    h.add(0, { id: 1, tag: 'a' });
    h.add(0, [2, 3]);
    h.op(0, 'delete', undefined, 'ok', 9, 9);
    h.read(1, new Set([{ tag: 'a', id: 1 }, [2, 3]]));
    const r = checkSet(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.deepEqual(r.stats.adds, { invoked: 2, ok: 2, fail: 0, info: 0 });
  });
});

import assert from 'node:assert/strict';
import { pairHistory } from '../../../checkers/history/validate.js';
import { beliefIntervals, checkOverlap } from '../../../checkers/mutex/index.js';
import { HistoryBuilder } from './helpers.js';

describe('lock checker: overlap (belief intervals)', () => {
  it('reports two processes that believed they held the lock at once, with indexes and duration', () => {
    const h = new HistoryBuilder(); // 1 ms per record
    const [, aOk] = h.acquire(1, 'L', 1); // 0, 1
    const [, bOk] = h.acquire(2, 'L', 2); // 2, 3
    const [aRel] = h.release(1, 'L'); // 4, 5
    const [bRel] = h.release(2, 'L'); // 6, 7
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, false);
    assert.equal(r.checker, 'overlap');
    assert.equal(r.anomalies.length, 1);
    const a = r.anomalies[0]!;
    assert.equal(a.type, 'overlap');
    assert.deepEqual(a.ops, [aOk, bOk, aRel, bRel]);
    assert.deepEqual(a.processes, [1, 2]);
    assert.equal(a.lock, 'L');
    assert.deepEqual(a.intervals, [
      { process: 1, acquireOk: aOk, end: aRel, endedBy: 'release' },
      { process: 2, acquireOk: bOk, end: bRel, endedBy: 'release' },
    ]);
    assert.equal(a.overlapMs, 1); // from #3 (3 ms) to #4 (4 ms)
    assert.equal(
      a.explanation,
      'Processes 1 and 2 both believed they held lock L at the same time: process 1 from its acquire ok #1 until its release invoke #4, ' +
        'process 2 from its acquire ok #3 until its release invoke #6. Both held it from #3 to #4 (1 ms).',
    );
    assert.deepEqual(
      [r.stats.intervals, r.stats.overlappingPairs, r.stats.reportedPairs, r.stats.maxOverlapMs, r.stats.endedByRelease],
      [2, 1, 1, 1, 2],
    );
  });

  it('back-to-back holders do not overlap: the release was invoked before the next acquire completed', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1); // 0, 1
    h.invoke(1, 'release', 'L'); // 2: process 1 stops believing here
    h.invoke(2, 'acquire', 'L'); // 3
    h.ok(2, 'acquire', 'L', { token: 2 }); // 4
    h.ok(1, 'release', 'L'); // 5
    h.release(2, 'L');
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.intervals, 2);
    assert.equal(r.stats.overlappingPairs, 0);
  });

  it('a worker that dropped its client after an info believed until that info', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1); // 0, 1
    h.op(1, 'write', 'L', 'info', { add: 1, delayMs: 0 }); // 2, 3: process 1 is done
    h.acquire(2, 'L', 2); // 4, 5
    h.release(2, 'L');
    const ok = checkOverlap(h.ops);
    assert.equal(ok.valid, true, ok.explanation);
    assert.equal(ok.stats.endedByLastOp, 1);

    // The same, but the second grant completes while the write is still in flight.
    const g = new HistoryBuilder();
    const [, aOk] = g.acquire(1, 'L', 1); // 0, 1
    g.invoke(1, 'write', 'L', { add: 1, delayMs: 0 }); // 2
    const [, bOk] = g.acquire(2, 'L', 2); // 3, 4
    const aEnd = g.info(1, 'write', 'L'); // 5
    const [bRel] = g.release(2, 'L'); // 6, 7
    const r = checkOverlap(g.ops);
    assert.equal(r.valid, false);
    const a = r.anomalies[0]!;
    assert.deepEqual(a.ops, [aOk, bOk, aEnd, bRel]);
    assert.deepEqual(a.intervals, [
      { process: 1, acquireOk: aOk, end: aEnd, endedBy: 'last-op' },
      { process: 2, acquireOk: bOk, end: bRel, endedBy: 'release' },
    ]);
    assert.match(a.explanation, /until the completion #5 of its last op \(it never released\)/);
  });

  it('a last op still in flight keeps the belief open to the end of the history', () => {
    const h = new HistoryBuilder();
    const [, aOk] = h.acquire(1, 'L', 1); // 0, 1
    h.invoke(1, 'write', 'L', { add: 1, delayMs: 100 }); // 2: paused, never completes
    h.nemesis('pause'); // 3, 4
    const [, bOk] = h.acquire(2, 'L', 2); // 5, 6
    const [bRel] = h.release(2, 'L'); // 7, 8
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, false);
    const a = r.anomalies[0]!;
    assert.deepEqual(a.ops, [aOk, bOk, bRel]);
    assert.deepEqual((a.intervals as { endedBy: string; end: unknown }[]).map((i) => [i.endedBy, i.end]), [['in-flight', null], ['release', bRel]]);
    assert.equal(a.overlapMs, 1); // #6 (6 ms) to #7 (7 ms)
    assert.equal(r.stats.openAtEnd, 1);
  });

  it('counts every overlapping pair and reports at most maxPairs', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.acquire(2, 'L', 2);
    h.acquire(3, 'L', 3);
    h.release(1, 'L');
    h.release(2, 'L');
    h.release(3, 'L');
    const all = checkOverlap(h.ops);
    assert.equal(all.stats.overlappingPairs, 3);
    assert.deepEqual(all.anomalies.map((a) => a.processes), [[1, 2], [1, 3], [2, 3]]);
    const capped = checkOverlap(h.ops, { maxPairs: 1 });
    assert.equal(capped.valid, false);
    assert.equal(capped.anomalies.length, 1);
    assert.deepEqual([capped.stats.overlappingPairs, capped.stats.reportedPairs], [3, 1]);
    assert.match(capped.explanation!, /^3 pairs of processes believed .* \(first 1 reported\)/);
  });

  it('different locks never overlap; info and failed acquires are not beliefs; nemesis and resource records are ignored', () => {
    const h = new HistoryBuilder();
    h.nemesis('partition');
    h.acquire(1, 'A', 1);
    h.acquire(2, 'B', 1);
    h.acquire(3, 'A', null, 'info');
    h.acquire(4, 'A', null, 'fail');
    h.resWrite('A', { worker: 1, token: 1, accepted: true, basedOn: 0, version: 1, add: 5 });
    h.release(1, 'A');
    h.release(2, 'B');
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.deepEqual([r.stats.locks, r.stats.intervals], [2, 2]);
  });

  it('leaves out durations when the history has no times', () => {
    const h = new HistoryBuilder(null);
    h.acquire(1, 'L');
    h.acquire(2, 'L');
    h.release(1, 'L');
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, false);
    assert.equal('overlapMs' in r.anomalies[0]!, false);
    assert.equal(r.stats.maxOverlapMs, null);
  });

  it('beliefIntervals lists one interval per acquire ok', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1); // 0, 1
    h.release(1, 'L', 'fail'); // 2, 3: the belief ended when the release was invoked
    h.release(1, 'L'); // 4, 5
    h.acquire(1, 'L', 2); // 6, 7
    const iv = beliefIntervals(pairHistory(h.ops));
    assert.deepEqual(iv.map((b) => [b.process, b.acquireOk, b.end, b.endedBy]), [[1, 1, 2, 'release'], [1, 7, 7, 'last-op']]);
  });

  it('answers unknown, without throwing, for a malformed history', () => {
    const h = new HistoryBuilder();
    h.ok(1, 'acquire', 'L', { token: 1 }); // a completion with no invocation
    const r = checkOverlap(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /malformed: ok completion of acquire for process 1 with no invocation in flight/);
  });
});

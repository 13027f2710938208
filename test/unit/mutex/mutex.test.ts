import assert from 'node:assert/strict';
import { checkMutexLinearizable } from '../../../checkers/mutex/index.js';
import { HistoryBuilder } from './helpers.js';

describe('lock checker: mutex (linearizability per lock)', () => {
  it('accepts one holder at a time, with failed acquires in between', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.acquire(2, 'L', null, 'fail');
    h.release(1, 'L');
    h.acquire(2, 'L', 2);
    h.release(2, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.checker, 'mutex');
    assert.deepEqual(r.anomalies, []);
    assert.equal(r.stats.locks, 1);
    assert.equal(r.stats.acquires, 3);
    assert.equal(r.stats.releases, 2);
    assert.equal(r.stats.failedOps, 1);
    assert.equal(r.stats.holds, 2);
  });

  it('rejects a grant while the previous holder still held the lock (it released successfully later)', () => {
    const h = new HistoryBuilder();
    const [a1] = h.acquire(1, 'L', 1); // 0, 1
    const [b1] = h.acquire(2, 'L', 2); // 2, 3
    h.release(1, 'L'); // 4, 5: process 1 still held it here
    h.release(2, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, false);
    assert.equal(r.anomalies.length, 1);
    const a = r.anomalies[0]!;
    assert.equal(a.type, 'nonlinearizable');
    assert.equal(a.lock, 'L');
    assert.deepEqual(a.ops, [b1]);
    assert.equal(a.blocking, b1);
    assert.deepEqual(a.prefix, [a1]);
    assert.equal(a.state, 'held by process 1 (acquire #0)');
    assert.match(a.explanation, /^Lock L: /);
    assert.match(a.explanation, /#2 process 2 acquire -> ok: impossible in state held by process 1 \(acquire #0\)/);
    assert.equal(r.explanation, a.explanation);
    assert.equal(r.stats.nonlinearizableLocks, 1);
  });

  it('a release that found the lease lapsed ({wasHeld:false}) explains a grant to someone else meanwhile', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1); // 0, 1
    const [b] = h.acquire(2, 'L', 2); // 2, 3
    h.release(1, 'L', 'ok', { wasHeld: false }); // 4, 5
    h.release(2, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.lapsedReleases, 1);
    // Strictly (no leases) process 1 held the lock until its release, so process 2's grant is impossible.
    const strict = checkMutexLinearizable(h.ops, { leases: false });
    assert.equal(strict.valid, false);
    assert.equal(strict.stats.leases, false);
    assert.deepEqual(strict.anomalies.map((a) => [a.type, a.ops, a.blocking]), [['nonlinearizable', [b], b]]);
    assert.match(strict.anomalies[0]!.explanation, /strict: holds end only by release/);
  });

  it('a lapsed lease explains one extra grant, not two: the counterexample names the real records', () => {
    const h = new HistoryBuilder();
    const [a1] = h.acquire(1, 'L', 1); // 0, 1
    const [b1] = h.acquire(2, 'L', 2); // 2, 3: fine if process 1's lease lapsed first
    const [c1] = h.acquire(3, 'L', 3); // 4, 5: impossible, process 2 released successfully later
    h.release(2, 'L'); // 6, 7
    const [rel1] = h.release(1, 'L', 'ok', { wasHeld: false }); // 8, 9
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, false);
    const a = r.anomalies[0]!;
    assert.deepEqual(a.ops, [c1]);
    assert.equal(a.blocking, c1);
    // The implied lapse of process 1's lease is reported as its release record #8.
    assert.deepEqual(a.prefix, [a1, rel1, b1]);
    assert.equal(a.state, 'held by process 2 (acquire #2)');
  });

  it('explains an implied lease end in words, without internal process names', () => {
    const h = new HistoryBuilder();
    const [a1] = h.acquire(1, 'L', 1); // 0, 1
    const [rel1] = h.release(1, 'L', 'ok', { wasHeld: false }); // 2, 3
    const [stray] = h.release(4, 'L'); // 4, 5: process 4 never acquired
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, false);
    const a = r.anomalies[0]!;
    assert.deepEqual([a.ops, a.blocking, a.prefix, a.state], [[stray], stray, [a1, rel1], 'free']);
    assert.equal(r.stats.strayReleases, 1);
    assert.match(a.explanation, /ending with release #2 by process 1 -> ok \{wasHeld: false\} \(its hold from #0 lapsed at some instant after #0\); the state is then free/);
    assert.match(a.explanation, /#4 process 4 release -> ok \(this process held nothing: no granted or pending acquire\): impossible in state free/);
    assert.doesNotMatch(a.explanation, /lease@/);
  });

  it('an abandoned hold (the worker dropped the client after an info) may lapse', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.op(1, 'read', 'L', 'info'); // the worker continues as process 11
    h.acquire(11, 'L', null, 'fail');
    const [again] = h.acquire(11, 'L', 2);
    h.release(11, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.unreleasedHolds, 1);
    const strict = checkMutexLinearizable(h.ops, { leases: false });
    assert.equal(strict.valid, false);
    assert.deepEqual(strict.anomalies[0]!.ops, [again]);
  });

  it('an info acquire may have taken the lock, or not', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', null, 'info'); // may hold it: the worker moves on as process 11
    h.acquire(2, 'L', 2);
    h.release(2, 'L');
    h.acquire(11, 'L', 3);
    h.release(11, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.holds, 3);
    // Strict: fine as well, since the info acquire may never have happened.
    assert.equal(checkMutexLinearizable(h.ops, { leases: false }).valid, true);
  });

  it('an info release or a failed one then retried', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.release(1, 'L', 'fail'); // certainly not released: retried
    h.release(1, 'L');
    h.acquire(2, 'L', 2);
    h.release(2, 'L', 'info'); // unknown: process 2 is done
    h.acquire(3, 'L', 3);
    h.release(3, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.failedOps, 1);
  });

  it('checks every lock on its own and combines the verdicts', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'A', 1);
    h.acquire(2, 'B', 1); // another lock: no conflict
    h.release(2, 'B');
    h.release(1, 'A');
    h.acquire(3, 'B', 2); // 8, 9
    const [bad] = h.acquire(4, 'B', 3); // 10, 11
    h.release(3, 'B');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, false);
    assert.equal(r.stats.locks, 2);
    assert.deepEqual((r.stats.perLock as { lock: unknown; verdict: unknown }[]).map((l) => [l.lock, l.verdict]), [['A', true], ['B', false]]);
    assert.deepEqual(r.anomalies.map((a) => [a.lock, a.ops]), [['B', [bad]]]);
  });

  it('ignores nemesis, resource and non-lock client records', () => {
    const h = new HistoryBuilder();
    h.nemesis('start-partition');
    h.acquire(1, 'L', 1);
    h.op(1, 'read', 'L', 'ok', null, { version: 0, counter: 0 });
    h.resRead('L', { worker: 1, token: 1, accepted: true, version: 0 });
    h.nemesis('stop-partition');
    h.release(1, 'L');
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.acquires, 1);
  });

  it('answers unknown when the time budget runs out', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.release(1, 'L');
    const r = checkMutexLinearizable(h.ops, { timeBudgetMs: 0 });
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /time budget exhausted \(1 of 1 locks\)/);
    assert.equal(r.stats.unknownLocks, 1);
  });

  it('answers unknown, without throwing, for a malformed history', () => {
    const h = new HistoryBuilder();
    h.invoke(1, 'acquire', 'L');
    h.invoke(1, 'release', 'L'); // a process runs one op at a time
    const r = checkMutexLinearizable(h.ops);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /malformed: .*process 1 invokes release while its acquire .* is still in flight/);
  });

  it('an empty history is valid', () => {
    const r = checkMutexLinearizable([]);
    assert.equal(r.valid, true);
    assert.equal(r.stats.locks, 0);
  });
});

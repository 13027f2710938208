import assert from 'node:assert/strict';
import { checkFencing, checkLocks, checkLostUpdates, checkMutexLinearizable, checkOverlap, LOCK_CHECKERS } from '../../../checkers/mutex/index.js';
import { GuardedResource } from '../../../workloads/lock/guarded-resource.js';
import { HistoryBuilder } from './helpers.js';

/**
 * Kleppmann's "pause while holding", recorded as the lock workload does, with the harness's real GuardedResource
 * writing the resource records: process 1 takes the lock (token 1) and reads, is paused past its lease; process 2
 * takes the lock (token 2), reads, writes and releases; process 1 wakes, writes back what it computed from its old
 * read and releases, learning its lease had lapsed.
 */
function pauseWhileHolding(fenced: boolean) {
  const h = new HistoryBuilder();
  const resource = new GuardedResource(fenced, (rec) => void h.rec(rec.process, rec.type, rec.f, rec.key, rec.value));
  const at = () => h.ops.length;
  const rw = (p: number, token: number, f: 'read' | 'write', basedOn?: number, add?: number) => {
    h.invoke(p, f, 'lock-0', f === 'write' ? { add, delayMs: 40 } : null);
    const record = at();
    const reply = resource.apply({ op: f, lock: 'lock-0', worker: p, token, ...(basedOn !== undefined ? { basedOn, add } : {}) });
    const done = reply.accepted ? h.ok(p, f, 'lock-0', f === 'write' ? { add, version: reply.version } : { version: reply.version, counter: reply.counter }) : h.fail(p, f, 'lock-0');
    return { record, done, reply };
  };
  const [, aOk] = h.acquire(1, 'lock-0', 1);
  const aRead = rw(1, 1, 'read');
  const pause = h.nemesis('pause'); // SIGSTOP process 1 for longer than the lease
  const [, bOk] = h.acquire(2, 'lock-0', 2);
  const bRead = rw(2, 2, 'read');
  const bWrite = rw(2, 2, 'write', bRead.reply.version, 2000001);
  const [bRel] = h.release(2, 'lock-0');
  const aWrite = rw(1, 1, 'write', aRead.reply.version, 1000001); // based on version 0: stale
  const [aRel] = h.release(1, 'lock-0', 'ok', { wasHeld: false });
  return { h, aOk, aRead, pause, bOk, bRead, bWrite, bRel, aWrite, aRel };
}

describe('lock checkers: index and checkLocks', () => {
  it('LOCK_CHECKERS maps the checker names to the four functions', () => {
    assert.deepEqual(Object.keys(LOCK_CHECKERS), ['mutex', 'overlap', 'fencing', 'lost-update']);
    assert.equal(LOCK_CHECKERS.mutex, checkMutexLinearizable);
    assert.equal(LOCK_CHECKERS.overlap, checkOverlap);
    assert.equal(LOCK_CHECKERS.fencing, checkFencing);
    assert.equal(LOCK_CHECKERS['lost-update'], checkLostUpdates);
    for (const [name, check] of Object.entries(LOCK_CHECKERS)) assert.equal(check([]).checker, name);
    assert.ok(Object.isFrozen(LOCK_CHECKERS));
  });

  it('pause while holding, unfenced: overlap, a stale token accepted, a lost update; the lock service itself is fine', () => {
    const s = pauseWhileHolding(false);
    const r = checkLocks(s.h.ops);
    assert.equal(r.valid, false);
    assert.equal(r.checker, 'locks');
    assert.deepEqual(
      Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, v.valid])),
      { mutex: true, overlap: false, fencing: false, 'lost-update': false },
    );
    assert.deepEqual(
      r.anomalies.map((a) => [a.checker, a.type, a.ops]),
      [
        ['overlap', 'overlap', [s.aOk, s.bOk, s.bRel, s.aRel]],
        ['fencing', 'stale-token-accepted', [s.bRead.record, s.aWrite.record]],
        ['lost-update', 'lost-update', [s.aWrite.record, s.bWrite.record]],
        ['lost-update', 'lost-element', [s.bWrite.record, s.bWrite.done]],
      ],
    );
    assert.deepEqual(r.results['lost-update'].anomalies[1]!.elements, [2000001]);
    assert.deepEqual(Object.keys(r.stats), ['mutex', 'overlap', 'fencing', 'lost-update']);
    assert.match(r.explanation!, /^mutex: valid\noverlap: INVALID \(1 pair of processes believed they held the same lock at the same time\.\)\nfencing: INVALID/);
  });

  it('pause while holding, fenced: the stale write is rejected, so nothing is lost, but the beliefs still overlapped', () => {
    const s = pauseWhileHolding(true);
    assert.equal(s.aWrite.reply.accepted, false);
    const r = checkLocks(s.h.ops);
    assert.deepEqual(
      Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, v.valid])),
      { mutex: true, overlap: false, fencing: true, 'lost-update': true },
    );
    assert.equal(r.results.fencing.stats.staleRejected, 1);
    assert.equal(r.results.fencing.stats.fenced, true);
    assert.deepEqual([r.results['lost-update'].stats.writesAccepted, r.results['lost-update'].stats.writesRejected, r.results['lost-update'].stats.finalCounter], [1, 1, 1]);
    assert.deepEqual(r.anomalies.map((a) => a.type), ['overlap']);
  });

  it('passes per-checker options through and is unknown when only a budget ran out', () => {
    const h = new HistoryBuilder();
    h.acquire(1, 'L', 1);
    h.release(1, 'L');
    const r = checkLocks(h.ops, { mutex: { timeBudgetMs: 0 } });
    assert.equal(r.valid, 'unknown');
    assert.equal(r.results.mutex.valid, 'unknown');
    assert.equal(r.results.fencing.explanation, 'Fencing held: no stale token accepted (0 stale accesses rejected), and granted tokens grew with every grant.');
  });
});

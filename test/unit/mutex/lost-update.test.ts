import assert from 'node:assert/strict';
import { checkLostUpdates, type LostUpdateLockSummary } from '../../../checkers/mutex/index.js';
import { HistoryBuilder } from './helpers.js';

/** One worker's read-modify-write as the workload records it: read op + resource read, write op + resource write. */
function rmw(h: HistoryBuilder, p: number, key: string, basedOn: number, version: number, add: number): { read: number; write: number; ack: number } {
  h.invoke(p, 'read', key);
  const read = h.resRead(key, { worker: p, token: null, accepted: true, version: basedOn, fenced: false });
  h.ok(p, 'read', key, { version: basedOn, counter: basedOn });
  h.invoke(p, 'write', key, { add, delayMs: 0 });
  const write = h.resWrite(key, { worker: p, token: null, accepted: true, basedOn, version, add, fenced: false });
  const ack = h.ok(p, 'write', key, { add, version });
  return { read, write, ack };
}

describe('lock checker: lost-update (resource replay)', () => {
  it('accepts serial read-modify-writes', () => {
    const h = new HistoryBuilder();
    rmw(h, 1, 'L', 0, 1, 1000001);
    h.nemesis('kill');
    rmw(h, 2, 'L', 1, 2, 2000001);
    rmw(h, 1, 'L', 2, 3, 1000002);
    const r = checkLostUpdates(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.checker, 'lost-update');
    assert.deepEqual(
      [r.stats.writesAccepted, r.stats.finalCounter, r.stats.expectedCounter, r.stats.lostUpdates, r.stats.lostElements, r.stats.acknowledgedWrites],
      [3, 3, 3, 0, 0, 3],
    );
  });

  it('reports a write based on an old version (lost update) and the element it erased (lost element)', () => {
    const h = new HistoryBuilder();
    // Both workers read version 0; worker 1 writes first, worker 2 then writes back on top of version 0.
    h.invoke(1, 'read', 'L');
    h.resRead('L', { worker: 1, token: null, accepted: true, version: 0, fenced: false });
    h.ok(1, 'read', 'L', { version: 0, counter: 0 });
    h.invoke(2, 'read', 'L');
    h.resRead('L', { worker: 2, token: null, accepted: true, version: 0, fenced: false });
    h.ok(2, 'read', 'L', { version: 0, counter: 0 });
    h.invoke(1, 'write', 'L', { add: 1000001, delayMs: 0 });
    const w1 = h.resWrite('L', { worker: 1, token: null, accepted: true, basedOn: 0, version: 1, add: 1000001, fenced: false });
    const ack1 = h.ok(1, 'write', 'L', { add: 1000001, version: 1 });
    h.invoke(2, 'write', 'L', { add: 2000001, delayMs: 0 });
    const w2 = h.resWrite('L', { worker: 2, token: null, accepted: true, basedOn: 0, version: 2, add: 2000001, fenced: false });
    h.ok(2, 'write', 'L', { add: 2000001, version: 2 });
    const r = checkLostUpdates(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalies.map((a) => [a.type, a.ops]), [
      ['lost-update', [w2, w1]],
      ['lost-element', [w1, ack1]],
    ]);
    const lu = r.anomalies[0]!;
    const le = r.anomalies[1]!;
    assert.deepEqual([lu.write, lu.basedOn, lu.current, lu.version, lu.add], [w2, 0, 1, 2, 2000001]);
    assert.deepEqual(lu.overwritten, [{ index: w1, version: 1, worker: 1, add: 1000001 }]);
    assert.equal(
      lu.explanation,
      `Lock L: write #${w2} (worker 2, token none, add 2000001) was based on version 0, but version 1 was current, so it overwrote 1 update: ` +
        `#${w1} (version 1, worker 1, add 1000001). Its writer read the resource before that write and wrote back after it: the lock did not keep them apart.`,
    );
    assert.deepEqual(le.elements, [1000001]);
    assert.equal(
      le.explanation,
      `Lock L: 1 element added by accepted or acknowledged writes is missing from the final set (version 2, counter 1 after 2 accepted writes): 1000001 (#${w1}). ` +
        'Later writes based on older versions replaced it: mutual exclusion failed.',
    );
    assert.deepEqual(
      [r.stats.writesAccepted, r.stats.finalCounter, r.stats.expectedCounter, r.stats.lostUpdates, r.stats.lostElements],
      [2, 1, 2, 1, 1],
    );
    assert.equal(r.explanation, '1 lost update and 1 lost element.');
  });

  it('names every write a stale write-back overwrote', () => {
    const h = new HistoryBuilder();
    rmw(h, 1, 'L', 0, 1, 11);
    const b = rmw(h, 2, 'L', 1, 2, 21);
    const c = rmw(h, 3, 'L', 2, 3, 31);
    const d = rmw(h, 4, 'L', 1, 4, 41); // read version 1 long ago
    const r = checkLostUpdates(h.ops);
    assert.deepEqual(r.anomalies.map((a) => [a.type, a.ops]), [
      ['lost-update', [d.write, b.write, c.write]],
      ['lost-element', [b.write, b.ack, c.write, c.ack].sort((x, y) => x - y)],
    ]);
    assert.deepEqual(r.anomalies[1]!.elements, [21, 31]);
    assert.deepEqual([r.stats.finalCounter, r.stats.expectedCounter], [2, 4]);
  });

  it('follows branches: a write based on an overwritten version brings that version\'s elements back', () => {
    const h = new HistoryBuilder();
    const a = rmw(h, 1, 'L', 0, 1, 1);
    const b = rmw(h, 2, 'L', 0, 2, 2); // overwrites version 1
    const c = rmw(h, 3, 'L', 1, 3, 3); // based on the dead version 1: overwrites version 2 only
    const r = checkLostUpdates(h.ops);
    assert.deepEqual(r.anomalies.map((x) => [x.type, x.ops]), [
      ['lost-update', [b.write, a.write]],
      ['lost-update', [c.write, b.write]],
      ['lost-element', [b.write, b.ack]],
    ]);
    assert.deepEqual(r.anomalies[2]!.elements, [2]);
    assert.deepEqual([r.stats.finalCounter, r.stats.lostUpdates, r.stats.lostElements], [2, 2, 1]);
  });

  it('counts an element acknowledged to a client but never logged by the resource as lost', () => {
    const h = new HistoryBuilder();
    rmw(h, 1, 'L', 0, 1, 10);
    h.invoke(2, 'write', 'L', { add: 99, delayMs: 0 });
    const ack = h.ok(2, 'write', 'L', { version: 7 }); // add taken from the invocation
    const r = checkLostUpdates(h.ops);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalies.map((a) => [a.type, a.ops, a.elements]), [['lost-element', [ack], [99]]]);
    assert.match(r.anomalies[0]!.explanation, /1 of them was acknowledged to a client but never logged by the resource\. The resource never applied it\.$/);
  });

  it('ignores rejected writes, resource reads, failed and info client writes', () => {
    const h = new HistoryBuilder();
    rmw(h, 1, 'L', 0, 1, 10);
    h.invoke(2, 'write', 'L', { add: 20, delayMs: 0 });
    h.resWrite('L', { worker: 2, token: 3, accepted: false, basedOn: 0, maxToken: 4, reason: 'stale token 3 < 4' });
    h.fail(2, 'write', 'L');
    h.invoke(3, 'write', 'L', { add: 30, delayMs: 0 });
    h.info(3, 'write', 'L'); // never reached the resource
    const r = checkLostUpdates(h.ops);
    assert.equal(r.valid, true, r.explanation);
    assert.deepEqual([r.stats.writesAccepted, r.stats.writesRejected, r.stats.acknowledgedWrites], [1, 1, 1]);
  });

  it('abbreviates long lists of lost elements but keeps them all in the anomaly', () => {
    const h = new HistoryBuilder();
    for (let i = 1; i <= 15; i++) h.resWrite('L', { worker: i, token: null, accepted: true, basedOn: 0, version: i, add: i, fenced: false });
    const r = checkLostUpdates(h.ops);
    const le = r.anomalies.find((a) => a.type === 'lost-element')!;
    assert.equal((le.elements as number[]).length, 14); // all but the last write's element
    assert.match(le.explanation, /1 \(#0\), 2 \(#1\), .*10 \(#9\) and 4 more\./);
    assert.equal(r.stats.lostUpdates, 14);
    const capped = checkLostUpdates(h.ops, { maxAnomalies: 3, maxListed: 2 });
    assert.equal(capped.anomalies.filter((a) => a.type === 'lost-update').length, 3);
    assert.match(capped.anomalies.find((a) => a.type === 'lost-element')!.explanation, /1 \(#0\), 2 \(#1\) and 12 more\./);
  });

  it('checks locks separately', () => {
    const h = new HistoryBuilder();
    rmw(h, 1, 'A', 0, 1, 1);
    const first = rmw(h, 2, 'B', 0, 1, 2); // version 1 of another lock
    const lost = rmw(h, 3, 'B', 0, 2, 3);
    const r = checkLostUpdates(h.ops);
    assert.deepEqual(r.anomalies.map((a) => [a.type, a.lock, a.ops]), [
      ['lost-update', 'B', [lost.write, first.write]],
      ['lost-element', 'B', [first.write, first.ack]],
    ]);
    const per = r.stats.perLock as LostUpdateLockSummary[];
    assert.deepEqual(per.map((l) => [l.lock, l.writesAccepted, l.finalCounter, l.lostElements]), [['A', 1, 1, 0], ['B', 2, 1, 1]]);
  });

  describe('malformed records', () => {
    it('an unknown basedOn makes the lock unknown with a clear reason, never a throw', () => {
      const h = new HistoryBuilder();
      rmw(h, 1, 'L', 0, 1, 1);
      h.resWrite('L', { worker: 2, token: null, accepted: true, basedOn: 7, version: 2, add: 2, fenced: false });
      rmw(h, 3, 'L', 0, 3, 3); // after the bad record: not replayed
      const r = checkLostUpdates(h.ops);
      assert.equal(r.valid, 'unknown');
      assert.deepEqual(r.anomalies, []);
      assert.equal(r.stats.undecidedLocks, 1);
      assert.match(r.explanation!, /^Could not decide: 1 lock could not be replayed: resource write #6 on lock L: "basedOn" is 7, which is not a version the resource had created/);
    });

    it('names a version created twice, a missing version or add, and an unreadable write record', () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ basedOn: 0, version: 1, add: 5 }, /creates version 1, which was already created by #0/],
        [{ basedOn: 1, add: 5 }, /accepted, but "version" is undefined/],
        [{ basedOn: 1, version: 2 }, /accepted, but has no "add"/],
      ];
      for (const [value, pattern] of cases) {
        const h = new HistoryBuilder();
        h.resWrite('L', { worker: 1, token: null, accepted: true, basedOn: 0, version: 1, add: 1 });
        h.rec('resource', 'info', 'write', 'L', { worker: 2, token: null, accepted: true, fenced: true, maxToken: null, ...value });
        const r = checkLostUpdates(h.ops);
        assert.equal(r.valid, 'unknown', JSON.stringify(value));
        assert.match(r.explanation!, pattern);
      }
      const h = new HistoryBuilder();
      h.rec('resource', 'info', 'write', 'L', { worker: 2, accepted: 'yes' });
      const r = checkLostUpdates(h.ops);
      assert.equal(r.valid, 'unknown');
      assert.match(r.explanation!, /resource record #0: "accepted" is "yes": expected true or false/);
    });

    it('a lost update found before the bad record still makes the verdict invalid', () => {
      const h = new HistoryBuilder();
      const a = rmw(h, 1, 'L', 0, 1, 1);
      const b = rmw(h, 2, 'L', 0, 2, 2);
      h.resWrite('L', { worker: 3, token: null, accepted: true, basedOn: 99, version: 3, add: 3 });
      const r = checkLostUpdates(h.ops);
      assert.equal(r.valid, false);
      assert.deepEqual(r.anomalies.map((x) => [x.type, x.ops]), [['lost-update', [b.write, a.write]]]);
      assert.match(r.explanation!, /Also, 1 lock could not be replayed/);
    });

    it('acknowledged writes without any resource log are unknown, not lost', () => {
      const h = new HistoryBuilder();
      h.op(1, 'write', 'L', 'ok', { add: 1, delayMs: 0 }, { add: 1, version: 1 });
      const r = checkLostUpdates(h.ops);
      assert.equal(r.valid, 'unknown');
      assert.match(r.explanation!, /1 write was acknowledged to clients but the resource logged no write for it: cannot replay/);
    });

    it('no writes at all is valid', () => {
      const r = checkLostUpdates([]);
      assert.equal(r.valid, true);
      assert.equal(r.explanation, 'no resource writes: nothing to check');
    });
  });
});

import assert from 'node:assert/strict';
import { checkFencing, NO_TOKENS } from '../../../checkers/mutex/index.js';
import { HistoryBuilder } from './helpers.js';

describe('lock checker: fencing (tokens)', () => {
  describe('the resource', () => {
    it('flags an accepted record whose token is lower than one accepted before (unfenced resource)', () => {
      const h = new HistoryBuilder();
      const newer = h.resWrite('L', { worker: 2, token: 34, accepted: true, basedOn: 0, version: 1, add: 2000001, fenced: false });
      h.nemesis('resume');
      const stale = h.resWrite('L', { worker: 1, token: 33, accepted: true, basedOn: 0, version: 2, add: 1000001, fenced: false, maxToken: 34 });
      const r = checkFencing(h.ops);
      assert.equal(r.valid, false);
      assert.equal(r.checker, 'fencing');
      assert.deepEqual(r.anomalies.map((a) => [a.type, a.ops]), [['stale-token-accepted', [newer, stale]]]);
      const a = r.anomalies[0]!;
      assert.deepEqual([a.lock, a.f, a.worker, a.token, a.maxToken, a.maxTokenAt, a.fenced], ['L', 'write', 1, 33, 34, newer, false]);
      assert.equal(
        a.explanation,
        'Lock L: the resource accepted write #3 (worker 1, token 33) although it had already accepted token 34 at write #0 (worker 2). ' +
          'The resource is not fenced, so nothing stopped it: a holder with an older grant touched the resource after a newer holder had, so the lock did not exclude it.',
      );
      assert.deepEqual([r.stats.accepted, r.stats.staleAccepted, r.stats.staleRejected, r.stats.fenced, r.stats.tokensSeen], [2, 1, 0, false, 2]);
    });

    it('counts a rejected stale record as fencing working', () => {
      const h = new HistoryBuilder();
      h.resRead('L', { worker: 2, token: 34, accepted: true, version: 0 });
      h.resWrite('L', { worker: 2, token: 34, accepted: true, basedOn: 0, version: 1, add: 2000001 });
      h.resRead('L', { worker: 1, token: 33, accepted: false, maxToken: 34, reason: 'stale token 33 < 34' });
      h.resWrite('L', { worker: 1, token: 33, accepted: false, basedOn: 0, maxToken: 34, reason: 'stale token 33 < 34' });
      const r = checkFencing(h.ops);
      assert.equal(r.valid, true, r.explanation);
      assert.deepEqual(r.anomalies, []);
      assert.deepEqual([r.stats.accepted, r.stats.rejected, r.stats.staleRejected, r.stats.staleAccepted, r.stats.fenced, r.stats.applicable], [2, 2, 2, 0, true, true]);
      assert.match(r.explanation!, /no stale token accepted \(2 stale accesses rejected\)/);
    });

    it('a fenced read raises the bar for writes; equal tokens are fine; a fenced resource accepting stale is its bug', () => {
      const h = new HistoryBuilder();
      const read = h.resRead('L', { worker: 2, token: 34, accepted: true, version: 0 });
      h.resRead('L', { worker: 2, token: 34, accepted: true, version: 0 }); // same holder again: fine
      const stale = h.resWrite('L', { worker: 1, token: 33, accepted: true, basedOn: 0, version: 1, add: 7 });
      const r = checkFencing(h.ops);
      assert.deepEqual(r.anomalies.map((a) => [a.type, a.ops]), [['stale-token-accepted', [read, stale]]]);
      assert.match(r.anomalies[0]!.explanation, /The resource is fenced and should have rejected the stale token\./);
    });

    it('keeps locks apart, skips records without a token and reports mixed fencing', () => {
      const h = new HistoryBuilder();
      h.resWrite('A', { worker: 1, token: 9, accepted: true, basedOn: 0, version: 1, add: 1 });
      h.resWrite('B', { worker: 2, token: 3, accepted: true, basedOn: 0, version: 1, add: 2, fenced: false });
      h.resWrite('B', { worker: 3, token: null, accepted: true, basedOn: 1, version: 2, add: 3, fenced: false });
      const r = checkFencing(h.ops);
      assert.equal(r.valid, true, r.explanation);
      assert.deepEqual([r.stats.locks, r.stats.untokened, r.stats.fenced], [2, 1, 'mixed']);
    });

    it('reports at most maxAnomalies per kind and counts them all', () => {
      const h = new HistoryBuilder();
      h.resRead('L', { worker: 9, token: 10, accepted: true, version: 0, fenced: false });
      for (let t = 1; t <= 5; t++) h.resRead('L', { worker: t, token: t, accepted: true, version: 0, fenced: false });
      const r = checkFencing(h.ops, { maxAnomalies: 2 });
      assert.equal(r.anomalies.length, 2);
      assert.equal(r.stats.staleAccepted, 5);
    });
  });

  describe('grants', () => {
    it('is not applicable when no grant and no record carries a token', () => {
      const h = new HistoryBuilder();
      h.acquire(1, 'L', null);
      h.resRead('L', { worker: 1, token: null, accepted: true, version: 0, fenced: false });
      h.resWrite('L', { worker: 1, token: null, accepted: true, basedOn: 0, version: 1, add: 1, fenced: false });
      h.release(1, 'L');
      h.acquire(2, 'L', null);
      const r = checkFencing(h.ops);
      assert.equal(r.valid, true);
      assert.equal(r.explanation, NO_TOKENS);
      assert.equal(NO_TOKENS, 'no fencing tokens (backend has none): not applicable');
      assert.deepEqual([r.stats.applicable, r.stats.grants, r.stats.grantsWithToken, r.stats.tokensSeen], [false, 2, 0, 0]);
    });

    it('flags one token granted to two different holders', () => {
      const h = new HistoryBuilder();
      const [, a] = h.acquire(1, 'L', 5);
      h.release(1, 'L');
      const [, b] = h.acquire(2, 'L', 5);
      const r = checkFencing(h.ops);
      assert.equal(r.valid, false);
      assert.deepEqual(r.anomalies.map((x) => [x.type, x.kind, x.ops, x.token, x.processes]), [['token-order', 'duplicate-token', [a, b], 5, [1, 2]]]);
      assert.equal(
        r.anomalies[0]!.explanation,
        'Lock L: fencing token 5 was granted to 2 different holders: process 1 (acquire ok #1) and process 2 (acquire ok #5). ' +
          'A token must name one grant, or the resource cannot tell a stale holder from the current one.',
      );
      assert.equal(r.stats.tokenOrderViolations, 1);
    });

    it('flags a later grant with a lower token, but not concurrent acquires', () => {
      const h = new HistoryBuilder();
      // Concurrent: process 2's acquire was invoked before process 1's completed, so any order is possible.
      h.invoke(1, 'acquire', 'L'); // 0
      h.invoke(2, 'acquire', 'L'); // 1
      h.ok(1, 'acquire', 'L', { token: 8 }); // 2
      h.release(1, 'L'); // 3, 4
      h.ok(2, 'acquire', 'L', { token: 7 }); // 5
      h.release(2, 'L'); // 6, 7
      assert.equal(checkFencing(h.ops).valid, true);
      // Sequential: invoked after the token-8 grant completed, yet got 6.
      const [inv, late] = h.acquire(3, 'L', 6); // 8, 9
      const r = checkFencing(h.ops);
      assert.deepEqual(r.anomalies.map((x) => [x.type, x.kind, x.ops, x.token, x.earlierToken]), [['token-order', 'token-decreased', [2, late], 6, 8]]);
      assert.equal(
        r.anomalies[0]!.explanation,
        `Lock L: process 3's acquire (invoked #${inv}, ok #${late}) got token 6, lower than token 8 granted to process 1 at #2, which completed before #${inv} was invoked. ` +
          'Tokens must grow with every grant, or the resource rejects the current holder and accepts stale ones.',
      );
    });

    it('does not flag the same holder getting its token again, or grants on different locks', () => {
      const h = new HistoryBuilder();
      h.acquire(1, 'A', 4);
      h.acquire(1, 'A', 4);
      h.acquire(2, 'B', 1);
      const r = checkFencing(h.ops);
      assert.equal(r.valid, true, r.explanation);
      assert.equal(r.stats.grantsWithToken, 3);
    });
  });

  describe('malformed input', () => {
    it('is unknown, with the record named, when a token is not a number', () => {
      const h = new HistoryBuilder();
      h.resWrite('L', { worker: 1, token: '34' as unknown as number, accepted: true, basedOn: 0, version: 1, add: 1 });
      h.rec('resource', 'info', 'write', 'L', 'garbage');
      const r = checkFencing(h.ops);
      assert.equal(r.valid, 'unknown');
      assert.equal(r.stats.malformed, 2);
      assert.match(r.explanation!, /resource record #0: "token" is "34": expected a number or null/);
      assert.match(r.explanation!, /resource record #1: value "garbage": expected an object/);
    });

    it('a violation still makes it invalid; an unpairable history leaves the grants unchecked', () => {
      const h = new HistoryBuilder();
      h.resRead('L', { worker: 2, token: 34, accepted: true, version: 0 });
      h.resRead('L', { worker: 1, token: 3, accepted: true, version: 0 });
      h.ok(1, 'acquire', 'L', { token: 1 }); // no invocation
      const r = checkFencing(h.ops);
      assert.equal(r.valid, false);
      assert.deepEqual(r.anomalies.map((a) => a.ops), [[0, 1]]);
      assert.match(r.explanation!, /Also: grants not checked: the history is malformed/);
    });
  });
});

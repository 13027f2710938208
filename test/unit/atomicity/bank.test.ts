import assert from 'node:assert/strict';
import { checkBank, type BankErrorGroup } from '../../../checkers/bank.js';
import type { Anomaly } from '../../../checkers/result.js';
import { HistoryBuilder } from '../mutex/helpers.js';

/** Bank histories: `read` returns the balances given, `transfer` moves money (never checked). */
class Bank extends HistoryBuilder {
  /** A whole read; returns the index of its completion. */
  read(p: number, balances: unknown, type: 'ok' | 'fail' | 'info' = 'ok'): number {
    return this.op(p, 'read', undefined, type, null, type === 'ok' ? balances : null)[1];
  }
  transfer(p: number, from: number, to: number, amount: number, type: 'ok' | 'fail' | 'info' = 'ok'): number {
    return this.op(p, 'transfer', undefined, type, { from, to, amount }, { from, to, amount })[1];
  }
}

const even = (n: number, each: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), each]));
const opts = { accounts: 4, total: 40 };

function anomaly(r: { anomalies: Anomaly[] }, type: string): Anomaly & BankErrorGroup {
  const a = r.anomalies.find((x) => x.type === type);
  assert.ok(a, `expected a ${type} anomaly, got ${r.anomalies.map((x) => x.type).join(', ') || 'none'}`);
  return a as Anomaly & BankErrorGroup;
}

describe('bank checker', () => {
  it('accepts reads that sum to the total, with stats on reads and transfers by outcome', () => {
    const h = new Bank();
    h.read(0, even(4, 10));
    h.transfer(1, 0, 1, 3);
    h.transfer(1, 1, 2, 5, 'fail');
    h.transfer(1, 2, 3, 2, 'info');
    h.read(0, { 0: 7, 1: 13, 2: 10, 3: 10 });
    h.read(0, null, 'fail');
    h.invoke(2, 'transfer', undefined, { from: 3, to: 0, amount: 1 }); // never completes
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.checker, 'bank');
    assert.deepEqual(r.anomalies, []);
    assert.deepEqual(r.stats.transfers, { invoked: 4, ok: 1, fail: 1, info: 2 });
    assert.deepEqual([r.stats.reads, r.stats.okReads, r.stats.failedReads, r.stats.total, r.stats.totalSource], [3, 2, 1, 40, 'option']);
    assert.match(r.explanation!, /All 2 ok reads summed to 40, named only the 4 known accounts and showed no negative balance/);
  });

  it('groups wrong totals into one anomaly with first, worst, last, lowest and highest', () => {
    const h = new Bank();
    h.read(0, even(4, 10)); // 0,1 fine
    const first = h.read(0, { 0: 10, 1: 10, 2: 10, 3: 9 }); // 39
    const high = h.read(1, { 0: 10, 1: 10, 2: 10, 3: 12 }); // 42
    const worst = h.read(0, { 0: 10, 1: 10, 2: 10, 3: 5 }); // 35
    const last = h.read(1, { 0: 10, 1: 10, 2: 10, 3: 11 }); // 41
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, false);
    assert.equal(r.anomalies.length, 1);
    const a = anomaly(r, 'wrong-total');
    assert.equal(a.count, 4);
    assert.deepEqual([a.first.index, a.worst.index, a.last.index, a.lowest!.index, a.highest!.index], [first, worst, last, worst, high]);
    assert.deepEqual([a.first.total, a.worst.total, a.last.total], [39, 35, 41]);
    assert.deepEqual(a.ops, [first, high, worst, last]);
    assert.equal(
      a.explanation,
      `4 ok reads did not sum to the total 40, so money was created or destroyed (a lost update, or a read that saw half a transfer): ` +
        `first at #${first} (sum 39, off by -1), worst at #${worst} (sum 35, off by -5), last at #${last} (sum 41, off by +1). ` +
        `Sums ranged from 35 (#${worst}) to 42 (#${high}).`,
    );
    assert.deepEqual(r.stats.errors, { 'unexpected-key': 0, 'nil-balance': 0, 'wrong-total': 4, 'negative-value': 0 });
  });

  it('reports unexpected accounts only when accounts are given, worst = most unknown accounts', () => {
    const h = new Bank();
    const one = h.read(0, { ...even(4, 10), 7: 0 });
    const two = h.read(0, { ...even(4, 10), 7: 0, 9: 0 });
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, false);
    const a = anomaly(r, 'unexpected-key');
    assert.deepEqual([a.count, a.first.index, a.worst.index, a.last.index], [2, one, two, two]);
    assert.deepEqual(a.worst.unexpected, ['7', '9']);
    assert.match(a.explanation, /2 ok reads named accounts outside the 4 known ones: first at #\d+ \(account 7\), worst at #\d+ \(accounts 7 and 9\)/);
    assert.equal(checkBank(h.ops, { total: 40 }).valid, true, 'without accounts, extra zero-balance accounts are fine');
    assert.equal(checkBank(h.ops, { accounts: [0, 1, 2, 3, 7, 9], total: 40 }).valid, true, 'ids given as a list');
  });

  it('reports nil and non-numeric balances and does not sum such a read', () => {
    const h = new Bank();
    const a1 = h.read(0, { 0: 10, 1: 10, 2: null, 3: 10 });
    const a2 = h.read(0, { 0: 10, 1: 'ten', 2: null, 3: 10 });
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalies.map((x) => x.type), ['nil-balance']);
    const a = anomaly(r, 'nil-balance');
    assert.deepEqual([a.count, a.first.index, a.worst.index, a.last.index], [2, a1, a2, a2]);
    assert.deepEqual(a.worst.nils, { 1: 'ten', 2: null });
    assert.match(a.explanation, /first at #1 \(account 2 = null\), worst at #3 \(account 1 = "ten" and account 2 = null\)/);
  });

  it('reports negative balances unless negativeBalances, worst = lowest balance', () => {
    const h = new Bank();
    const n1 = h.read(0, { 0: -1, 1: 21, 2: 10, 3: 10 });
    const n2 = h.read(0, { 0: -3, 1: 23, 2: 10, 3: 10 });
    const n3 = h.read(0, { 0: -2, 1: 22, 2: 10, 3: 10 });
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, false);
    const a = anomaly(r, 'negative-value');
    assert.deepEqual([a.count, a.first.index, a.worst.index, a.last.index], [3, n1, n2, n3]);
    assert.deepEqual(a.worst.negative, { 0: -3 });
    assert.deepEqual(a.ops, [n1, n2, n3]);
    assert.equal(checkBank(h.ops, { ...opts, negativeBalances: true }).valid, true);
  });

  it('counts every rule one read breaks', () => {
    const h = new Bank();
    h.read(0, { 0: -5, 1: 10, 2: 10, 3: 10, 8: 1 });
    const r = checkBank(h.ops, opts);
    assert.deepEqual(r.anomalies.map((a) => a.type), ['unexpected-key', 'wrong-total', 'negative-value']);
    assert.equal(r.stats.errorReads, 3);
  });

  it('accepts [account, balance] pairs, Maps and the EDN wrapped-map form; 0 and "0" are the same account', () => {
    const h = new Bank();
    h.read(0, [[0, 10], [1, 10], [2, 10], [3, 10]]);
    h.read(0, new Map<unknown, number>([[0, 10], ['1', 10], [2, 10], [3, 10]]));
    h.read(0, { map: [[0, 10], [1, 10], [2, 10], [3, 10]] });
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.okReads, 3);
  });

  it('infers the total from the first ok read when none is given, and says so', () => {
    const h = new Bank();
    h.read(0, null, 'info');
    const firstOk = h.read(0, even(3, 5)); // 15
    const bad = h.read(0, { 0: 5, 1: 5, 2: 6 });
    const r = checkBank(h.ops);
    assert.equal(r.valid, false);
    assert.equal(r.stats.total, 15);
    assert.equal(r.stats.totalSource, 'first-read');
    const a = anomaly(r, 'wrong-total');
    assert.deepEqual([a.count, a.first.index], [1, bad]);
    assert.match(a.explanation, new RegExp(`No total was given: 15 is the sum of the first ok read #${firstOk}`));
    const ok = checkBank(h.ops.slice(0, 4));
    assert.equal(ok.valid, true);
    assert.match(ok.explanation!, /No total was given: 15 is the sum of the first ok read/);
  });

  it('is unknown when no read completed ok, even with transfers', () => {
    const h = new Bank();
    h.transfer(0, 0, 1, 5);
    h.read(1, null, 'fail');
    h.read(2, null, 'info');
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /No read completed ok \(2 reads invoked\)/);
  });

  it('reports malformed read values by index and expected shape, without crashing', () => {
    const h = new Bank();
    h.read(0, even(4, 10));
    const bad1 = h.read(0, 40);
    const bad2 = h.read(0, [[0, 10], [1]]);
    const bad3 = h.read(0, [[0, 10], ['0', 30]]);
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, 'unknown');
    const m = r.anomalies.find((a) => a.type === 'malformed-op')!;
    assert.deepEqual(m.ops, [bad1, bad2, bad3]);
    assert.match(m.explanation, /#3: read value 40: expected the balances as \{"<account>": balance, \.\.\.\} or \[\[account, balance\], \.\.\.\]/);
    assert.match(m.explanation, /account 0 appears twice/);
    // A real error still makes it false.
    h.read(0, even(4, 9));
    assert.equal(checkBank(h.ops, opts).valid, false);
  });

  it('ignores nemesis ops and other fs', () => {
    const h = new Bank();
    h.nemesis('start-partition');
    h.op(0, 'noop', undefined, 'ok', null, 'weird');
    h.read(0, even(4, 10));
    h.rec('nemesis', 'info', 'read', undefined, 'not a balance map');
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, true, r.explanation);
    assert.equal(r.stats.reads, 1);
  });

  it('a history that cannot be paired is unknown with the reason; bad options throw a clear error', () => {
    const h = new Bank();
    h.invoke(0, 'read', undefined);
    h.invoke(0, 'read', undefined);
    const r = checkBank(h.ops, opts);
    assert.equal(r.valid, 'unknown');
    assert.match(r.explanation!, /history is malformed: .*still in flight/);
    assert.throws(() => checkBank([], { total: Number.NaN }), /opts\.total NaN: expected the bank's total as a finite number/);
    assert.throws(() => checkBank([], { accounts: -1 }), /opts\.accounts -1: expected a count of accounts/);
  });
});

/**
 * Transaction extraction (history -> Txn[] + unknowns), the shared helpers of both inferences (value normalisation,
 * the edge gate) and the compact formatting used by explanations.
 */
import assert from 'node:assert/strict';
import type { Op, OpType, ProcessId } from '../../../checkers/history/types.js';
import { abbreviate, describeTxn, txnList } from '../../../checkers/txn/format.js';
import { MAX_EXAMPLES, edgeEmitter, extractTxns, normValue, sameValue, txnTypes } from '../../../checkers/txn/txns.js';
import type { Txn } from '../../../checkers/txn/types.js';

/** Appends records with dense indexes and a 1 µs clock. */
class H {
  readonly ops: Op[] = [];
  rec(process: ProcessId, type: OpType, f: string, value: unknown, extra: Partial<Op> = {}): number {
    const index = this.ops.length;
    this.ops.push({ index, time: index * 1000, process, type, f, value, ...extra });
    return index;
  }
}

describe('txn: extractTxns', () => {
  it('pairs txn ops into dense transactions with the right values, types and positions', () => {
    const h = new H();
    h.rec('nemesis', 'info', 'start-partition', null);
    const i0 = h.rec(0, 'invoke', 'txn', [['append', 'x', 1], ['r', 'x', null]]);
    const i1 = h.rec(1, 'invoke', 'txn', [['r', 'y', null]]);
    const c0 = h.rec(0, 'ok', 'txn', [['append', 'x', 1], ['r', 'x', [1]]]);
    h.rec(2, 'invoke', 'read', null); // not a txn
    h.rec(2, 'ok', 'read', 3);
    const c1 = h.rec(1, 'fail', 'txn', [['r', 'y', null]]);
    const i2 = h.rec(3, 'invoke', 'txn', [['w', 'z', 5]]);
    const c2 = h.rec(3, 'info', 'txn', null); // info: the invocation's value is used
    const i3 = h.rec(4, 'invoke', 'txn', [['w', 255, 7]]); // never completes
    const { txns, unknowns } = extractTxns(h.ops);
    assert.deepEqual(unknowns, []);
    assert.deepEqual(
      txns.map((t) => [t.id, t.index, t.invokeIndex, t.process, t.type, t.invokePos, t.completePos]),
      [
        [0, c0, i0, 0, 'ok', i0, c0],
        [1, c1, i1, 1, 'fail', i1, c1],
        [2, c2, i2, 3, 'info', i2, c2],
        [3, i3, i3, 4, 'info', i3, Infinity],
      ],
    );
    assert.deepEqual(txns[0]!.mops, [['append', 'x', 1], ['r', 'x', [1]]]);
    assert.deepEqual(txns[1]!.mops, [['r', 'y', null]]);
    assert.deepEqual(txns[2]!.mops, [['w', 'z', 5]]);
    assert.equal(txns[0]!.invokeTime, i0 * 1000);
    assert.equal(txns[0]!.completeTime, c0 * 1000);
    assert.equal(txns[3]!.completeTime, undefined);
  });

  it('keeps txns of string processes only when their value is a list of micro-ops', () => {
    const h = new H();
    h.rec('client-a', 'invoke', 'txn', [['r', 'x', null]]);
    h.rec('client-a', 'ok', 'txn', [['r', 'x', []]]);
    h.rec('nemesis', 'invoke', 'txn', 'heal');
    h.rec('nemesis', 'info', 'txn', 'healed');
    const { txns, unknowns } = extractTxns(h.ops);
    assert.deepEqual(txns.map((t) => t.process), ['client-a']);
    assert.deepEqual(unknowns, []);
  });

  it('reports malformed values and unknown micro-ops as unknowns naming the op, and leaves those txns out', () => {
    const h = new H();
    h.rec(0, 'invoke', 'txn', [['append', 'x', 1]]);
    const bad1 = h.rec(0, 'ok', 'txn', 'oops'); // ok: the completion is what we read
    const bad2 = h.rec(1, 'invoke', 'txn', [['append', 'x']]);
    h.rec(1, 'info', 'txn', null);
    const bad3 = h.rec(2, 'invoke', 'txn', [['cas', 'x', [1, 2]]]);
    h.rec(2, 'fail', 'txn', null);
    h.rec(3, 'invoke', 'txn', [['r', 'x', null]]);
    const good = h.rec(3, 'ok', 'txn', [['r', 'x', []]]);
    const { txns, unknowns } = extractTxns(h.ops);
    assert.deepEqual(txns.map((t) => [t.id, t.index]), [[0, good]]);
    assert.deepEqual(unknowns.map((u) => [u.type, u.ops]), [
      ['malformed-txn', [bad1]],
      ['malformed-txn', [bad2]],
      ['unknown-mop', [bad3]],
    ]);
    assert.match(unknowns[0]!.explanation, /^op 1 \(the ok completion of a txn by process 0\): expected the value to be a list of micro-ops/);
    assert.match(unknowns[1]!.explanation, /micro-op 0 is \[append x\]: expected a 3-element list \[f k v\]/);
    assert.match(unknowns[2]!.explanation, /micro-op 0 has f cas: expected one of append, r, w/);
  });

  it('folds a flood of malformed ops into one summary after the first examples', () => {
    const h = new H();
    const bad: number[] = [];
    for (let p = 0; p < MAX_EXAMPLES + 7; p++) {
      h.rec(p, 'invoke', 'txn', 17);
      bad.push(h.rec(p, 'fail', 'txn', 17));
    }
    const { unknowns } = extractTxns(h.ops);
    assert.equal(unknowns.length, MAX_EXAMPLES + 1);
    assert.ok(unknowns.every((u) => u.type === 'malformed-txn'));
    // fail txns are read from their invocation
    assert.deepEqual(unknowns[0]!.ops, [bad[0]! - 1]);
    assert.deepEqual(unknowns[MAX_EXAMPLES]!.ops, bad.slice(MAX_EXAMPLES).map((i) => i - 1));
    assert.match(unknowns[MAX_EXAMPLES]!.explanation, /^7 more ops have the same problem \(malformed-txn\)/);
  });

  it('turns an unpairable history into a malformed-history unknown instead of throwing', () => {
    const h = new H();
    h.rec(0, 'invoke', 'txn', [['r', 'x', null]]);
    h.rec(0, 'invoke', 'txn', [['r', 'x', null]]);
    const { txns, unknowns } = extractTxns(h.ops);
    assert.deepEqual(txns, []);
    assert.equal(unknowns.length, 1);
    assert.equal(unknowns[0]!.type, 'malformed-history');
    assert.match(unknowns[0]!.explanation, /still in flight/);
  });
});

describe('txn: shared helpers', () => {
  it('normValue keeps 1 and "1" apart and identifies equal collections', () => {
    assert.notEqual(normValue(1), normValue('1'));
    assert.equal(normValue('x'), 'x');
    assert.equal(normValue([1, { b: 2, a: 1 }]), normValue([1, { a: 1, b: 2 }]));
    assert.notEqual(normValue([1]), normValue('[1]'));
    assert.notEqual(normValue('\u0000o[1]'), normValue([1]));
    assert.equal(normValue(undefined), null);
    assert.ok(sameValue([1, 2], [1, 2]));
    assert.ok(!sameValue(1, '1'));
    assert.ok(sameValue(null, undefined));
  });

  it('the edge gate drops self-edges, edges out of info/fail txns and edges into fail txns', () => {
    const txns = (['ok', 'ok', 'info', 'fail'] as const).map((type, id) => ({ id, type }) as unknown as Txn);
    const got: string[] = [];
    const skipped = new Uint8Array(4);
    const emit = edgeEmitter({ add: (a, b, k) => got.push(`${a}->${b} ${k}`) }, txnTypes(txns), skipped);
    emit(0, 1, 'ww');
    emit(0, 1, 'ww'); // repeated: dropped
    emit(0, 0, 'wr');
    emit(0, 2, 'rw');
    emit(2, 0, 'ww');
    emit(0, 3, 'wr');
    emit(3, 0, 'wr');
    emit(1, 0, 'rw');
    assert.deepEqual(got, ['0->1 ww', '0->2 rw', '1->0 rw']);
  });
});

describe('txn: format', () => {
  it('renders values EDN-ish', () => {
    assert.equal(abbreviate(null), 'nil');
    assert.equal(abbreviate(undefined), 'nil');
    assert.equal(abbreviate('x'), 'x');
    assert.equal(abbreviate(255), '255');
    assert.equal(abbreviate([1, 2, 3]), '[1 2 3]');
    assert.equal(abbreviate([['append', 'x', 5], ['r', 'y', [1]]]), '[[append x 5] [r y [1]]]');
    assert.equal(abbreviate([]), '[]');
    assert.equal(abbreviate({ a: 1, b: [2] }), '{a 1, b [2]}');
  });

  it('abbreviates long lists to their ends and the element count, within about maxChars', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = abbreviate(xs, 40);
    assert.match(s, /^\[1 2 3 .* \.\.\. .*99 100 \(100 elements\)\]$/);
    assert.ok(s.length <= 40, s);
    const big = abbreviate(Array.from({ length: 1_000_000 }, (_, i) => i), 30);
    assert.ok(big.length <= 30 && big.endsWith('(1000000 elements)]'), big);
    assert.equal(abbreviate('a'.repeat(100), 10), 'aaaaaaa...');
  });

  it('describes a transaction in the explanation shape', () => {
    const t: Txn = { id: 0, index: 12, invokeIndex: 10, process: 3, type: 'ok', mops: [['append', 'x', 5], ['r', 'y', [1]]], invokePos: 10, completePos: 12 };
    assert.equal(describeTxn(t), '{index 12, process 3, type ok, value [[append x 5] [r y [1]]]}');
    const info: Txn = { ...t, type: 'info', mops: [['r', 255, null]] };
    assert.equal(describeTxn(info), '{index 12, process 3, type info, value [[r 255 nil]]}');
    const long: Txn = { ...t, mops: [['r', 'y', Array.from({ length: 50 }, (_, i) => i)]] };
    assert.match(describeTxn(long, 30), /^\{index 12, process 3, type ok, value \[\[r y \[0 1 .* \.\.\. .*49 \(50 elements\)\]\]\]\}$/);
  });

  it('lists witnesses with a bound', () => {
    const ts = [1, 2, 3].map((index) => ({ index }) as Txn);
    assert.equal(txnList(ts), 'txn 1, txn 2 and txn 3');
    assert.equal(txnList(ts.slice(0, 1)), 'txn 1');
    assert.equal(txnList(ts, 9, 2), 'txn 1, txn 2 and 7 more');
  });
});

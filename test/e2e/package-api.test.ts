/**
 * The published package surface, imported by name as a user would (resolves through package.json "exports" to
 * the built dist/), with the custom-model example from the README.
 */
import assert from 'node:assert/strict';
import type { Op } from 'faultline';
import { checkLinearizability, createModel, type Model } from 'faultline/checkers/linearizable';

const counter: Model<number> = {
  name: 'counter',
  init: () => 0,
  step: (n, op) => (op.f === 'incr' ? n + 1 : op.f === 'read' && (!op.known || op.output === n) ? n : undefined),
  hash: (n) => n | 0,
  equals: (a, b) => a === b,
  readOnly: (op) => op.f === 'read',
  describe: (n) => String(n),
};

function history(...rows: [number, Op['type'], string, unknown][]): Op[] {
  return rows.map(([process, type, f, value], index) => ({ index, process, type, f, value }));
}

describe('package API (faultline/checkers/linearizable)', function () {
  it('checks a user-defined model: a read that saw a concurrent increment is fine, a lost increment is not', function () {
    const ok = history([0, 'invoke', 'incr', null], [1, 'invoke', 'read', null], [1, 'ok', 'read', 1], [0, 'ok', 'incr', null]);
    assert.equal(checkLinearizability(ok, counter).valid, true);
    const lost = history([0, 'invoke', 'incr', null], [0, 'ok', 'incr', null], [1, 'invoke', 'read', null], [1, 'ok', 'read', 0]);
    const r = checkLinearizability(lost, counter);
    assert.equal(r.valid, false);
    assert.deepEqual(r.anomalies[0]!.ops, [2]);
  });

  it('exposes the built-in models by name', function () {
    const h = history([0, 'invoke', 'acquire', null], [0, 'ok', 'acquire', null], [1, 'invoke', 'acquire', null], [1, 'ok', 'acquire', null]);
    assert.equal(checkLinearizability(h, createModel('mutex')).valid, false);
  });
});

describe('package API (faultline/checkers/txn, faultline/checkers/atomicity)', function () {
  it('checks a list-append history against consistency models by name', async function () {
    const { checkListAppend, consistencyModelNames } = await import('faultline/checkers/txn');
    const skew = history(
      [0, 'invoke', 'txn', [['r', 'x', null], ['append', 'y', 1]]],
      [1, 'invoke', 'txn', [['r', 'y', null], ['append', 'x', 2]]],
      [0, 'ok', 'txn', [['r', 'x', []], ['append', 'y', 1]]],
      [1, 'ok', 'txn', [['r', 'y', []], ['append', 'x', 2]]],
      [2, 'invoke', 'txn', [['r', 'x', null], ['r', 'y', null]]],
      [2, 'ok', 'txn', [['r', 'x', [2]], ['r', 'y', [1]]]],
    );
    const ser = checkListAppend(skew, { consistencyModels: ['serializable'] });
    assert.equal(ser.valid, false);
    assert.deepEqual(ser.anomalyTypes, ['G2-item']);
    assert.equal(checkListAppend(skew, { consistencyModels: ['snapshot-isolation'] }).valid, true);
    assert.ok(consistencyModelNames().includes('strict-serializable'));
  });

  it('checks a bank history for conservation of money', async function () {
    const { checkBank } = await import('faultline/checkers/atomicity');
    const h = history([0, 'invoke', 'read', null], [0, 'ok', 'read', { 0: 60, 1: 50 }]);
    const r = checkBank(h, { total: 100, accounts: 2 });
    assert.equal(r.valid, false);
    assert.equal(r.anomalies[0]!.type, 'wrong-total');
  });
});

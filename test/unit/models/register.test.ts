import assert from 'node:assert/strict';
import { casRegisterModel } from '../../../checkers/linearizable/models/cas-register.js';
import { registerModel } from '../../../checkers/linearizable/models/register.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, run, step } from './helpers.js';

describe('register model', () => {
  const m = registerModel();

  it('starts at null by default and at the initial option when given', () => {
    assert.equal(m.init(), null);
    assert.equal(registerModel({ initial: 3 }).init(), 3);
    assert.deepEqual(registerModel({ initial: { a: [1] } }).init(), { a: [1] });
    assert.equal(registerModel({ initial: undefined }).init(), null);
  });

  it('a write sets the value and is always legal', () => {
    assert.equal(step(m, null, op('write', 3)), 3);
    assert.equal(step(m, 7, op('write', 3)), 3);
    assert.deepEqual(step(m, 7, op('write', [1, 2])), [1, 2]);
    assert.equal(step(m, 7, op('write', undefined)), null, 'a missing value writes null, never undefined');
  });

  it('a read is legal iff it returned the current value, and keeps the same state object', () => {
    const s = { a: 1, b: [2, 3] };
    assert.equal(step(m, s, op('read', null, { b: [2, 3], a: 1 })), s);
    assert.equal(step(m, s, op('read', null, { a: 1, b: [3, 2] })), undefined);
    assert.equal(step(m, 3, op('read', null, 3)), 3);
    assert.equal(step(m, 3, op('read', null, 4)), undefined);
    assert.equal(step(m, 3, op('read', null, '3')), undefined, 'a string is not a number');
    assert.equal(step(m, null, op('read', null, null)), null);
    assert.equal(step(m, null, op('read', null, 0)), undefined);
  });

  it('a read of null is illegal on a non-null register unless nilReadAny', () => {
    assert.equal(step(m, 3, op('read', null, null)), undefined);
    const k = registerModel({ nilReadAny: true });
    assert.equal(step(k, 3, op('read', null, null)), 3);
    assert.equal(step(k, 3, op('read', null, 4)), undefined);
  });

  it('an unknown-outcome read constrains nothing; an unknown write applies', () => {
    assert.equal(step(m, 3, crashed('read', null)), 3);
    assert.equal(step(m, 3, crashed('write', 5)), 5);
  });

  it('accepts r and w as aliases', () => {
    assert.equal(step(m, 1, op('w', 2)), 2);
    assert.equal(step(m, 2, op('r', null, 2)), 2);
    assert.equal(step(m, 2, op('r', null, 1)), undefined);
    assert.equal(m.readOnly!(op('r', null, 1)), true);
    assert.equal(m.readOnly!(op('w', 1)), false);
  });

  it('readOnly is true exactly for reads', () => {
    assert.equal(m.readOnly!(op('read', null, 1)), true);
    assert.equal(m.readOnly!(op('write', 1)), false);
  });

  it('throws a clear ModelConfigError for an unknown f, including cas', () => {
    assertConfigError(() => m.step(null, op('incr', 1, undefined, { index: 12 })), 'register model: unknown f "incr" at history index 12; expected read or write');
    assertConfigError(() => m.step(null, op('cas', [1, 2])), 'unknown f "cas"');
    assertConfigError(() => m.readOnly!(op('incr', 1)), 'unknown f "incr"');
  });

  it('rejects unknown options and non-JSON initial values', () => {
    assertConfigError(() => registerModel({ nilreadany: true }), 'unknown option "nilreadany"', 'initial, nilReadAny');
    assertConfigError(() => registerModel({ initial: Number.NaN }), 'initial', 'NaN');
    assertConfigError(() => registerModel({ initial: () => 1 }), 'initial', 'function');
    assertConfigError(() => registerModel({ initial: new Map() }), 'initial', 'Map');
    assertConfigError(() => registerModel({ nilReadAny: 'yes' }), 'nilReadAny must be true or false');
    assert.equal(step(registerModel({ nilReadAny: 'true' }), 1, op('read', null, null)), 1);
  });

  it('hashes and compares by content', () => {
    assertSame(m, { x: [1, 2], y: 'a' }, { y: 'a', x: [1, 2] });
    assertSame(m, 5, 5);
    assertSame(m, null, null);
    assertDifferent(m, 5, '5');
    assertDifferent(m, [1, 2], [2, 1]);
    assertDifferent(m, null, 0);
    const a = run(m, [op('write', { k: 1 })]);
    const b = run(m, [op('write', 9), op('write', { k: 1 })]);
    assertSame(m, a, b);
  });

  it('crash classes group writes of equal values only', () => {
    assert.equal(m.crashClass!(crashed('write', { a: 1, b: 2 })), m.crashClass!(crashed('write', { b: 2, a: 1 })));
    assert.notEqual(m.crashClass!(crashed('write', 1)), m.crashClass!(crashed('write', 2)));
    assert.notEqual(m.crashClass!(crashed('write', 1)), m.crashClass!(crashed('write', '1')));
  });

  it('describes states and ops', () => {
    assert.equal(m.describe(3), '3');
    assert.equal(m.describe(null), 'null');
    assert.equal(m.describeOp!(op('write', 3)), 'write 3');
    assert.equal(m.describeOp!(op('read', null, 3)), 'read -> 3');
    assert.equal(m.describeOp!(crashed('read', null)), 'read -> ?');
  });
});

describe('cas-register model', () => {
  const m = casRegisterModel();

  it('cas is legal iff the register holds old, and then holds new', () => {
    assert.equal(step(m, 1, op('cas', [1, 2])), 2);
    assert.equal(step(m, 3, op('cas', [1, 2])), undefined);
    assert.equal(step(m, null, op('cas', [null, 0])), 0);
    assert.equal(step(m, 0, op('cas', [null, 1])), undefined);
    assert.deepEqual(step(m, { a: [1] }, op('cas', [{ a: [1] }, { a: [2] }])), { a: [2] });
  });

  it('an unknown-outcome cas applies only where it could have succeeded', () => {
    assert.equal(step(m, 1, crashed('cas', [1, 2])), 2);
    assert.equal(step(m, 5, crashed('cas', [1, 2])), undefined);
  });

  it('still reads and writes like a register', () => {
    const s = run(m, [op('write', 1), op('read', null, 1), op('cas', [1, 4]), op('read', null, 4)]);
    assert.equal(s, 4);
    assert.equal(step(m, 4, op('read', null, 1)), undefined);
  });

  it('nilReadAny defaults to false and makes null reads legal anywhere when set', () => {
    assert.equal(step(m, 4, op('read', null, null)), undefined);
    const k = casRegisterModel({ nilReadAny: true, initial: 0 });
    assert.equal(k.init(), 0);
    assert.equal(step(k, 4, op('read', null, null)), 4);
    assert.equal(step(k, 4, op('read', null, 5)), undefined);
  });

  it('rejects a malformed cas argument and unknown fs', () => {
    assertConfigError(() => m.step(1, op('cas', 1, undefined, { index: 7 })), 'cas-register model: cas input 1 at history index 7; expected [old, new]');
    assertConfigError(() => m.step(1, op('cas', [1, 2, 3])), 'expected [old, new]');
    assertConfigError(() => m.step(1, op('incr', 1)), 'expected read, write or cas');
  });

  it('crash classes, readOnly and descriptions cover cas', () => {
    assert.equal(m.crashClass!(crashed('cas', [1, 2])), m.crashClass!(crashed('cas', [1, 2])));
    assert.notEqual(m.crashClass!(crashed('cas', [1, 2])), m.crashClass!(crashed('cas', [2, 1])));
    assert.notEqual(m.crashClass!(crashed('cas', [1, 2])), m.crashClass!(crashed('write', [1, 2])));
    assert.equal(m.readOnly!(op('cas', [1, 2])), false);
    assert.equal(m.describeOp!(op('cas', [1, 2])), 'cas 1->2');
  });

  it('rejects unknown options listing the valid ones', () => {
    assertConfigError(() => casRegisterModel({ ownerAware: true }), 'cas-register model: unknown option "ownerAware"; valid options: initial, nilReadAny');
  });
});

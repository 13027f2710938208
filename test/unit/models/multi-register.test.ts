import assert from 'node:assert/strict';
import type { ModelOp } from '../../../checkers/linearizable/model.js';
import { multiRegisterModel } from '../../../checkers/linearizable/models/multi-register.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, pick, rng, run, step } from './helpers.js';

const txn = (input: unknown, output?: unknown, extra: Partial<ModelOp> = {}) => op('txn', input, output, extra);

describe('multi-register model', () => {
  const m = multiRegisterModel();

  it('applies writes in order and checks reads, including the txn\'s own writes', () => {
    const s = run(m, [txn([['w', 'x', 1], ['w', 'y', 2]], [['w', 'x', 1], ['w', 'y', 2]])]);
    assert.notEqual(step(m, s, txn([['r', 'x', null], ['r', 'y', null]], [['r', 'x', 1], ['r', 'y', 2]])), undefined);
    assert.equal(step(m, s, txn([['r', 'x', null]], [['r', 'x', 2]])), undefined);
    assert.notEqual(step(m, s, txn([['w', 'x', 5], ['r', 'x', null]], [['w', 'x', 5], ['r', 'x', 5]])), undefined);
    assert.equal(step(m, s, txn([['w', 'x', 5], ['r', 'x', null]], [['w', 'x', 5], ['r', 'x', 1]])), undefined);
    assert.notEqual(step(m, s, txn([['r', 'x', null], ['w', 'x', 5]], [['r', 'x', 1], ['w', 'x', 5]])), undefined);
  });

  it('unwritten keys hold the initial value', () => {
    assert.notEqual(step(m, m.init(), txn([['r', 'z', null]], [['r', 'z', null]])), undefined);
    assert.equal(step(m, m.init(), txn([['r', 'z', null]], [['r', 'z', 0]])), undefined);
    const z = multiRegisterModel({ initial: 0 });
    assert.notEqual(step(z, z.init(), txn([['r', 'q', null]], [['r', 'q', 0]])), undefined);
    assert.equal(step(z, z.init(), txn([['r', 'q', null]], [['r', 'q', null]])), undefined);
  });

  it('a read-only txn returns the same state object', () => {
    const s = run(m, [txn([['w', 'x', 1]])]);
    assert.equal(step(m, s, txn([['r', 'x', null]], [['r', 'x', 1]])), s);
    assert.equal(step(m, s, txn([['w', 'x', 1]])), s, 'rewriting the same value leaves the state alone');
  });

  it('falls back to the invocation value when the completion has none, skipping null read placeholders', () => {
    const s = run(m, [txn([['w', 'x', 1]])]);
    assert.notEqual(step(m, s, txn([['r', 'x', null], ['w', 'y', 2]], null)), undefined);
    assert.notEqual(step(m, s, txn([['r', 'x', 1]], undefined)), undefined);
    assert.equal(step(m, s, txn([['r', 'x', 3]], null)), undefined);
    const t = step(m, s, txn([['r', 'x', null], ['w', 'y', 2]], null))!;
    assert.notEqual(step(m, t, txn([['r', 'y', null]], [['r', 'y', 2]])), undefined);
  });

  it('an unknown-outcome txn applies only its writes', () => {
    const s = run(m, [txn([['w', 'x', 1]])]);
    const t = step(m, s, crashed('txn', [['r', 'x', 99], ['w', 'y', 2], ['r', 'y', 77]]))!;
    assert.notEqual(t, undefined);
    assert.notEqual(step(m, t, txn([['r', 'y', null]], [['r', 'y', 2]])), undefined);
    assert.notEqual(step(m, t, txn([['r', 'x', null]], [['r', 'x', 1]])), undefined);
  });

  it('accepts read/write and EDN keyword spellings, and [r k] reads', () => {
    const s = run(m, [txn([[':w', 'x', 1], ['write', 'y', 2]])]);
    assert.notEqual(step(m, s, txn([[':r', 'x', null], ['read', 'y', null]], [[':r', 'x', 1], ['read', 'y', 2]])), undefined);
    assert.notEqual(step(m, m.init(), txn([['r', 'q']], [['r', 'q']])), undefined);
    assert.notEqual(step(m, m.init(), op(':txn', [[':w', 'x', 1]])), undefined);
  });

  it('nilReadAny makes null reads legal whatever the key holds', () => {
    const k = multiRegisterModel({ nilReadAny: true });
    const s = run(k, [txn([['w', 'x', 1]])]);
    assert.notEqual(step(k, s, txn([['r', 'x', null]], [['r', 'x', null]])), undefined);
    assert.equal(step(k, s, txn([['r', 'x', null]], [['r', 'x', 2]])), undefined);
    assert.equal(step(m, s, txn([['r', 'x', null]], [['r', 'x', null]])), undefined);
  });

  it('states compare by content whatever the write order, and writing initial back restores the initial state', () => {
    const a = run(m, [txn([['w', 'x', 1], ['w', 'y', [2]]])]);
    const b = run(m, [txn([['w', 'y', [2]]]), txn([['w', 'x', 0]]), txn([['w', 'x', 1]])]);
    assertSame(m, a, b);
    const c = run(m, [txn([['w', 'x', 1]]), txn([['w', 'x', null]])]);
    assertSame(m, c, m.init());
    assertDifferent(m, a, m.init());
    assertDifferent(m, run(m, [txn([['w', 1, 1]])]), run(m, [txn([['w', '1', 1]])]));
  });

  it('randomized: equals/hash agree with a reference map', () => {
    const r = rng(42);
    const keys = ['x', 'y', 'z', 1];
    const vals = [null, 0, 1, 'a', [1]];
    const refOf = new Map<unknown, string>();
    const states: unknown[] = [];
    for (let trial = 0; trial < 300; trial++) {
      let s = m.init();
      const ref = new Map<string, unknown>();
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) {
        const mops = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ['w', pick(r, keys), pick(r, vals)]);
        s = step(m, s, txn(mops))!;
        for (const [, k, v] of mops) ref.set(JSON.stringify(k), v);
      }
      const canon = JSON.stringify([...ref].filter(([, v]) => v !== null).sort(([a], [b]) => (a < b ? -1 : 1)));
      refOf.set(s, canon);
      states.push(s);
    }
    for (const a of states) {
      for (const b of states) {
        const same = refOf.get(a) === refOf.get(b);
        assert.equal(m.equals(a as never, b as never), same);
        if (same) assert.equal(m.hash(a as never), m.hash(b as never));
      }
    }
  });

  it('partitions into connected components of keys', () => {
    const ops = [
      txn([['w', 'a', 1], ['w', 'b', 1]]),
      txn([['r', 'c', null]], [['r', 'c', null]]),
      txn([['w', 'b', 2], ['r', 'd', null]], [['w', 'b', 2], ['r', 'd', null]]),
      txn([['w', 'e', 1]]),
      txn([['r', 'c', null], ['r', 'e', null]], [['r', 'c', null], ['r', 'e', 1]]),
      txn([['w', 'f', 1]]),
      txn([]),
    ];
    const parts = m.partition!(ops);
    const byKey = new Map(parts.map((p) => [JSON.stringify(p.key), p.ops]));
    assert.equal(parts.length, 4);
    assert.deepEqual(byKey.get('["a","b","d"]'), [ops[0], ops[2]]);
    assert.deepEqual(byKey.get('["c","e"]'), [ops[1], ops[3], ops[4]]);
    assert.deepEqual(byKey.get('["f"]'), [ops[5]]);
    assert.deepEqual(byKey.get('[]'), [ops[6]]);
    assert.equal(parts.reduce((n, p) => n + p.ops.length, 0), ops.length);
  });

  it('partition joins keys appearing only in the completion value', () => {
    const ops = [txn([['r', 'a', null]], [['r', 'a', null], ['r', 'b', null]]), txn([['w', 'b', 1]])];
    assert.equal(m.partition!(ops).length, 1);
  });

  it('readOnly: txns without writes', () => {
    assert.equal(m.readOnly!(txn([['r', 'x', null]], [['r', 'x', 1]])), true);
    assert.equal(m.readOnly!(txn([['r', 'x', null], ['w', 'x', 1]], [['r', 'x', 1], ['w', 'x', 1]])), false);
    assert.equal(m.readOnly!(crashed('txn', [['r', 'x', null]])), true);
    assert.equal(m.readOnly!(crashed('txn', [['w', 'x', 1]])), false);
  });

  it('crash classes depend only on the writes', () => {
    const a = m.crashClass!(crashed('txn', [['r', 'x', null], ['w', 'y', 1]]));
    const b = m.crashClass!(crashed('txn', [['w', 'y', 1], ['r', 'z', null]]));
    const c = m.crashClass!(crashed('txn', [['w', 'y', 2]]));
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('rejects malformed txns, unknown micro-ops, unknown fs and bad options', () => {
    assertConfigError(() => m.step(m.init(), txn(3, undefined, { index: 5 })), 'multi-register model: txn invocation value 3 is not a list of micro-ops at history index 5');
    assertConfigError(() => m.step(m.init(), txn([['w', 'x']], [['w', 'x', 1, 2]])), 'bad micro-op [\"w\",\"x\",1,2] in txn completion value');
    assertConfigError(() => m.step(m.init(), txn([['append', 'x', 1]])), 'unknown micro-op f "append"', 'expected r (read) or w (write)');
    assertConfigError(() => m.step(m.init(), op('read', null, 1, { index: 2 })), 'unknown f "read" at history index 2; expected txn');
    assertConfigError(() => m.partition!([txn([[1, 'x', 1]])]), 'bad micro-op');
    assertConfigError(() => multiRegisterModel({ keys: 1 }), 'unknown option "keys"; valid options: initial, nilReadAny');
    assertConfigError(() => multiRegisterModel({ initial: Symbol('x') }), 'initial must be a JSON value');
  });

  it('describes states and ops', () => {
    const s = run(m, [txn([['w', 'y', 2], ['w', 'x', 'a']])]);
    assert.equal(m.describe(s), '{x="a", y=2}; other keys null');
    assert.equal(m.describe(m.init()), 'every key null');
    assert.equal(m.describeOp!(txn([['r', 'x', null], ['w', 'y', 2]], [['r', 'x', 1], ['w', 'y', 2]])), 'txn [r x 1, w y 2]');
    assert.equal(m.describeOp!(crashed('txn', [['r', 'x', null], ['w', 'y', 2]])), 'txn [r x ?, w y 2]');
  });
});

import assert from 'node:assert/strict';
import { kvModel } from '../../../checkers/linearizable/models/kv.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, pick, rng, run, step } from './helpers.js';

describe('kv model', () => {
  const m = kvModel();

  it('reads and writes independent tuples [k, v]', () => {
    const s = run(m, [op('put', ['x', 1]), op('put', ['y', 2])]);
    assert.equal(step(m, s, op('get', ['x', null], ['x', 1])), s, 'a legal read keeps the same state object');
    assert.equal(step(m, s, op('get', ['x', null], ['x', 2])), undefined);
    assert.equal(step(m, s, op('get', ['y', null], ['y', 2])), s);
    assert.equal(step(m, s, op('get', ['z', null], ['z', null])), s, 'unwritten keys hold initial (null)');
    assert.equal(step(m, s, op('get', ['z', null], ['z', 0])), undefined);
  });

  it('takes the key from op.key when set, with plain values', () => {
    const s = run(m, [op('write', 5, undefined, { key: 'x' })]);
    assert.equal(step(m, s, op('read', null, 5, { key: 'x' })), s);
    assert.equal(step(m, s, op('read', null, 4, { key: 'x' })), undefined);
    assert.equal(step(m, s, op('read', null, null, { key: 'y' })), s);
    // The same key through a tuple.
    assert.equal(step(m, s, op('get', ['x', null], ['x', 5])), s);
  });

  it('cas on a key', () => {
    const s = run(m, [op('put', ['x', 1])]);
    const t = step(m, s, op('cas', ['x', [1, 2]]))!;
    assert.equal(step(m, t, op('get', ['x', null], ['x', 2])), t);
    assert.equal(step(m, s, op('cas', ['x', [2, 3]])), undefined);
    assert.equal(step(m, s, op('cas', ['y', [1, 3]])), undefined, 'y holds null, not 1');
    assert.notEqual(step(m, s, op('cas', ['y', [null, 3]])), undefined);
    assert.equal(step(m, s, crashed('cas', ['x', [2, 3]])), undefined);
  });

  it('append concatenates strings, starting from "" for null', () => {
    let s = run(m, [op('append', ['x', 'a']), op('append', ['x', 'b']), op('append', ['x', 3])]);
    assert.equal(step(m, s, op('get', ['x', null], ['x', 'ab3'])), s);
    assert.equal(step(m, s, op('get', ['x', null], ['x', 'ba3'])), undefined);
    s = run(m, [op('put', ['n', 1]), op('append', ['n', 2])]);
    assert.equal(step(m, s, op('get', ['n', null], ['n', '12'])), s);
    // With initial null an unwritten key reads null, with initial "" it reads "".
    assert.equal(step(m, m.init(), op('get', ['q', null], ['q', ''])), undefined);
    const e = kvModel({ initial: '' });
    assert.equal(e.init(), e.init());
    assert.notEqual(step(e, e.init(), op('get', ['q', null], ['q', ''])), undefined);
    const t = run(e, [op('append', ['q', 'a'])]);
    assert.notEqual(step(e, t, op('get', ['q', null], ['q', 'a'])), undefined);
  });

  it('unknown-outcome ops: writes/appends apply, reads constrain nothing', () => {
    const s = run(m, [op('put', ['x', 'a'])]);
    const t = step(m, s, crashed('append', ['x', 'b']))!;
    assert.notEqual(step(m, t, op('get', ['x', null], ['x', 'ab'])), undefined);
    assert.equal(step(m, s, crashed('get', ['x', null])), s);
    const u = step(m, s, crashed('put', ['x', 9]))!;
    assert.notEqual(step(m, u, op('get', ['x', null], ['x', 9])), undefined);
  });

  it('nilReadAny makes null reads legal on any key', () => {
    const k = kvModel({ nilReadAny: true });
    const s = run(k, [op('put', ['x', 1])]);
    assert.equal(step(k, s, op('get', ['x', null], ['x', null])), s);
    assert.equal(step(m, s, op('get', ['x', null], ['x', null])), undefined);
  });

  it('states compare by content: key order, rewriting initial, key types', () => {
    assertSame(m, run(m, [op('put', ['x', 1]), op('put', ['y', 2])]), run(m, [op('put', ['y', 2]), op('put', ['x', 1])]));
    assertSame(m, run(m, [op('put', ['x', 1]), op('put', ['x', null])]), m.init());
    assertDifferent(m, run(m, [op('put', [1, 1])]), run(m, [op('put', ['1', 1])]));
    assertDifferent(m, run(m, [op('put', ['x', 1])]), run(m, [op('put', ['x', '1'])]));
    const s = run(m, [op('put', ['x', 1])]);
    assert.equal(step(m, s, op('put', ['x', 1])), s, 'an unchanged write returns the same state');
  });

  it('randomized: equals/hash agree with a reference map', () => {
    const r = rng(7);
    const keys = ['a', 'b', 'c', 'd', 'e', 0];
    const vals = [null, 0, 1, 'a'];
    const states: { s: unknown; ref: string }[] = [];
    for (let trial = 0; trial < 400; trial++) {
      let s = m.init();
      const ref = new Map<string, unknown>();
      for (let i = Math.floor(r() * 8); i > 0; i--) {
        const k = pick(r, keys);
        const v = pick(r, vals);
        s = step(m, s, op('put', [k, v]))!;
        ref.set(JSON.stringify(k), v);
        // Reads of the reference value are always legal.
        const rk = pick(r, keys);
        assert.notEqual(step(m, s, op('get', [rk, null], [rk, ref.get(JSON.stringify(rk)) ?? null])), undefined);
      }
      states.push({ s, ref: JSON.stringify([...ref].filter(([, v]) => v !== null).sort(([a], [b]) => (a < b ? -1 : 1))) });
    }
    for (const a of states) {
      for (const b of states) {
        assert.equal(m.equals(a.s as never, b.s as never), a.ref === b.ref);
        if (a.ref === b.ref) assert.equal(m.hash(a.s as never), m.hash(b.s as never));
      }
    }
  });

  it('partitions by key, keeping op order', () => {
    const ops = [op('put', ['x', 1]), op('put', ['y', 1]), op('get', ['x', null], ['x', 1]), op('read', null, 1, { key: 'y' }), op('put', [1, 2])];
    const parts = m.partition!(ops);
    assert.deepEqual(
      parts.map((p) => [p.key, p.ops]),
      [
        ['x', [ops[0], ops[2]]],
        ['y', [ops[1], ops[3]]],
        [1, [ops[4]]],
      ],
    );
  });

  it('readOnly and crash classes', () => {
    assert.equal(m.readOnly!(op('get', ['x', null], ['x', 1])), true);
    assert.equal(m.readOnly!(op('read', null, 1, { key: 'x' })), true);
    assert.equal(m.readOnly!(op('put', ['x', 1])), false);
    assert.equal(m.readOnly!(op('append', ['x', 'a'])), false);
    assert.equal(m.crashClass!(crashed('put', ['x', 1])), m.crashClass!(crashed('write', 1, { key: 'x' })));
    assert.notEqual(m.crashClass!(crashed('put', ['x', 1])), m.crashClass!(crashed('put', ['y', 1])));
    assert.notEqual(m.crashClass!(crashed('put', ['x', 1])), m.crashClass!(crashed('put', ['x', 2])));
    assert.notEqual(m.crashClass!(crashed('put', ['x', 'a'])), m.crashClass!(crashed('append', ['x', 'a'])));
    assert.notEqual(m.crashClass!(crashed('cas', ['x', [1, 2]])), m.crashClass!(crashed('cas', ['x', [3, 2]])));
  });

  it('rejects malformed ops and options with clear messages', () => {
    assertConfigError(() => m.step(m.init(), op('put', 1, undefined, { index: 3 })), 'kv model: put has no key field and its value 1 is not a [key, arg] tuple at history index 3');
    assertConfigError(() => m.step(m.init(), op('get', ['x', null], 5)), 'get result 5 is not a [key, value] tuple', 'expected ["x", value]');
    assertConfigError(() => m.step(m.init(), op('get', ['x', null], ['y', 5])), 'result key "y" differs from its invocation key "x"');
    assertConfigError(() => m.step(m.init(), op('cas', ['x', 1])), 'cas argument 1', 'expected [old, new]');
    assertConfigError(() => m.step(m.init(), op('append', ['x', [1]])), 'append argument [1]');
    assertConfigError(() => m.step(m.init(), op('incr', ['x', 1], undefined, { index: 9 })), 'kv model: unknown f "incr" at history index 9; expected get, put, cas or append');
    assertConfigError(() => kvModel({ initals: '' }), 'unknown option "initals"; valid options: initial, nilReadAny');
    assertConfigError(() => kvModel({ initial: Number.POSITIVE_INFINITY }), 'initial must be a JSON value');
  });

  it('describes states and ops', () => {
    const s = run(m, [op('put', ['x', 1]), op('append', ['my key', 'a'])]);
    assert.equal(m.describe(s), '{"my key"="a", x=1}; other keys null');
    assert.equal(m.describeOp!(op('put', ['x', 3])), 'put x 3');
    assert.equal(m.describeOp!(op('get', ['x', null], ['x', 3])), 'get x -> 3');
    assert.equal(m.describeOp!(crashed('get', ['x', null])), 'get x -> ?');
    assert.equal(m.describeOp!(op('cas', ['x', [1, 2]])), 'cas x 1->2');
    assert.equal(m.describeOp!(op('append', ['x', 'a'])), 'append x "a"');
    assert.equal(m.describeOp!(op('read', null, 4, { key: 'k' })), 'read k -> 4');
  });
});

import assert from 'node:assert/strict';
import { setModel } from '../../../checkers/linearizable/models/set.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, pick, rng, run, step } from './helpers.js';

const read = (elems: unknown) => op('read', null, elems);

describe('set model', () => {
  const m = setModel();

  it('adds, and reads compare as sets in any order', () => {
    const s = run(m, [op('add', 1), op('add', 'a'), op('add', { k: [1] })]);
    assert.equal(step(m, s, read(['a', { k: [1] }, 1])), s, 'a legal read keeps the same state object');
    assert.equal(step(m, s, read([1, 'a', { k: [1] }])), s);
    assert.equal(step(m, s, read([1, 'a'])), undefined, 'missing element');
    assert.equal(step(m, s, read([1, 'a', { k: [1] }, 2])), undefined, 'extra element');
    assert.equal(step(m, s, read([1, 'a', { k: [2] }])), undefined);
    assert.equal(step(m, s, read(['1', 'a', { k: [1] }])), undefined, '"1" is not 1');
    assert.equal(step(m, m.init(), read([])), m.init());
  });

  it('a read listing an element twice is illegal', () => {
    const s = run(m, [op('add', 1)]);
    assert.equal(step(m, s, read([1, 1])), undefined);
  });

  it('accepts EDN sets as read results', () => {
    const s = run(m, [op('add', 1), op('add', 2)]);
    assert.equal(step(m, s, read(new Set([2, 1]))), s);
  });

  it('adding a present element leaves the same state object', () => {
    const s = run(m, [op('add', 1)]);
    assert.equal(step(m, s, op('add', 1)), s);
  });

  it('remove is idempotent by default and strict with strictRemove', () => {
    const s = run(m, [op('add', 1), op('add', 2)]);
    const t = step(m, s, op('remove', 1))!;
    assert.equal(step(m, t, read([2])), t);
    assert.equal(step(m, t, op('remove', 1)), t);
    const strict = setModel({ strictRemove: true });
    const u = run(strict, [op('add', 1)]);
    assert.equal(step(strict, u, op('remove', 2)), undefined);
    assertSame(strict, step(strict, u, op('remove', 1))!, strict.init());
  });

  it('unknown-outcome adds apply; unknown reads constrain nothing', () => {
    const s = step(m, m.init(), crashed('add', 5))!;
    assert.equal(step(m, s, read([5])), s);
    assert.equal(step(m, s, crashed('read', null)), s);
  });

  it('hashes order-independently; equal contents are equal states', () => {
    const a = run(m, [op('add', 1), op('add', 2), op('add', 3)]);
    const b = run(m, [op('add', 3), op('add', 1), op('add', 2), op('add', 4), op('remove', 4)]);
    assertSame(m, a, b);
    assertDifferent(m, a, run(m, [op('add', 1), op('add', 2)]));
    assertSame(m, setModel({ initial: [3, 2, 1, 1] }).init(), a);
  });

  it('randomized: equals/hash agree with a reference set', () => {
    const r = rng(99);
    const vals = [0, 1, 2, 'a', [1], null];
    const states: { s: unknown; ref: string }[] = [];
    for (let trial = 0; trial < 300; trial++) {
      let s = m.init();
      const ref = new Set<string>();
      for (let i = Math.floor(r() * 10); i > 0; i--) {
        const v = pick(r, vals);
        if (r() < 0.6) {
          s = step(m, s, op('add', v))!;
          ref.add(JSON.stringify(v));
        } else {
          s = step(m, s, op('remove', v))!;
          ref.delete(JSON.stringify(v));
        }
      }
      assert.notEqual(step(m, s, read([...ref].map((x) => JSON.parse(x)).reverse())), undefined);
      states.push({ s, ref: JSON.stringify([...ref].sort()) });
    }
    for (const a of states) {
      for (const b of states) {
        assert.equal(m.equals(a.s as never, b.s as never), a.ref === b.ref);
        if (a.ref === b.ref) assert.equal(m.hash(a.s as never), m.hash(b.s as never));
      }
    }
  });

  it('readOnly, crash classes and descriptions', () => {
    assert.equal(m.readOnly!(read([1])), true);
    assert.equal(m.readOnly!(op('add', 1)), false);
    assert.equal(m.readOnly!(op('remove', 1)), false);
    assert.equal(m.crashClass!(crashed('add', { a: 1, b: 2 })), m.crashClass!(crashed('add', { b: 2, a: 1 })));
    assert.notEqual(m.crashClass!(crashed('add', 1)), m.crashClass!(crashed('remove', 1)));
    assert.notEqual(m.crashClass!(crashed('add', 1)), m.crashClass!(crashed('add', 2)));
    assert.equal(m.describe(run(m, [op('add', 2), op('add', 1)])), '#{1 2}');
    assert.equal(m.describeOp!(op('add', 3)), 'add 3');
    assert.equal(m.describeOp!(read([2, 1])), 'read -> #{2 1}');
    assert.equal(m.describeOp!(crashed('read', null)), 'read -> ?');
  });

  it('rejects bad ops and options', () => {
    assertConfigError(() => m.step(m.init(), read(3)), 'set model: read result 3 is not a collection');
    assertConfigError(() => m.step(m.init(), op('pop', null, undefined, { index: 1 })), 'set model: unknown f "pop" at history index 1; expected add, remove or read');
    assertConfigError(() => setModel({ initial: 3 }), 'initial must be an array');
    assertConfigError(() => setModel({ initial: [1, Number.NaN] }), 'initial must be a JSON value');
    assertConfigError(() => setModel({ strict: true }), 'unknown option "strict"; valid options: initial, strictRemove');
  });
});

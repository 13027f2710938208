import assert from 'node:assert/strict';
import { mutexModel } from '../../../checkers/linearizable/models/mutex.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, run, step, tryRun } from './helpers.js';

describe('mutex model', () => {
  const m = mutexModel();

  it('starts free; acquire needs free, release needs held', () => {
    const free = m.init();
    assert.equal(m.describe(free), 'free');
    const held = step(m, free, op('acquire', null));
    assert.notEqual(held, undefined);
    assert.equal(m.describe(held!), 'held');
    assert.equal(step(m, held!, op('acquire', null)), undefined, 'double acquire');
    assert.equal(step(m, free, op('release', null)), undefined, 'release of a free lock');
    assertSame(m, step(m, held!, op('release', null))!, free);
    assertDifferent(m, held!, free);
  });

  it('without ownerAware anyone may release', () => {
    const s = run(m, [op('acquire', null, undefined, { process: 1 }), op('release', null, undefined, { process: 2 })]);
    assertSame(m, s, m.init());
  });

  it('unknown-outcome ops have the same effect when legal', () => {
    const held = step(m, m.init(), crashed('acquire', null));
    assert.equal(m.describe(held!), 'held');
    assert.equal(step(m, held!, crashed('acquire', null)), undefined);
    assert.equal(step(m, m.init(), crashed('release', null)), undefined);
    assert.equal(m.describe(step(m, held!, crashed('release', null))!), 'free');
  });

  it('accepts lock/unlock aliases and rejects other fs', () => {
    assert.notEqual(tryRun(m, [op('lock', null), op('unlock', null)]), undefined);
    assertConfigError(() => m.step(null, op('read', null, undefined, { index: 4 })), 'mutex model: unknown f "read" at history index 4; expected acquire or release');
  });

  it('is never read-only; crash classes are per f', () => {
    assert.equal(m.readOnly!(op('acquire', null)), false);
    assert.equal(m.readOnly!(op('release', null)), false);
    assert.equal(m.crashClass!(crashed('acquire', null, { process: 1 })), m.crashClass!(crashed('acquire', null, { process: 2 })));
    assert.notEqual(m.crashClass!(crashed('acquire', null)), m.crashClass!(crashed('release', null)));
  });

  it('parses the initial option', () => {
    assert.equal(m.describe(mutexModel({ initial: true }).init()), 'held');
    assert.equal(m.describe(mutexModel({ initial: 'held' }).init()), 'held');
    assert.equal(m.describe(mutexModel({ initial: false }).init()), 'free');
    assert.equal(m.describe(mutexModel({ initial: 'free' }).init()), 'free');
    assert.equal(m.describe(mutexModel({ initial: { owner: 3 } }).init()), 'held');
    assertConfigError(() => mutexModel({ initial: 3 }), 'mutex model: bad option initial 3');
    assertConfigError(() => mutexModel({ initial: [] }), 'bad option initial');
    assertConfigError(() => mutexModel({ initial: true, ownerAware: true }), 'needs an owner');
    assertConfigError(() => mutexModel({ initial: { owner: null }, ownerAware: true }), 'non-null owner');
    assertConfigError(() => mutexModel({ owner: 1 }), 'unknown option "owner"', 'initial, ownerAware');
  });

  describe('ownerAware', () => {
    const o = mutexModel({ ownerAware: true });

    it('records the owner: the op value if non-null, else the process', () => {
      const byValue = step(o, o.init(), op('acquire', 'client-a', undefined, { process: 1 }))!;
      assert.equal(o.describe(byValue), 'held by client-a');
      const byProcess = step(o, o.init(), op('acquire', null, undefined, { process: 7 }))!;
      assert.equal(o.describe(byProcess), 'held by 7');
      assertDifferent(o, byValue, byProcess);
    });

    it('only the holder may release', () => {
      const held = step(o, o.init(), op('acquire', null, undefined, { process: 1 }))!;
      assert.equal(step(o, held, op('release', null, undefined, { process: 2 })), undefined);
      assert.equal(o.describe(step(o, held, op('release', null, undefined, { process: 1 }))!), 'free');
      const heldA = step(o, o.init(), op('acquire', 'a', undefined, { process: 1 }))!;
      // A new process id (after an info) releasing with the same owner value is fine.
      assert.equal(o.describe(step(o, heldA, op('release', 'a', undefined, { process: 9 }))!), 'free');
      assert.equal(step(o, heldA, op('release', 'b', undefined, { process: 1 })), undefined);
      // Owner "1" (a string value) is not process 1.
      const heldStr = step(o, o.init(), op('acquire', '1', undefined, { process: 5 }))!;
      assert.equal(step(o, heldStr, op('release', null, undefined, { process: 1 })), undefined);
    });

    it('an initial owner can release', () => {
      const p = mutexModel({ ownerAware: true, initial: { owner: 'x' } });
      assert.equal(step(p, p.init(), op('release', 'y')), undefined);
      assert.equal(p.describe(step(p, p.init(), op('release', 'x'))!), 'free');
    });

    it('equal owners give equal states; crash classes include the owner', () => {
      assertSame(o, step(o, o.init(), op('acquire', { id: 1, n: 'a' }))!, step(o, o.init(), op('acquire', { n: 'a', id: 1 }))!);
      assert.notEqual(o.crashClass!(crashed('acquire', null, { process: 1 })), o.crashClass!(crashed('acquire', null, { process: 2 })));
      assert.equal(o.crashClass!(crashed('release', 'a', { process: 1 })), o.crashClass!(crashed('release', 'a', { process: 2 })));
    });

    it('names the owner in op descriptions', () => {
      assert.equal(o.describeOp!(op('acquire', null, undefined, { process: 3 })), 'acquire (owner process 3)');
      assert.equal(o.describeOp!(op('release', 'a')), 'release (owner a)');
      assert.equal(m.describeOp!(op('acquire', 'a')), 'acquire');
    });
  });
});

/**
 * `mayEnable` lets the search abandon configurations, so a wrong `false` would be a wrong verdict. These pin the
 * cases each model must answer `true` (an enabler exists) and the ones it may safely answer `false`.
 */
import assert from 'node:assert/strict';
import { createModel } from '../../../checkers/linearizable/models/index.js';
import { op } from './helpers.js';

describe('models: mayEnable', () => {
  it('register and cas-register: only a write or cas producing the awaited value', () => {
    for (const name of ['register', 'cas-register']) {
      const m = createModel(name);
      assert.equal(m.mayEnable!(op('write', 1), op('read', null, 1)), true, name);
      assert.equal(m.mayEnable!(op('write', 2), op('read', null, 1)), false, name);
      assert.equal(m.mayEnable!(op('read', null, 1), op('read', null, 1)), false, name);
    }
    const cas = createModel('cas-register');
    assert.equal(cas.mayEnable!(op('cas', [0, 1]), op('read', null, 1)), true);
    assert.equal(cas.mayEnable!(op('write', 3), op('cas', [3, 4])), true, 'a blocked cas waits for its old value');
    assert.equal(cas.mayEnable!(op('write', 4), op('cas', [3, 4])), false);
    const nil = createModel('register', { nilReadAny: true });
    assert.equal(nil.mayEnable!(op('write', 2), op('read', null, null)), true);
  });

  it('kv: per key; an append enables a get only of a value ending with it', () => {
    const m = createModel('kv', { initial: '' });
    assert.equal(m.mayEnable!(op('append', 'b', 'b', { key: 'x' }), op('get', null, 'ab', { key: 'x' })), true);
    assert.equal(m.mayEnable!(op('append', 'a', 'a', { key: 'x' }), op('get', null, 'ab', { key: 'x' })), false);
    assert.equal(m.mayEnable!(op('put', 'ab', 'ab', { key: 'y' }), op('get', null, 'ab', { key: 'x' })), false, 'other key');
    assert.equal(m.mayEnable!(op('put', 'ab', 'ab', { key: 'x' }), op('get', null, 'ab', { key: 'x' })), true);
  });

  it('set: adds of read elements, removes of unread ones', () => {
    const m = createModel('set');
    assert.equal(m.mayEnable!(op('add', 3), op('read', null, [1, 3])), true);
    assert.equal(m.mayEnable!(op('add', 4), op('read', null, [1, 3])), false);
    assert.equal(m.mayEnable!(op('remove', 4), op('read', null, [1, 3])), true);
  });

  it('queues: dequeues always may; an enqueue of the awaited element (any element for unordered)', () => {
    const fifo = createModel('fifo-queue');
    assert.equal(fifo.mayEnable!(op('dequeue', null, 1), op('dequeue', null, 2)), true);
    assert.equal(fifo.mayEnable!(op('enqueue', 2), op('dequeue', null, 2)), true);
    assert.equal(fifo.mayEnable!(op('enqueue', 3), op('dequeue', null, 2)), false);
    assert.equal(fifo.mayEnable!(op('enqueue', 3), op('dequeue', null, null)), false, 'an enqueue never empties a queue');
    const unordered = createModel('unordered-queue');
    assert.equal(unordered.mayEnable!(op('enqueue', 3), op('dequeue', null, 2)), true, 'crashed dequeues may have claimed 2');
  });

  it('mutex: a release enables an acquire and vice versa', () => {
    const m = createModel('mutex');
    assert.equal(m.mayEnable!(op('release', null), op('acquire', null)), true);
    assert.equal(m.mayEnable!(op('acquire', null), op('acquire', null)), false);
  });

  it('multi-register: a txn writing a value a read-only txn saw', () => {
    const m = createModel('multi-register');
    const reader = op('txn', [['r', 'x', null]], [['r', 'x', 1]]);
    assert.equal(m.mayEnable!(op('txn', [['w', 'x', 1]], [['w', 'x', 1]]), reader), true);
    assert.equal(m.mayEnable!(op('txn', [['w', 'x', 2]], [['w', 'x', 2]]), reader), false);
    assert.equal(m.mayEnable!(op('txn', [['w', 'y', 1]], [['w', 'y', 1]]), reader), false);
  });
});

/**
 * Whole histories through the linearizability search, per built-in model: valid and invalid ones, with crashed
 * (info and never-completed) and failed ops.
 */
import assert from 'node:assert/strict';
import type { Op } from '../../../checkers/history/types.js';
import { checkLinearizability } from '../../../checkers/linearizable/check.js';
import type { Model, ModelOptions } from '../../../checkers/linearizable/model.js';
import { createModel } from '../../../checkers/linearizable/models/index.js';

type Rec = [process: number | string, type: Op['type'], f: string, value: unknown, extra?: Partial<Op>];

/** Build a history from terse records; indices are assigned in order. */
function h(...recs: Rec[]): Op[] {
  return recs.map(([process, type, f, value, extra], index) => ({ index, process, type, f, value, ...extra }));
}

/** Shorthand: an invocation immediately followed by its ok completion. */
function ok(process: number, f: string, input: unknown, output: unknown = input, extra?: Partial<Op>): Rec[] {
  return [
    [process, 'invoke', f, input, extra],
    [process, 'ok', f, output, extra],
  ];
}

function check(model: string | Model, history: Op[], opts: ModelOptions = {}) {
  const m = typeof model === 'string' ? createModel(model, opts) : model;
  return checkLinearizability(history, m, { timeBudgetMs: 10_000 });
}

function assertValid(model: string, history: Op[], opts: ModelOptions = {}): void {
  const r = check(model, history, opts);
  assert.equal(r.valid, true, `expected valid, got ${String(r.valid)}: ${r.explanation ?? ''}`);
}

function assertInvalid(model: string, history: Op[], opts: ModelOptions = {}) {
  const r = check(model, history, opts);
  assert.equal(r.valid, false, `expected invalid, got ${String(r.valid)}`);
  assert.ok(r.anomalies.length > 0);
  return r;
}

describe('models through the linearizability search', () => {
  describe('register', () => {
    it('sequential write then read', () => {
      assertValid('register', h(...ok(0, 'write', 1), ...ok(1, 'read', null, 1)));
      assertInvalid('register', h(...ok(0, 'write', 1), ...ok(1, 'read', null, 2)));
    });

    it('a read concurrent with a write may see either value', () => {
      for (const seen of [0, 1]) {
        assertValid(
          'register',
          h([0, 'invoke', 'write', 1], [1, 'invoke', 'read', null], [1, 'ok', 'read', seen], [0, 'ok', 'write', 1]),
          { initial: 0 },
        );
      }
    });

    it('reads may not go back in time', () => {
      assertInvalid(
        'register',
        h([0, 'invoke', 'write', 1], ...ok(1, 'read', null, 1), ...ok(2, 'read', null, 0), [0, 'ok', 'write', 1]),
        { initial: 0 },
      );
    });

    it('a crashed write may or may not have happened, but at most once', () => {
      assertValid('register', h([0, 'invoke', 'write', 2], [0, 'info', 'write', 2], ...ok(1, 'read', null, 2)), { initial: 0 });
      assertValid('register', h([0, 'invoke', 'write', 2], [0, 'info', 'write', 2], ...ok(1, 'read', null, 0)), { initial: 0 });
      assertValid('register', h([0, 'invoke', 'write', 2], ...ok(1, 'read', null, 0), ...ok(1, 'read', null, 2)), { initial: 0 });
      assertInvalid('register', h([0, 'invoke', 'write', 2], [0, 'info', 'write', 2], ...ok(1, 'read', null, 2), ...ok(1, 'read', null, 0)), { initial: 0 });
    });

    it('a failed write never happened', () => {
      assertInvalid('register', h([0, 'invoke', 'write', 2], [0, 'fail', 'write', 2], ...ok(1, 'read', null, 2)), { initial: 0 });
    });

    it('ignores nemesis ops', () => {
      assertValid('register', h(['nemesis', 'info', 'start-partition', null], ...ok(0, 'write', 1), ...ok(1, 'read', null, 1)));
    });
  });

  describe('cas-register', () => {
    it('cas succeeds only from the expected value', () => {
      assertValid('cas-register', h(...ok(0, 'cas', [0, 1]), ...ok(1, 'read', null, 1)), { initial: 0 });
      assertInvalid('cas-register', h(...ok(0, 'cas', [5, 1])), { initial: 0 });
    });

    it('a crashed cas may have applied; a failed one did not', () => {
      assertValid('cas-register', h([0, 'invoke', 'cas', [0, 1]], [0, 'info', 'cas', [0, 1]], ...ok(1, 'read', null, 1)), { initial: 0 });
      assertInvalid('cas-register', h([0, 'invoke', 'cas', [0, 1]], [0, 'fail', 'cas', [0, 1]], ...ok(1, 'read', null, 1)), { initial: 0 });
    });

    it('two successful cas from the same value cannot both happen', () => {
      assertInvalid(
        'cas-register',
        h([0, 'invoke', 'cas', [0, 1]], [1, 'invoke', 'cas', [0, 2]], [0, 'ok', 'cas', [0, 1]], [1, 'ok', 'cas', [0, 2]]),
        { initial: 0 },
      );
    });

    it('nilReadAny accepts null reads', () => {
      const hist = h(...ok(0, 'write', 3), ...ok(1, 'read', null, null));
      assertInvalid('cas-register', hist);
      assertValid('cas-register', hist, { nilReadAny: true });
    });
  });

  describe('mutex', () => {
    it('two holders at once is invalid', () => {
      assertInvalid('mutex', h(...ok(0, 'acquire', null), ...ok(1, 'acquire', null)));
      assertValid('mutex', h(...ok(0, 'acquire', null), ...ok(0, 'release', null), ...ok(1, 'acquire', null)));
    });

    it('a crashed acquire need not have happened', () => {
      assertValid('mutex', h([0, 'invoke', 'acquire', null], [0, 'info', 'acquire', null], ...ok(1, 'acquire', null), ...ok(1, 'release', null)));
    });

    it('ownerAware: only the holder releases', () => {
      const hist = h(...ok(0, 'acquire', null), ...ok(1, 'release', null), ...ok(1, 'acquire', null));
      assertValid('mutex', hist);
      assertInvalid('mutex', hist, { ownerAware: true });
      assertValid('mutex', h(...ok(0, 'acquire', 'a'), ...ok(1, 'release', 'a'), ...ok(1, 'acquire', 'b')), { ownerAware: true });
    });
  });

  describe('multi-register', () => {
    const txn = (p: number, input: unknown, output: unknown = input) => ok(p, 'txn', input, output);

    it('reads see committed writes', () => {
      assertValid('multi-register', h(...txn(0, [['w', 'x', 1], ['w', 'y', 2]]), ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', 1], ['r', 'y', 2]])));
      assertInvalid('multi-register', h(...txn(0, [['w', 'x', 1], ['w', 'y', 2]]), ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', 1], ['r', 'y', null]])));
    });

    it('no torn reads across a concurrent txn', () => {
      const base = (rx: unknown, ry: unknown) =>
        h([0, 'invoke', 'txn', [['w', 'x', 1], ['w', 'y', 1]]], ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', rx], ['r', 'y', ry]]), [0, 'ok', 'txn', [['w', 'x', 1], ['w', 'y', 1]]]);
      assertValid('multi-register', base(1, 1));
      assertValid('multi-register', base(null, null));
      assertInvalid('multi-register', base(1, null));
    });

    it('a crashed txn applies its writes atomically or not at all', () => {
      const crashedTxn: Rec[] = [[0, 'invoke', 'txn', [['w', 'x', 1], ['w', 'y', 1]]], [0, 'info', 'txn', [['w', 'x', 1], ['w', 'y', 1]]]];
      assertValid('multi-register', h(...crashedTxn, ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', 1], ['r', 'y', 1]])));
      assertValid('multi-register', h(...crashedTxn, ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', null], ['r', 'y', null]])));
      assertInvalid('multi-register', h(...crashedTxn, ...txn(1, [['r', 'x', null], ['r', 'y', null]], [['r', 'x', 1], ['r', 'y', null]])));
    });

    it('reports the failing component as its partition', () => {
      const r = assertInvalid('multi-register', h(...txn(0, [['w', 'a', 1]]), ...txn(1, [['r', 'a', null]], [['r', 'a', 1]]), ...txn(0, [['w', 'b', 1]]), ...txn(1, [['r', 'b', null]], [['r', 'b', 2]])));
      assert.deepEqual(r.anomalies.map((a) => a.partition), [['b']]);
    });
  });

  describe('kv', () => {
    it('independent keys with tuples', () => {
      assertValid('kv', h(...ok(0, 'put', ['x', 1]), ...ok(1, 'put', ['y', 2]), ...ok(2, 'get', ['x', null], ['x', 1]), ...ok(2, 'get', ['y', null], ['y', 2])));
      const r = assertInvalid('kv', h(...ok(0, 'put', ['x', 1]), ...ok(1, 'put', ['y', 2]), ...ok(2, 'get', ['x', null], ['x', 1]), ...ok(2, 'get', ['y', null], ['y', 1])));
      assert.deepEqual(r.anomalies.map((a) => a.partition), ['y']);
    });

    it('appends with initial ""', () => {
      const appends = [...ok(0, 'append', ['k', 'a']), ...ok(1, 'append', ['k', 'b'])];
      assertValid('kv', h(...appends, ...ok(2, 'read', ['k', null], ['k', 'ab'])), { initial: '' });
      assertInvalid('kv', h(...appends, ...ok(2, 'read', ['k', null], ['k', 'ba'])), { initial: '' });
      assertValid('kv', h(...ok(2, 'read', ['k', null], ['k', '']), ...appends), { initial: '' });
    });

    it('a crashed append may or may not have happened', () => {
      const crash: Rec[] = [[0, 'invoke', 'append', ['k', 'a']], [0, 'info', 'append', ['k', 'a']]];
      for (const seen of ['b', 'ab']) assertValid('kv', h(...crash, ...ok(1, 'append', ['k', 'b']), ...ok(2, 'read', ['k', null], ['k', seen])), { initial: '' });
      assertInvalid('kv', h(...crash, ...ok(1, 'append', ['k', 'b']), ...ok(2, 'read', ['k', null], ['k', 'aab'])), { initial: '' });
    });

    it('keys from the op key field', () => {
      assertValid('kv', h(...ok(0, 'write', 1, 1, { key: 'x' }), ...ok(1, 'read', null, 1, { key: 'x' })));
      assertInvalid('kv', h(...ok(0, 'write', 1, 1, { key: 'x' }), ...ok(1, 'read', null, 1, { key: 'y' })));
    });
  });

  describe('set', () => {
    it('a read after adds completed sees them all', () => {
      assertValid('set', h(...ok(0, 'add', 1), ...ok(1, 'add', 2), ...ok(2, 'read', null, [2, 1])));
      assertInvalid('set', h(...ok(0, 'add', 1), ...ok(1, 'add', 2), ...ok(2, 'read', null, [1])));
    });

    it('a read concurrent with an add may miss it; a crashed add may show up', () => {
      assertValid('set', h(...ok(0, 'add', 1), [1, 'invoke', 'add', 2], ...ok(2, 'read', null, [1]), [1, 'ok', 'add', 2]));
      assertValid('set', h([0, 'invoke', 'add', 3], [0, 'info', 'add', 3], ...ok(1, 'read', null, [3])));
      assertInvalid('set', h([0, 'invoke', 'add', 3], [0, 'info', 'add', 3], ...ok(1, 'read', null, [3]), ...ok(1, 'read', null, [])));
    });
  });

  describe('fifo-queue', () => {
    it('dequeues in order', () => {
      assertValid('fifo-queue', h(...ok(0, 'enqueue', 1), ...ok(0, 'enqueue', 2), ...ok(1, 'dequeue', null, 1), ...ok(1, 'dequeue', null, 2)));
      assertInvalid('fifo-queue', h(...ok(0, 'enqueue', 1), ...ok(0, 'enqueue', 2), ...ok(1, 'dequeue', null, 2)));
    });

    it('concurrent enqueues may land in either order', () => {
      assertValid('fifo-queue', h([0, 'invoke', 'enqueue', 1], [1, 'invoke', 'enqueue', 2], [0, 'ok', 'enqueue', 1], [1, 'ok', 'enqueue', 2], ...ok(2, 'dequeue', null, 2), ...ok(2, 'dequeue', null, 1)));
    });

    it('a crashed dequeue may have taken the head', () => {
      const pre = [...ok(0, 'enqueue', 1), ...ok(0, 'enqueue', 2), [1, 'invoke', 'dequeue', null] as Rec, [1, 'info', 'dequeue', null] as Rec];
      assertValid('fifo-queue', h(...pre, ...ok(2, 'dequeue', null, 2), ...ok(2, 'dequeue', null, null)));
      assertValid('fifo-queue', h(...pre, ...ok(2, 'dequeue', null, 1), ...ok(2, 'dequeue', null, 2)));
      assertInvalid('fifo-queue', h(...pre, ...ok(2, 'dequeue', null, 2), ...ok(2, 'dequeue', null, 1)));
    });

    it('an empty dequeue needs an empty queue', () => {
      assertInvalid('fifo-queue', h(...ok(0, 'enqueue', 1), ...ok(1, 'dequeue', null, null)));
      assertValid('fifo-queue', h(...ok(1, 'dequeue', null, null), ...ok(0, 'enqueue', 1)));
    });
  });

  describe('unordered-queue', () => {
    it('dequeues in any order, each element once', () => {
      assertValid('unordered-queue', h(...ok(0, 'enqueue', 1), ...ok(0, 'enqueue', 2), ...ok(1, 'dequeue', null, 2), ...ok(1, 'dequeue', null, 1)));
      assertInvalid('unordered-queue', h(...ok(0, 'enqueue', 1), ...ok(1, 'dequeue', null, 1), ...ok(1, 'dequeue', null, 1)));
      assertInvalid('unordered-queue', h(...ok(0, 'enqueue', 1), ...ok(1, 'dequeue', null, 3)));
    });

    it('a crashed dequeue can only take an element present at the time', () => {
      const pre = [...ok(0, 'enqueue', 'a'), [1, 'invoke', 'dequeue', null] as Rec, [1, 'info', 'dequeue', null] as Rec, ...ok(0, 'enqueue', 'b')];
      assertValid('unordered-queue', h(...pre, ...ok(2, 'dequeue', null, 'a'), ...ok(2, 'dequeue', null, 'b'), ...ok(2, 'dequeue', null, null)), {});
      assertValid('unordered-queue', h(...pre, ...ok(2, 'dequeue', null, 'b'), ...ok(2, 'dequeue', null, null)));
      assertInvalid('unordered-queue', h(...pre, ...ok(2, 'dequeue', null, 'b'), ...ok(2, 'dequeue', null, 'a'), ...ok(2, 'dequeue', null, 'a')));
    });

    it('a crashed dequeue may explain a missing element', () => {
      const pre = [...ok(0, 'enqueue', 'a'), ...ok(0, 'enqueue', 'b'), [1, 'invoke', 'dequeue', null] as Rec];
      assertValid('unordered-queue', h(...pre, ...ok(2, 'dequeue', null, 'a'), ...ok(2, 'dequeue', null, null)));
      assertInvalid('unordered-queue', h(...pre, ...ok(2, 'dequeue', null, null)));
    });
  });
});

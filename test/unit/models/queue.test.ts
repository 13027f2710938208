import assert from 'node:assert/strict';
import type { Model, ModelOp } from '../../../checkers/linearizable/model.js';
import { fifoQueueModel } from '../../../checkers/linearizable/models/fifo-queue.js';
import { unorderedQueueModel } from '../../../checkers/linearizable/models/unordered-queue.js';
import { assertConfigError, assertDifferent, assertSame, crashed, op, pick, rng, run, step, tryRun } from './helpers.js';

const enq = (v: unknown) => op('enqueue', v);
const deq = (v: unknown) => op('dequeue', null, v);
const lost = () => crashed('dequeue', null);

describe('fifo-queue model', () => {
  const m = fifoQueueModel();

  it('dequeues in enqueue order', () => {
    const s = run(m, [enq(1), enq(2), enq(3)]);
    assert.equal(step(m, s, deq(2)), undefined);
    const t = run(m, [deq(1), deq(2)], s);
    assert.equal(step(m, t, deq(1)), undefined);
    assertSame(m, step(m, t, deq(3))!, m.init());
  });

  it('a null dequeue observed an empty queue: legal iff empty, same state object', () => {
    assert.equal(step(m, m.init(), deq(null)), m.init());
    assert.equal(step(m, run(m, [enq(1)]), deq(null)), undefined);
    assert.equal(m.readOnly!(deq(null)), true);
    assert.equal(m.readOnly!(deq(1)), false);
    assert.equal(m.readOnly!(lost()), false);
    assert.equal(m.readOnly!(enq(1)), false);
  });

  it('an unknown-outcome dequeue pops the head, and cannot happen on an empty queue', () => {
    const s = run(m, [enq('a'), enq('b'), lost()]);
    assert.notEqual(step(m, s, deq('b')), undefined);
    assert.equal(step(m, s, deq('a')), undefined);
    assert.equal(step(m, m.init(), lost()), undefined);
  });

  it('compares by content and order', () => {
    assertSame(m, run(m, [enq(0), enq({ a: 1, b: 2 }), deq(0)]), run(m, [enq({ b: 2, a: 1 })]));
    assertDifferent(m, run(m, [enq(1), enq(2)]), run(m, [enq(2), enq(1)]));
    assertDifferent(m, run(m, [enq(1)]), run(m, [enq('1')]));
    assertSame(m, fifoQueueModel({ initial: [1, 2] }).init(), run(m, [enq(1), enq(2)]));
  });

  it('crash classes: enqueues by value, all dequeues alike', () => {
    assert.equal(m.crashClass!(crashed('enqueue', 1)), m.crashClass!(crashed('enqueue', 1)));
    assert.notEqual(m.crashClass!(crashed('enqueue', 1)), m.crashClass!(crashed('enqueue', 2)));
    assert.equal(m.crashClass!(lost()), m.crashClass!(crashed('dequeue', null, { process: 4 })));
  });

  it('describes states and ops', () => {
    assert.equal(m.describe(m.init()), 'empty');
    assert.equal(m.describe(run(m, [enq(1), enq('x')])), '[1 "x"] (head first)');
    assert.equal(m.describeOp!(enq(3)), 'enqueue 3');
    assert.equal(m.describeOp!(deq(3)), 'dequeue -> 3');
    assert.equal(m.describeOp!(deq(null)), 'dequeue -> empty');
    assert.equal(m.describeOp!(lost()), 'dequeue -> ?');
  });

  it('rejects null elements, unknown fs and bad options', () => {
    assertConfigError(() => m.step(m.init(), op('enqueue', null, undefined, { index: 6 })), 'fifo-queue model: enqueue of null at history index 6');
    assertConfigError(() => m.step(m.init(), op('drain', null)), 'unknown f "drain"', 'expected enqueue or dequeue');
    assertConfigError(() => fifoQueueModel({ initial: [1, null] }), 'holds null');
    assertConfigError(() => fifoQueueModel({ initial: 'abc' }), 'initial must be an array');
    assertConfigError(() => fifoQueueModel({ capacity: 3 }), 'unknown option "capacity"; valid options: initial');
  });
});

describe('unordered-queue model', () => {
  const m = unorderedQueueModel();

  it('dequeues any present element, one occurrence at a time', () => {
    const s = run(m, [enq(1), enq(2), enq(2)]);
    assert.notEqual(step(m, s, deq(2)), undefined);
    assert.notEqual(step(m, s, deq(1)), undefined);
    assert.equal(step(m, s, deq(3)), undefined);
    const t = run(m, [deq(2), deq(2)], s);
    assert.equal(step(m, t, deq(2)), undefined);
    assertSame(m, run(m, [deq(1)], t), m.init());
  });

  it('a null dequeue observed an empty queue: legal iff empty', () => {
    assert.equal(step(m, m.init(), deq(null)), m.init());
    assert.equal(step(m, run(m, [enq(1)]), deq(null)), undefined);
    assert.equal(m.readOnly!(deq(null)), true);
    assert.equal(m.readOnly!(deq(1)), false);
  });

  it('compares as a multiset', () => {
    assertSame(m, run(m, [enq(1), enq(2), enq(1)]), run(m, [enq(1), enq(1), enq(2)]));
    assertSame(m, unorderedQueueModel({ initial: [2, 1, 1] }).init(), run(m, [enq(1), enq(1), enq(2)]));
    assertDifferent(m, run(m, [enq(1), enq(2)]), run(m, [enq(1), enq(2), enq(2)]));
  });

  describe('unknown-outcome dequeues', () => {
    it('cannot take effect on an empty queue', () => {
      assert.equal(step(m, m.init(), lost()), undefined);
      assert.equal(tryRun(m, [enq(1), lost(), lost()]), undefined);
    });

    it('took one of the elements present, so no one else dequeues it', () => {
      assert.equal(tryRun(m, [enq('a'), lost(), deq('a')]), undefined);
      const s = run(m, [enq('a'), enq('b'), lost()]);
      assert.notEqual(step(m, s, deq('a')), undefined);
      assert.notEqual(step(m, s, deq('b')), undefined);
      assert.equal(tryRun(m, [deq('a'), deq('b')], s), undefined);
      assert.notEqual(tryRun(m, [deq('a'), deq(null)], s), undefined, 'the crashed dequeue took b');
      assert.equal(step(m, s, deq(null)), undefined, 'one element must remain');
    });

    it('cannot have taken an element enqueued after it', () => {
      const s = run(m, [enq('a'), lost(), enq('b')]);
      assert.equal(step(m, s, deq('a')), undefined, 'the crashed dequeue must have taken a');
      assert.notEqual(tryRun(m, [deq('b'), deq(null)], s), undefined);
      assert.equal(step(m, s, deq(null)), undefined);
    });

    it('reach the same state whatever the order of equivalent events', () => {
      const a = run(m, [enq('a'), enq('b'), lost(), deq('a')]);
      const b = run(m, [enq('a'), enq('b'), deq('a'), lost()]);
      assertSame(m, a, b);
      assertSame(m, a, m.init());
    });

    it('show up in descriptions', () => {
      assert.equal(m.describe(run(m, [enq(1), enq(2), lost()])), '{1 2} less 1 (any of the above) taken by crashed dequeue');
      assert.equal(m.describe(run(m, [enq(1), enq(2), lost(), enq(3)])), '{1 2} less 1 (any of the above) taken by crashed dequeue, then {3}');
    });
  });

  it('randomized: legality matches a brute-force enumeration of possible queues', () => {
    // The reference tracks every multiset the queue could hold, given every choice a crashed dequeue could make.
    const r = rng(2024);
    const vals = ['a', 'b', 'c'];
    const key = (ms: string[]) => [...ms].sort().join(',');
    const apply = (worlds: Map<string, string[]>, o: ModelOp): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      const add = (w: string[]) => out.set(key(w), w);
      for (const w of worlds.values()) {
        if (o.f === 'enqueue') add([...w, o.input as string]);
        else if (!o.known) for (let i = 0; i < w.length; i++) add(w.filter((_, j) => j !== i));
        else if (o.output === null) {
          if (w.length === 0) add(w);
        } else {
          const i = w.indexOf(o.output as string);
          if (i >= 0) add(w.filter((_, j) => j !== i));
        }
      }
      return out;
    };
    const candidates = (): ModelOp[] => [...vals.map((v) => deq(v)), deq(null), lost(), ...vals.map((v) => enq(v))];
    let checked = 0;
    for (let trial = 0; trial < 400; trial++) {
      let s = m.init();
      let worlds = new Map([['', [] as string[]]]);
      for (let i = 0; i < 12; i++) {
        // Every possible next op is legal in the model iff some possible queue allows it.
        for (const c of candidates()) {
          const legalRef = apply(worlds, c).size > 0;
          assert.equal(step(m, s, c) !== undefined, legalRef, `after ${m.describe(s)}: ${m.describeOp!(c)}`);
          checked++;
        }
        // Advance by a random legal op, biased towards enqueues and crashes.
        const pool = [...candidates(), enq(pick(r, vals)), lost()].filter((c) => apply(worlds, c).size > 0);
        const next = pick(r, pool);
        s = step(m, s, next)!;
        worlds = apply(worlds, next);
      }
    }
    assert.ok(checked > 10000);
  });

  it('crash classes, describe and errors', () => {
    assert.equal(m.crashClass!(lost()), m.crashClass!(crashed('dequeue', null, { process: 3 })));
    assert.notEqual(m.crashClass!(crashed('enqueue', 1)), m.crashClass!(crashed('enqueue', 2)));
    assert.equal(m.describe(m.init()), 'empty');
    assert.equal(m.describe(run(m, [enq(2), enq(1)])), '{1 2}');
    assertConfigError(() => m.step(m.init(), op('enqueue', undefined)), 'unordered-queue model: enqueue of null');
    assertConfigError(() => m.step(m.init(), op('peek', null)), 'unordered-queue model: unknown f "peek"');
    assertConfigError(() => unorderedQueueModel({ initial: {} }), 'initial must be an array');
    assertConfigError(() => unorderedQueueModel({ ordered: false }), 'unknown option "ordered"; valid options: initial');
  });
});

describe('fifo-queue model against brute force', () => {
  it('randomized: legality matches replaying the list of possible queues', () => {
    const m: Model<unknown> = fifoQueueModel() as Model<unknown>;
    const r = rng(5);
    const vals = [1, 2];
    for (let trial = 0; trial < 200; trial++) {
      let s = m.init();
      let q: number[] = [];
      for (let i = 0; i < 10; i++) {
        for (const v of vals) assert.equal(step(m, s, deq(v)) !== undefined, q[0] === v);
        assert.equal(step(m, s, deq(null)) !== undefined, q.length === 0);
        assert.equal(step(m, s, lost()) !== undefined, q.length > 0);
        if (q.length === 0 || r() < 0.5) {
          const v = pick(r, vals);
          s = step(m, s, enq(v))!;
          q = [...q, v];
        } else {
          s = step(m, s, r() < 0.5 ? lost() : deq(q[0]))!;
          q = q.slice(1);
        }
      }
    }
  });
});

import assert from 'node:assert/strict';
import { MODELS, createModel, modelNames } from '../../../checkers/linearizable/models/index.js';
import { assertConfigError, op, step } from './helpers.js';

describe('model registry', () => {
  it('lists every built-in model', () => {
    assert.deepEqual(modelNames(), ['register', 'cas-register', 'mutex', 'multi-register', 'kv', 'set', 'fifo-queue', 'unordered-queue']);
    for (const n of modelNames()) {
      assert.equal(MODELS[n]!.name, n);
      assert.ok(MODELS[n]!.summary.length > 10 && !MODELS[n]!.summary.includes('\n'), `${n} has a one-line summary`);
      assert.equal(createModel(n).name, n);
    }
  });

  it('rejects an unknown model name, listing the valid ones', () => {
    assertConfigError(() => createModel('regster'), 'unknown model "regster"; valid models: register, cas-register, mutex, multi-register, kv, set, fifo-queue, unordered-queue');
    assertConfigError(() => createModel('toString'), 'unknown model "toString"');
  });

  it('each entry documents exactly the options its factory accepts', () => {
    const sample: Record<string, unknown> = { initial: undefined, nilReadAny: false, ownerAware: false, strictRemove: false };
    for (const n of modelNames()) {
      const info = MODELS[n]!;
      assert.ok(info.options.some((o) => o.name === 'initial'), `${n} documents initial`);
      for (const o of info.options) {
        assert.ok(o.doc.length > 10, `${n}.${o.name} has a doc line`);
        assert.ok(o.name in sample, `test sample lacks ${o.name}`);
        assert.doesNotThrow(() => createModel(n, { [o.name]: sample[o.name] }), `${n} accepts ${o.name}`);
      }
      for (const other of Object.keys(sample)) {
        if (info.options.some((o) => o.name === other)) continue;
        assertConfigError(() => createModel(n, { [other]: false }), `${n} model: unknown option "${other}"`, info.options.map((o) => o.name).join(', '));
      }
    }
  });

  it('uses the documented default initial states', () => {
    const reg = createModel('register');
    assert.notEqual(step(reg, reg.init(), op('read', null, null)), undefined);
    const cas = createModel('cas-register');
    assert.notEqual(step(cas, cas.init(), op('cas', [null, 1])), undefined);
    const mutex = createModel('mutex');
    assert.notEqual(step(mutex, mutex.init(), op('acquire', null)), undefined);
    const kv = createModel('kv');
    assert.notEqual(step(kv, kv.init(), op('get', ['k', null], ['k', null])), undefined);
    const multi = createModel('multi-register');
    assert.notEqual(step(multi, multi.init(), op('txn', [['r', 'k', null]], [['r', 'k', null]])), undefined);
    const set = createModel('set');
    assert.notEqual(step(set, set.init(), op('read', null, [])), undefined);
    for (const q of ['fifo-queue', 'unordered-queue']) {
      const m = createModel(q);
      assert.notEqual(step(m, m.init(), op('dequeue', null, null)), undefined);
    }
  });

  it('passes options through', () => {
    const kv = createModel('kv', { initial: '' });
    assert.notEqual(step(kv, kv.init(), op('get', ['k', null], ['k', ''])), undefined);
    assertConfigError(() => createModel('set', { initial: 5 }), 'set model', 'initial');
  });
});

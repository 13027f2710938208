import assert from 'node:assert/strict';
import {
  KNOWN_ANOMALY_TYPES,
  canonicalAnomaly,
  canonicalModel,
  consistencyModelNames,
  cycleExistsChecks,
  forbiddenAnomalies,
  impliedAnomalies,
  requiredSessionEdges,
  violatedModels,
} from '../../../checkers/txn/models.js';
import { EdgeKind } from '../../../checkers/txn/types.js';

describe('txn consistency models', () => {
  it('resolves aliases and PL names, case-insensitively', () => {
    assert.equal(canonicalModel('PL-2'), 'read-committed');
    assert.equal(canonicalModel('pl-2.99'), 'repeatable-read');
    assert.equal(canonicalModel('PL-SI'), 'snapshot-isolation');
    assert.equal(canonicalModel('PL-3'), 'serializable');
    assert.equal(canonicalModel('PL-SS'), 'strict-serializable');
    assert.equal(canonicalModel('strong-serializable'), 'strict-serializable');
    assert.equal(canonicalModel('PL-2+'), 'consistent-view');
    assert.equal(canonicalModel('strong-SI'), 'strong-snapshot-isolation');
    assert.equal(canonicalModel('strong-session-RC'), 'strong-session-read-committed');
    assert.equal(canonicalModel('Serializable'), 'serializable');
  });

  it('rejects an unknown model with the valid names listed', () => {
    assert.throws(
      () => canonicalModel('serialisable'),
      (e: Error) =>
        /^unknown consistency model "serialisable": expected one of strict-serializable, /.test(e.message) &&
        e.message.includes('read-committed') &&
        e.message.includes('PL-2 (= read-committed)'),
    );
    assert.ok(consistencyModelNames().includes('snapshot-isolation'));
    assert.ok(!consistencyModelNames().includes('PL-SI'), 'aliases are not canonical names');
  });

  it('forbids what a model lists, what weaker models list, and every anomaly implying those', () => {
    const rc = forbiddenAnomalies(['read-committed']);
    for (const t of ['G0', 'G1a', 'G1b', 'G1c', 'G1', 'future-read', 'dirty-update', 'incompatible-order', 'duplicate-elements', 'read-committed-cycle-exists']) {
      assert.ok(rc.has(t), `read-committed forbids ${t}`);
    }
    for (const t of ['G2-item', 'G-single-item', 'G1c-realtime', 'lost-update']) assert.ok(!rc.has(t), `read-committed allows ${t}`);
    const ser = forbiddenAnomalies(['serializable']);
    for (const t of ['G2-item', 'G-single-item', 'G-nonadjacent-item', 'lost-update', 'internal', 'repeatable-read-cycle-exists']) assert.ok(ser.has(t), t);
    assert.ok(!ser.has('G1c-realtime') && !ser.has('G2-item-process'), 'serializable ignores session and real-time order');
    const strict = forbiddenAnomalies(['strict-serializable']);
    for (const t of ['G1c-realtime', 'G2-item-realtime', 'G-single-item-process', 'G0-process', 'strict-serializable-cycle-exists']) assert.ok(strict.has(t), t);
  });

  it('snapshot isolation forbids G-single and G-nonadjacent but allows G2-item', () => {
    const si = forbiddenAnomalies(['snapshot-isolation']);
    assert.ok(si.has('G-single-item') && si.has('G-nonadjacent-item') && si.has('G-nonadjacent'));
    assert.ok(!si.has('G2-item'));
  });

  it('adds explicit anomalies and everything implying them', () => {
    const f = forbiddenAnomalies([], ['G1c']);
    assert.ok(f.has('G1c') && f.has('G0') && f.has('future-read'));
    assert.ok(!f.has('G1a'));
    assert.throws(() => forbiddenAnomalies([], ['G3']), /unknown anomaly type "G3": expected one of .*G-single-item/);
  });

  it('canonicalises anomaly names and cycle-exists names under model aliases', () => {
    assert.equal(canonicalAnomaly('g-single'), 'G-single');
    assert.equal(canonicalAnomaly('G-SIb'), 'GSIb');
    assert.equal(canonicalAnomaly('PL-2-cycle-exists'), 'read-committed-cycle-exists');
    assert.throws(() => canonicalAnomaly('PL-2L-cycle-exists'), /unknown anomaly type/);
    assert.ok(KNOWN_ANOMALY_TYPES.includes('G2-item-realtime'));
  });

  it('closes implications transitively, including the -process and -realtime variants', () => {
    const g0 = impliedAnomalies('G0');
    for (const t of ['G1c', 'G1', 'G0-process', 'G0-realtime', 'G1c-process', 'G1c-realtime', 'G1-realtime']) assert.ok(g0.has(t), t);
    const single = impliedAnomalies('G-single-item');
    for (const t of ['G-single', 'G-nonadjacent', 'G-nonadjacent-item', 'G2-item', 'G2', 'GSIb', 'GSI', 'G2-item-realtime']) assert.ok(single.has(t), t);
    assert.ok(!single.has('G1c'));
    assert.deepEqual([...impliedAnomalies('duplicate-appends')], ['duplicate-appends']);
  });

  describe('violatedModels', () => {
    const cases: [string[], string[], string[]][] = [
      [['G0'], ['read-uncommitted'], []],
      [['G1c'], ['read-committed'], []],
      [['G2-item'], ['repeatable-read'], ['serializable', 'strict-serializable', 'strong-session-serializable']],
      [['G-single-item'], ['consistent-view', 'repeatable-read'], []],
      [['G-single-item-realtime'], ['strong-snapshot-isolation'], ['strict-serializable']],
      [['G2-item-realtime'], ['strict-serializable'], []],
      [['G1c-process'], ['strong-session-read-committed'], []],
      [['lost-update'], ['cursor-stability', 'update-atomic'], []],
      [['internal'], ['read-atomic'], ['causal-cerone', 'snapshot-isolation', 'serializable']],
      [['cycle-search-timeout', 'empty-transaction-graph', 'duplicate-appends'], [], []],
    ];
    for (const [types, not, alsoNotIncludes] of cases) {
      it(`${types.join(', ')} → not ${not.join(', ') || 'nothing'}`, () => {
        const r = violatedModels(types);
        assert.deepEqual(r.not, not);
        for (const m of alsoNotIncludes) assert.ok(r.alsoNot.includes(m), `alsoNot has ${m}: ${r.alsoNot.join(', ')}`);
        for (const m of r.not) assert.ok(!r.alsoNot.includes(m));
      });
    }

    it('puts every stronger model in alsoNot (G-single-item breaks snapshot isolation too)', () => {
      const r = violatedModels(['G-single-item']);
      for (const m of ['snapshot-isolation', 'serializable', 'strict-serializable', 'forward-consistent-view', 'update-serializable']) {
        assert.ok(r.alsoNot.includes(m), m);
      }
      assert.ok(!r.alsoNot.includes('read-committed') && !r.alsoNot.includes('cursor-stability'));
    });

    it('si-without-g-single: G2-item rules out repeatable-read but not snapshot isolation', () => {
      const forbidden = forbiddenAnomalies(['snapshot-isolation', 'repeatable-read']);
      assert.ok(forbidden.has('G2-item'));
      const r = violatedModels(['G2-item']);
      assert.deepEqual(r.not, ['repeatable-read']);
      assert.ok(!r.alsoNot.includes('snapshot-isolation'));
    });
  });

  it('asks for process and realtime edges only when a session or strict model is requested', () => {
    assert.deepEqual(requiredSessionEdges(forbiddenAnomalies(['serializable'])), { process: false, realtime: false });
    assert.deepEqual(requiredSessionEdges(forbiddenAnomalies(['strong-session-serializable'])), { process: true, realtime: false });
    assert.deepEqual(requiredSessionEdges(forbiddenAnomalies(['strict-serializable'])), { process: true, realtime: true });
    assert.deepEqual(requiredSessionEdges(forbiddenAnomalies(['read-committed'], ['G1c-realtime'])), { process: true, realtime: true });
  });

  it('lists cycle-exists checks for a model and the models it implies, weakest first', () => {
    const checks = cycleExistsChecks(['serializable']);
    assert.deepEqual(
      checks.map((c) => c.type),
      ['read-uncommitted-cycle-exists', 'read-committed-cycle-exists', 'repeatable-read-cycle-exists', 'snapshot-isolation-cycle-exists', 'serializable-cycle-exists'],
    );
    const si = checks.find((c) => c.model === 'snapshot-isolation')!;
    assert.equal(si.shape, 'single-rw');
    assert.equal(si.mask, EdgeKind.ww | EdgeKind.wr | EdgeKind.rw);
    assert.ok(si.ruledOutBy.has('G-single-item') && !si.ruledOutBy.has('G2-item'));
    const strict = cycleExistsChecks(['strict-serializable']);
    assert.equal(strict[strict.length - 1]!.type, 'strict-serializable-cycle-exists');
    assert.equal(strict[strict.length - 1]!.mask, EdgeKind.ww | EdgeKind.wr | EdgeKind.rw | EdgeKind.process | EdgeKind.realtime);
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planSchedule, targetCount, type NemesisSpec } from '../../../harness/faults/schedule.js';
import { parseNemesisFlag } from '../../../harness/faults/fault-parse.js';
import { Rng } from '../../../harness/seed.js';

const spec: NemesisSpec = {
  faults: [
    { kind: 'kill', target: 'leader' },
    { kind: 'pause', target: 'one' },
    { kind: 'link', mode: 'latency', scope: 'node', target: 'one' },
    { kind: 'link', mode: 'down', scope: 'client', target: 'minority' },
  ],
  gapMs: [200, 800],
  durationMs: [100, 500],
};

describe('nemesis schedule', () => {
  it('is the same for the same seed and differs for another seed', () => {
    const a = planSchedule(spec, new Rng(7).fork('nemesis'), 30_000);
    const b = planSchedule(spec, new Rng(7).fork('nemesis'), 30_000);
    const c = planSchedule(spec, new Rng(8).fork('nemesis'), 30_000);
    assert.ok(a.length > 10);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('does not shift when other streams of the same seed are used first', () => {
    const root = new Rng(99);
    root.fork('generator-0').int(0, 100);
    assert.deepEqual(planSchedule(spec, root.fork('nemesis'), 10_000), planSchedule(spec, new Rng(99).fork('nemesis'), 10_000));
  });

  it('plans windows in order, within the limits, one at a time (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 60_000 }), (seed, limit) => {
        const plan = planSchedule(spec, new Rng(seed), limit);
        let prevEnd = 0;
        for (const w of plan) {
          assert.ok(w.startMs - prevEnd >= 200 && w.startMs - prevEnd <= 800, `gap ${w.startMs - prevEnd}`);
          assert.ok(w.endMs - w.startMs >= 100 && w.endMs - w.startMs <= 500);
          assert.ok(w.endMs <= limit);
          if (w.fault.kind === 'link' && w.fault.mode === 'latency') assert.ok(w.latencyMs! >= 50 && w.latencyMs! <= 500);
          prevEnd = w.endMs;
        }
      }),
    );
  });

  it('returns no windows without faults', () => {
    assert.deepEqual(planSchedule({ faults: [] }, new Rng(1), 60_000), []);
  });

  it('counts targets: minority is short of half, majority is more than half', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => targetCount('minority', n)), [1, 1, 1, 1, 2]);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => targetCount('majority', n)), [1, 2, 2, 3, 3]);
    assert.equal(targetCount('all', 5), 5);
    assert.equal(targetCount('one', 5), 1);
  });
});

describe('--nemesis flag', () => {
  it('parses faults with scopes and targets', () => {
    assert.deepEqual(parseNemesisFlag('kill:leader, pause ,link-down:client:minority,link-latency:node:all'), [
      { kind: 'kill', target: 'leader' },
      { kind: 'pause', target: 'one' },
      { kind: 'link', mode: 'down', scope: 'client', target: 'minority' },
      { kind: 'link', mode: 'latency', scope: 'node', target: 'all' },
    ]);
    assert.equal(parseNemesisFlag('none'), null);
    assert.deepEqual(parseNemesisFlag('pause:client:minority'), [{ kind: 'pause', target: 'minority', scope: 'client' }]);
  });

  it('rejects unknown words with the valid ones listed', () => {
    assert.throws(() => parseNemesisFlag('partition'), /unknown fault "partition".*valid: kill, pause, link-down, link-blackhole, link-latency, link-reset, link-bandwidth/);
    assert.throws(() => parseNemesisFlag('kill:sometimes'), /unknown word "sometimes".*targets: one, minority, majority, all, leader, primary/);
    assert.throws(() => parseNemesisFlag('kill:client'), /scope applies only to link-\* faults \(and pause:client\)/);
    assert.throws(() => parseNemesisFlag('pause:client:leader'), /names a node, not a client/);
    assert.throws(() => parseNemesisFlag('link-down:client:leader'), /use link-down:node:leader/);
    assert.throws(() => parseNemesisFlag(''), /expects a list/);
  });
});

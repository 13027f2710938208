/**
 * The register generator: pure, seeded, unique write values, sane cas shapes, ratios respected, precise option
 * errors, and final reads covering every key. Plus the clients' pure helpers (value parsing, node choice, the
 * etcd not-sent classifier).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../harness/seed.js';
import { RegisterOptionsError, VALUE_STRIDE, etcdNotSent, parseRegisterValue, pickEndpoint, registerWorkload, type RegisterOptions } from '../../workloads/register/index.js';
import type { OpRequest } from '../../workloads/types.js';

function take(options: Partial<RegisterOptions>, worker: number, seed: number, n: number): OpRequest[] {
  const gen = registerWorkload(options).generator(worker, new Rng(seed).fork(`client-${worker}`));
  const out: OpRequest[] = [];
  for (let i = 0; i < n; i++) {
    const op = gen.next();
    if (op === null) break;
    out.push(op);
  }
  return out;
}

/** Every value a write or cas puts into a key. */
function written(ops: readonly OpRequest[]): number[] {
  return ops.flatMap((op) => (op.f === 'write' ? [op.value as number] : op.f === 'cas' ? [(op.value as [unknown, number])[1]] : []));
}

describe('register generator', () => {
  it('is deterministic: same worker and seed give the same stream', () => {
    assert.deepEqual(take({}, 2, 42, 2000), take({}, 2, 42, 2000));
  });

  it('different seeds give different streams; different workers write different values', () => {
    assert.notDeepEqual(take({}, 0, 1, 200), take({}, 0, 2, 200));
    const a = new Set(written(take({}, 0, 7, 2000)));
    const b = written(take({}, 1, 7, 2000));
    assert.ok(b.length > 0);
    for (const v of b) assert.ok(!a.has(v), `value ${v} written by both workers`);
  });

  it('write values are unique across workers and never 0 or null', () => {
    const seen = new Set<number>();
    for (let w = 0; w < 8; w++) {
      for (const v of written(take({ writeRatio: 1, casRatio: 1 }, w, 99, 3000))) {
        assert.ok(Number.isSafeInteger(v) && v > 0, `bad value ${v}`);
        assert.ok(!seen.has(v), `duplicate value ${v}`);
        seen.add(v);
      }
    }
    assert.ok(seen.size > 8 * 2000);
  });

  it('keys are k0..k{n-1} in op.key, reads invoke with null', () => {
    const ops = take({ keys: 5 }, 0, 3, 3000);
    const keys = new Set(ops.map((op) => op.key));
    assert.deepEqual([...keys].sort(), ['k0', 'k1', 'k2', 'k3', 'k4']);
    for (const op of ops) if (op.f === 'read') assert.equal(op.value, null);
  });

  it('cas is [old, new]: old is null or a value this worker wrote to that key before; new is fresh', () => {
    const ops = take({ readRatio: 0, writeRatio: 1, casRatio: 2 }, 3, 11, 5000);
    const mine = new Map<unknown, Set<number>>();
    let nullOld = 0;
    let cas = 0;
    for (const op of ops) {
      const set = mine.get(op.key) ?? new Set<number>();
      mine.set(op.key, set);
      if (op.f === 'cas') {
        cas++;
        assert.ok(Array.isArray(op.value) && op.value.length === 2);
        const [old, next] = op.value as [number | null, number];
        if (old === null) nullOld++;
        else assert.ok(set.has(old), `cas old ${old} was never written by this worker to ${String(op.key)}`);
        assert.ok(!set.has(next));
        assert.equal(Math.floor(next / VALUE_STRIDE), 3, 'values carry the worker index');
        set.add(next);
      } else {
        set.add(op.value as number);
      }
    }
    assert.ok(cas > 2500);
    assert.ok(nullOld > 0 && nullOld < cas * 0.2, `null old in ${nullOld} of ${cas} cas ops`);
  });

  it('respects the ratios (loosely)', () => {
    const count = (o: Partial<RegisterOptions>) => {
      const c: Record<string, number> = { read: 0, write: 0, cas: 0 };
      for (const op of take(o, 0, 5, 20_000)) c[op.f]!++;
      return c;
    };
    const d = count({});
    assert.ok(Math.abs(d.read! / 20_000 - 0.5) < 0.03, JSON.stringify(d));
    assert.ok(Math.abs(d.write! / 20_000 - 0.3) < 0.03, JSON.stringify(d));
    assert.ok(Math.abs(d.cas! / 20_000 - 0.2) < 0.03, JSON.stringify(d));
    const w = count({ readRatio: 0, writeRatio: 2, casRatio: 0 });
    assert.deepEqual(w, { read: 0, write: 20_000, cas: 0 });
  });

  it('opsPerWorker ends the stream', () => {
    const gen = registerWorkload({ opsPerWorker: 3 }).generator(0, new Rng(1));
    assert.ok(gen.next() && gen.next() && gen.next());
    assert.equal(gen.next(), null);
    assert.equal(gen.next(), null);
    assert.equal(registerWorkload({ opsPerWorker: 0 }).generator(0, new Rng(1)).next(), null);
  });

  it('finalOps reads every key once', () => {
    assert.deepEqual(registerWorkload({ keys: 3 }).finalOps(), [
      { f: 'read', key: 'k0', value: null },
      { f: 'read', key: 'k1', value: null },
      { f: 'read', key: 'k2', value: null },
    ]);
  });

  it('resolves defaults into options', () => {
    assert.deepEqual(registerWorkload().options, { keys: 3, readRatio: 0.5, writeRatio: 0.3, casRatio: 0.2 });
    assert.equal(registerWorkload().name, 'register');
  });

  describe('option validation', () => {
    const bad = (o: unknown, pattern: RegExp) =>
      assert.throws(
        () => registerWorkload(o as Partial<RegisterOptions>),
        (e: unknown) => e instanceof RegisterOptionsError && pattern.test(e.message),
      );

    it('unknown options are named along with the valid ones', () => {
      bad({ key: 3 }, /unknown register option "key"; valid options are: keys, readRatio, writeRatio, casRatio, opsPerWorker/);
      bad({ foo: 1, bar: 2 }, /options "foo", "bar"/);
    });

    it('keys must be an integer >= 1', () => {
      bad({ keys: 0 }, /keys must be >= 1, got 0/);
      bad({ keys: 1.5 }, /keys must be an integer/);
      bad({ keys: '3' }, /keys must be a finite number, got "3"/);
    });

    it('ratios must be >= 0 and not all zero', () => {
      bad({ readRatio: -0.1 }, /readRatio must be >= 0/);
      bad({ casRatio: Number.NaN }, /casRatio must be a finite number/);
      bad({ readRatio: 0, writeRatio: 0, casRatio: 0 }, /must not all be 0/);
    });

    it('opsPerWorker must be a non-negative integer', () => {
      bad({ opsPerWorker: -1 }, /opsPerWorker must be >= 0/);
      bad({ opsPerWorker: 2.5 }, /opsPerWorker must be an integer/);
    });

    it('rejects a bad worker index', () => {
      assert.throws(() => registerWorkload().generator(-1, new Rng(1)), RangeError);
    });
  });

  it('property: no write value repeats, across workers and any options', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.record({ readRatio: fc.double({ min: 0, max: 1, noNaN: true }), writeRatio: fc.double({ min: 0.01, max: 1, noNaN: true }), casRatio: fc.double({ min: 0, max: 1, noNaN: true }) }),
        (seed, workers, keys, ratios) => {
          const w = registerWorkload({ keys, ...ratios });
          const seen = new Set<number>();
          for (let i = 0; i < workers; i++) {
            const gen = w.generator(i, new Rng(seed).fork(`client-${i}`));
            for (let n = 0; n < 300; n++) {
              const op = gen.next()!;
              const v = op.f === 'write' ? (op.value as number) : op.f === 'cas' ? (op.value as [unknown, number])[1] : undefined;
              if (v === undefined) continue;
              if (seen.has(v) || !(v > 0)) return false;
              seen.add(v);
            }
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('register client helpers', () => {
  it('parseRegisterValue: integers back to numbers, anything else kept as text', () => {
    assert.equal(parseRegisterValue(null), null);
    assert.equal(parseRegisterValue('42'), 42);
    assert.equal(parseRegisterValue('3000000017'), 3000000017);
    assert.equal(parseRegisterValue('007'), '007');
    assert.equal(parseRegisterValue('1e3'), '1e3');
    assert.equal(parseRegisterValue(''), '');
    assert.equal(parseRegisterValue('x'), 'x');
  });

  it('pickEndpoint: first by default, by index or by name, precise error otherwise', () => {
    const eps = [
      { node: 'n1', endpoint: { host: '127.0.0.1', port: 1 } },
      { node: 'n2', endpoint: { host: '127.0.0.1', port: 2 } },
    ];
    assert.equal(pickEndpoint(eps, undefined).node, 'n1');
    assert.equal(pickEndpoint(eps, 1).node, 'n2');
    assert.equal(pickEndpoint(eps, 'n2').node, 'n2');
    assert.throws(() => pickEndpoint(eps, 'n3'), /no node "n3"; nodes are n1, n2/);
    assert.throws(() => pickEndpoint([], undefined), /no endpoints/);
  });

  it('etcdNotSent: only errors that prove the call never reached a connection', () => {
    assert.equal(etcdNotSent(new Error('14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1')), true);
    assert.equal(etcdNotSent(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 1.001s,name resolution: 0.001s,Waiting for LB pick')), true);
    assert.equal(etcdNotSent(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 1.001s,metadata filters: 0.001s,remote_addr=127.0.0.1:1')), false);
    assert.equal(etcdNotSent(new Error('14 UNAVAILABLE: read ECONNRESET')), false);
    assert.equal(etcdNotSent(new Error('etcdserver: leader changed')), false);
    assert.equal(etcdNotSent(new Error('etcdserver: request timed out')), false);
  });
});

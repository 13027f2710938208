/**
 * The transactional workload generators (list-append, rw-register, bank, set): pure and seeded, unique values per key
 * across workers, txn lengths and key distributions within bounds, per-worker key retirement, final reads, precise
 * option errors. Plus the PostgreSQL clients' pure parts: option resolution, op parsing, the outcome classifier.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../harness/seed.js';
import { bankWorkload, type BankWorkloadOptions, type Transfer } from '../../workloads/bank/generator.js';
import { parseTransfer } from '../../workloads/bank/pg.js';
import { listAppendWorkload, slotKey, VALUE_STRIDE, WorkloadOptionsError, type ListAppendOptions } from '../../workloads/list-append/generator.js';
import { parseListAppendOp, pgListAppendClient } from '../../workloads/list-append/pg.js';
import { rwRegisterWorkload } from '../../workloads/rw-register/generator.js';
import { parseRwRegisterOp, pgRwRegisterClient } from '../../workloads/rw-register/pg.js';
import { setWorkload } from '../../workloads/set/generator.js';
import { pgSetClient } from '../../workloads/set/pg.js';
import { pgBankClient } from '../../workloads/bank/pg.js';
import { beginStatement, classifyPgFailure, pgTimeouts, resolvePgTxnOptions } from '../../workloads/txn-pg.js';
import type { OpRequest, Workload } from '../../workloads/types.js';

type Mop = [string, number, number | null];

function take(workload: Workload<unknown>, worker: number, seed: number, n: number): OpRequest[] {
  const gen = workload.generator(worker, new Rng(seed).fork(`generator-${worker}`));
  const out: OpRequest[] = [];
  for (let i = 0; i < n; i++) {
    const op = gen.next();
    if (op === null) break;
    out.push(op);
  }
  return out;
}

const mopsOf = (ops: readonly OpRequest[]): Mop[] => ops.flatMap((op) => op.value as Mop[]);

/** Throws WorkloadOptionsError whose message matches. */
function bad(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof WorkloadOptionsError && pattern.test(e.message), `expected WorkloadOptionsError ${pattern}`);
}

for (const [name, make, writeF] of [
  ['list-append', (o?: Partial<ListAppendOptions>) => listAppendWorkload(o), 'append'],
  ['rw-register', (o?: Partial<ListAppendOptions>) => rwRegisterWorkload(o), 'w'],
] as const) {
  describe(`${name} generator`, () => {
    it('is deterministic per (worker, seed); seeds and workers differ', () => {
      assert.deepEqual(take(make(), 2, 42, 1000), take(make(), 2, 42, 1000));
      assert.notDeepEqual(take(make(), 2, 42, 100), take(make(), 2, 43, 100));
      assert.notDeepEqual(take(make(), 1, 42, 100), take(make(), 2, 42, 100));
      assert.equal(make().name, name);
    });

    it(`txns are {f: 'txn'} of ['${writeF}', k, v] / ['r', k, null] with lengths within bounds`, () => {
      const lengths = new Set<number>();
      for (const op of take(make({ minTxnLength: 2, maxTxnLength: 5 }), 0, 7, 3000)) {
        assert.equal(op.f, 'txn');
        const mops = op.value as Mop[];
        assert.ok(mops.length >= 2 && mops.length <= 5, `length ${mops.length}`);
        lengths.add(mops.length);
        for (const [f, k, v] of mops) {
          assert.ok(Number.isSafeInteger(k) && k >= 0, `key ${k}`);
          if (f === 'r') assert.equal(v, null);
          else {
            assert.equal(f, writeF);
            assert.ok(Number.isSafeInteger(v) && v! > 0, `value ${v}`);
          }
        }
      }
      assert.deepEqual([...lengths].sort(), [2, 3, 4, 5], 'every length in range occurs');
      for (const op of take(make(), 0, 7, 500)) assert.ok((op.value as Mop[]).length >= 1 && (op.value as Mop[]).length <= 4, 'defaults 1..4');
      for (const op of take(make({ minTxnLength: 3, maxTxnLength: 3 }), 0, 7, 50)) assert.equal((op.value as Mop[]).length, 3);
    });

    it('reads and writes come with equal chance', () => {
      const mops = mopsOf(take(make(), 0, 3, 5000));
      const reads = mops.filter((m) => m[0] === 'r').length / mops.length;
      assert.ok(Math.abs(reads - 0.5) < 0.03, `read share ${reads}`);
    });

    it('written values are unique per key (indeed globally) across workers and carry the worker index', () => {
      const seen = new Set<number>();
      for (let w = 0; w < 6; w++) {
        for (const [f, , v] of mopsOf(take(make({ keyCount: 2, maxWritesPerKey: 5 }), w, 99, 2000))) {
          if (f === 'r') continue;
          assert.ok(!seen.has(v!), `value ${v} written twice`);
          assert.equal(Math.floor(v! / VALUE_STRIDE), w);
          seen.add(v!);
        }
      }
      assert.ok(seen.size > 6 * 2000);
    });

    it('exponential key distribution (base 2) over slots; uniform is flat', () => {
      const share = (o: Partial<ListAppendOptions>, n = 20_000) => {
        const mops = mopsOf(take(make({ maxWritesPerKey: 1_000_000, ...o }), 0, 5, n));
        const counts = new Map<number, number>();
        for (const [, k] of mops) counts.set(k, (counts.get(k) ?? 0) + 1);
        return (k: number) => (counts.get(k) ?? 0) / mops.length;
      };
      const e = share({});
      // Slot i has weight 2^-i / (2 - 2^-9): about 0.5, 0.25, 0.125 ...
      assert.ok(Math.abs(e(0) - 0.5) < 0.02, `slot 0: ${e(0)}`);
      assert.ok(Math.abs(e(1) - 0.25) < 0.02, `slot 1: ${e(1)}`);
      assert.ok(Math.abs(e(2) - 0.125) < 0.015, `slot 2: ${e(2)}`);
      assert.ok(e(9) < 0.01);
      assert.equal(e(10), 0, 'only the 10 live keys');
      const u = share({ keyDist: 'uniform' });
      for (const k of [0, 1, 2]) assert.ok(Math.abs(u(k) - 1 / 3) < 0.02, `uniform key ${k}: ${u(k)}`);
      assert.equal(u(3), 0, 'uniform defaults to 3 keys');
    });

    it('retires a key after the worker wrote maxWritesPerKey times to it; the next key of a slot is slot + keyCount', () => {
      const ops = take(make({ keyCount: 4, maxWritesPerKey: 3 }), 1, 11, 3000);
      const writes = new Map<number, number>();
      const lastUse = new Map<number, number>();
      ops.forEach((op, i) => {
        for (const [f, k] of op.value as Mop[]) {
          if (f !== 'r') writes.set(k, (writes.get(k) ?? 0) + 1);
          lastUse.set(k, i);
        }
      });
      for (const [k, n] of writes) assert.ok(n <= 3, `key ${k} written ${n} times by one worker`);
      // Slot 0 (the hottest) went through many generations, always in the slotKey numbering.
      const slot0 = [...lastUse.keys()].filter((k) => k % 4 === 0).sort((a, b) => a - b);
      assert.ok(slot0.length > 50, `slot 0 keys: ${slot0.length}`);
      slot0.forEach((k, g) => assert.equal(k, slotKey(0, g, 4)));
      // A retired key is never used again: its last use precedes the first use of the slot's next key.
      const firstUse = new Map<number, number>();
      ops.forEach((op, i) => {
        for (const [, k] of op.value as Mop[]) if (!firstUse.has(k)) firstUse.set(k, i);
      });
      for (let g = 0; g + 1 < slot0.length; g++) assert.ok(lastUse.get(slot0[g]!)! <= firstUse.get(slot0[g + 1]!)!);
    });

    it('workers in step share keys: the same slot numbering in every worker', () => {
      const keys = (w: number) => new Set(mopsOf(take(make({ maxWritesPerKey: 50 }), w, 8, 300)).map((m) => m[1]));
      const a = keys(0);
      const b = keys(1);
      const shared = [...a].filter((k) => b.has(k));
      assert.ok(shared.length >= 5, `shared keys ${shared.length}`);
    });

    it('finalOps: one read txn over the union of every worker’s live keys', () => {
      const wl = make({ keyCount: 3, maxWritesPerKey: 2 });
      assert.deepEqual(wl.finalOps(), [{ f: 'txn', value: [['r', 0, null], ['r', 1, null], ['r', 2, null]] }], 'before any generator: generation 0');
      const g0 = wl.generator(0, new Rng(1));
      const g1 = wl.generator(1, new Rng(2));
      const used = new Set<number>();
      for (let i = 0; i < 40; i++) for (const g of [g0, g1]) for (const [, k] of g.next()!.value as Mop[]) used.add(k);
      const [final] = wl.finalOps();
      assert.equal(final!.f, 'txn');
      const mops = final!.value as Mop[];
      assert.ok(mops.every((m) => m[0] === 'r' && m[2] === null));
      const keys = mops.map((m) => m[1]);
      assert.deepEqual(keys, [...keys].sort((a, b) => a - b), 'sorted, distinct');
      assert.equal(new Set(keys).size, keys.length);
      assert.ok(keys.length >= 3 && keys.length <= 6, `keys ${keys.join(',')}`);
      assert.ok(Math.max(...keys) >= 3, 'slots moved past generation 0');
      // Every final key is one slot of a live generation: the highest key used per slot is among them.
      for (let s = 0; s < 3; s++) {
        const top = Math.max(...[...used].filter((k) => k % 3 === s));
        assert.ok(keys.includes(top) || keys.includes(top + 3), `slot ${s}: top used ${top}, final ${keys.join(',')}`);
      }
    });

    it('opsPerWorker ends the stream', () => {
      assert.equal(take(make({ opsPerWorker: 7 }), 0, 1, 100).length, 7);
      assert.equal(make({ opsPerWorker: 0 }).generator(0, new Rng(1)).next(), null);
    });

    it('resolves Elle’s defaults into options', () => {
      assert.deepEqual(make().options, { keyCount: 10, keyDist: 'exponential', minTxnLength: 1, maxTxnLength: 4, maxWritesPerKey: 256 });
      assert.equal((make({ keyDist: 'uniform' }).options as ListAppendOptions).keyCount, 3);
      assert.equal((make({ keyDist: 'uniform', keyCount: 7 }).options as ListAppendOptions).keyCount, 7);
    });

    it('option errors say what was expected', () => {
      bad(() => make({ keys: 3 } as never), new RegExp(`unknown ${name} option "keys"; valid options are: keyCount, keyDist, minTxnLength, maxTxnLength, maxWritesPerKey, opsPerWorker`));
      bad(() => make({ keyDist: 'zipf' } as never), /keyDist must be one of exponential, uniform, got "zipf"/);
      bad(() => make({ keyCount: 0 }), /keyCount must be >= 1, got 0/);
      bad(() => make({ keyCount: 2.5 }), /keyCount must be an integer, got 2.5/);
      bad(() => make({ minTxnLength: 0 }), /minTxnLength must be >= 1/);
      bad(() => make({ minTxnLength: 5, maxTxnLength: 4 }), /minTxnLength \(5\) must be <= maxTxnLength \(4\)/);
      bad(() => make({ maxWritesPerKey: '9' } as never), /maxWritesPerKey must be a finite number, got "9"/);
      bad(() => make({ opsPerWorker: -1 }), /opsPerWorker must be >= 0/);
      bad(() => make(null as never), /options must be an object, got null/);
      assert.throws(() => make().generator(-1, new Rng(1)), RangeError);
    });
  });
}

describe('list-append values across workers (property)', () => {
  it('no value is appended twice to any key, for any options and worker count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 6 }),
        fc.record({
          keyCount: fc.integer({ min: 1, max: 12 }),
          keyDist: fc.constantFrom('exponential' as const, 'uniform' as const),
          minTxnLength: fc.integer({ min: 1, max: 3 }),
          maxTxnLength: fc.integer({ min: 3, max: 6 }),
          maxWritesPerKey: fc.integer({ min: 1, max: 20 }),
        }),
        (seed, workers, opts) => {
          const wl = listAppendWorkload(opts);
          const perKey = new Map<number, Set<number>>();
          for (let w = 0; w < workers; w++) {
            for (const [f, k, v] of mopsOf(take(wl, w, seed, 150))) {
              if (f !== 'append') continue;
              const s = perKey.get(k) ?? new Set<number>();
              if (s.has(v!) || !(v! > 0)) return false;
              s.add(v!);
              perKey.set(k, s);
            }
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('bank generator', () => {
  it('is deterministic; transfers move 1..maxTransfer between distinct accounts; reads are {f: read, value: null}', () => {
    const wl = bankWorkload({ accounts: 5, maxTransfer: 3 });
    assert.deepEqual(take(wl, 1, 9, 500), take(bankWorkload({ accounts: 5, maxTransfer: 3 }), 1, 9, 500));
    const ops = take(wl, 1, 9, 5000);
    const amounts = new Set<number>();
    const accounts = new Set<number>();
    let reads = 0;
    for (const op of ops) {
      if (op.f === 'read') {
        assert.equal(op.value, null);
        reads++;
        continue;
      }
      assert.equal(op.f, 'transfer');
      const { from, to, amount } = op.value as Transfer;
      assert.notEqual(from, to);
      for (const a of [from, to]) assert.ok(Number.isInteger(a) && a >= 0 && a < 5);
      accounts.add(from).add(to);
      amounts.add(amount);
    }
    assert.deepEqual([...amounts].sort(), [1, 2, 3]);
    assert.equal(accounts.size, 5);
    assert.ok(Math.abs(reads / 5000 - 0.5) < 0.03, `read share ${reads / 5000}`);
    assert.equal(take(bankWorkload({ readRatio: 0 }), 0, 1, 200).filter((o) => o.f === 'read').length, 0);
    assert.equal(take(bankWorkload({ readRatio: 1 }), 0, 1, 200).filter((o) => o.f === 'read').length, 200);
  });

  it('options carry the BankSetup (Jepsen defaults); finalOps is one read; opsPerWorker ends the stream', () => {
    assert.deepEqual(bankWorkload().options, { accounts: 8, total: 100, maxTransfer: 5, readRatio: 0.5 });
    assert.deepEqual(bankWorkload({ accounts: 3, total: 30 }).options, { accounts: 3, total: 30, maxTransfer: 5, readRatio: 0.5 });
    assert.equal(bankWorkload().name, 'bank');
    assert.deepEqual(bankWorkload().finalOps(), [{ f: 'read', value: null }]);
    assert.equal(take(bankWorkload({ opsPerWorker: 4 }), 0, 1, 100).length, 4);
  });

  it('option errors say what was expected', () => {
    bad(() => bankWorkload({ account: 3 } as never), /unknown bank option "account"; valid options are: accounts, total, maxTransfer, readRatio, opsPerWorker/);
    bad(() => bankWorkload({ accounts: 1 }), /bank option accounts must be >= 2, got 1/);
    bad(() => bankWorkload({ total: -1 }), /total must be >= 0/);
    bad(() => bankWorkload({ maxTransfer: 0 }), /maxTransfer must be >= 1/);
    bad(() => bankWorkload({ readRatio: 1.5 }), /readRatio must be <= 1, got 1.5/);
    bad(() => bankWorkload({ total: 10.5 } as Partial<BankWorkloadOptions>), /total must be an integer/);
  });
});

describe('set generator', () => {
  it('adds unique positive elements across workers; reads about readRatio of ops; deterministic', () => {
    assert.deepEqual(take(setWorkload(), 3, 5, 300), take(setWorkload(), 3, 5, 300));
    const seen = new Set<number>();
    let reads = 0;
    let total = 0;
    for (let w = 0; w < 4; w++) {
      for (const op of take(setWorkload(), w, 5, 3000)) {
        total++;
        if (op.f === 'read') {
          assert.equal(op.value, null);
          reads++;
          continue;
        }
        assert.equal(op.f, 'add');
        const e = op.value as number;
        assert.ok(Number.isSafeInteger(e) && e > 0 && !seen.has(e), `element ${e}`);
        seen.add(e);
      }
    }
    assert.ok(Math.abs(reads / total - 0.1) < 0.02, `read share ${reads / total}`);
  });

  it('defaults, finalOps, option errors', () => {
    assert.deepEqual(setWorkload().options, { readRatio: 0.1 });
    assert.equal(setWorkload().name, 'set');
    assert.deepEqual(setWorkload().finalOps(), [{ f: 'read', value: null }]);
    assert.equal(take(setWorkload({ opsPerWorker: 2 }), 0, 1, 10).length, 2);
    bad(() => setWorkload({ ratio: 1 } as never), /unknown set option "ratio"; valid options are: readRatio, opsPerWorker/);
    bad(() => setWorkload({ readRatio: -0.5 }), /set option readRatio must be >= 0/);
  });
});

describe('PostgreSQL transactional clients: pure parts', () => {
  it('isolation option: default serializable, the three levels, a precise error otherwise', () => {
    assert.deepEqual(resolvePgTxnOptions('x', {}, 'tbl'), { isolation: 'serializable', table: 'tbl' });
    assert.equal(beginStatement('read-committed'), 'BEGIN ISOLATION LEVEL READ COMMITTED');
    assert.equal(beginStatement('repeatable-read'), 'BEGIN ISOLATION LEVEL REPEATABLE READ');
    assert.equal(beginStatement('serializable'), 'BEGIN ISOLATION LEVEL SERIALIZABLE');
    bad(() => pgListAppendClient({ isolation: 'snapshot' as never }), /pg list-append client option isolation must be one of read-committed, repeatable-read, serializable, got "snapshot"/);
    bad(() => pgRwRegisterClient({ table: 'Robert"); DROP' }), /option table must be a lower-case SQL identifier/);
    bad(() => pgSetClient({ isolaton: 'serializable' } as never), /unknown pg set client option "isolaton"; valid options are: isolation, table, statementTimeoutMs/);
    bad(() => pgBankClient({ accounts: 0 }), /pg bank client option accounts must be >= 1/);
    bad(() => pgBankClient({ statementTimeoutMs: 0 }), /statementTimeoutMs must be >= 1/);
    assert.equal(pgBankClient({ accounts: 3, total: 9, isolation: 'repeatable-read' }).name, 'postgres');
  });

  it('server timeouts stay below the op timeout', () => {
    assert.deepEqual(pgTimeouts(1000), { statementMs: 500, idleInTxnMs: 2000 });
    assert.equal(pgTimeouts(1000, 5000).statementMs, 999);
    assert.equal(pgTimeouts(1000, 100).statementMs, 100);
    assert.equal(pgTimeouts(1).statementMs, 1);
  });

  it('outcome rules: before COMMIT -> fail; 40001/40P01 on COMMIT -> fail; other trouble after COMMIT -> info (read-only -> fail)', () => {
    const serverErr = (code: string, severity = 'ERROR') => Object.assign(new Error(`boom ${code}`), { code, severity });
    for (const cause of ['error', 'timeout', 'abort', 'not-sent'] as const) {
      assert.equal(classifyPgFailure('before-commit', { cause, error: serverErr('57P01', 'FATAL') }, false).type, 'fail', cause);
    }
    const f = classifyPgFailure('commit', { cause: 'error', error: serverErr('40001') }, false);
    assert.deepEqual(f, { type: 'fail', error: 'COMMIT: error: boom 40001 [SQLSTATE 40001]' });
    assert.equal(classifyPgFailure('commit', { cause: 'error', error: serverErr('40P01') }, false).type, 'fail');
    assert.equal(classifyPgFailure('commit', { cause: 'error', error: serverErr('57P01', 'FATAL') }, false).type, 'info');
    assert.equal(classifyPgFailure('commit', { cause: 'error', error: serverErr('55P03') }, false).type, 'info', 'any other error reply to COMMIT is unclear');
    assert.equal(classifyPgFailure('commit', { cause: 'error', error: new Error('Connection terminated unexpectedly') }, false).type, 'info');
    assert.equal(classifyPgFailure('commit', { cause: 'timeout', error: new Error('no reply') }, false).type, 'info');
    assert.equal(classifyPgFailure('commit', { cause: 'abort', error: new Error('aborted') }, false).type, 'info');
    const ro = classifyPgFailure('commit', { cause: 'timeout', error: new Error('no reply') }, true);
    assert.equal(ro.type, 'fail');
    assert.match(ro.error, /read-only/);
  });

  it('op parsing: well-formed micro-ops pass, anything else is named precisely', () => {
    assert.deepEqual(parseListAppendOp({ f: 'txn', value: [['append', 0, 5], ['r', 3, null]] }), [['append', 0, 5], ['r', 3, null]]);
    assert.throws(() => parseListAppendOp({ f: 'txn', value: [['w', 0, 5]] }), /micro-op 0 is \["w",0,5\]/);
    assert.throws(() => parseListAppendOp({ f: 'txn', value: [['append', -1, 5]] }), /integer keys >= 0/);
    assert.throws(() => parseListAppendOp({ f: 'read', value: null }), /expected f 'txn'/);
    assert.deepEqual(parseRwRegisterOp({ f: 'txn', value: [['w', 1, 2], ['r', 1, null]] }), [['w', 1, 2], ['r', 1, null]]);
    assert.throws(() => parseRwRegisterOp({ f: 'txn', value: [['r', 1, 7]] }), /micro-op 0/);
    const setup = { accounts: 4, total: 40 };
    assert.deepEqual(parseTransfer({ f: 'transfer', value: { from: 0, to: 3, amount: 2 } }, setup), { from: 0, to: 3, amount: 2 });
    assert.throws(() => parseTransfer({ f: 'transfer', value: { from: 1, to: 1, amount: 2 } }, setup), /distinct account ids in 0..3/);
    assert.throws(() => parseTransfer({ f: 'transfer', value: { from: 0, to: 4, amount: 2 } }, setup), /distinct account ids/);
    assert.throws(() => parseTransfer({ f: 'transfer', value: { from: 0, to: 1, amount: 0 } }, setup), /amount > 0/);
  });
});

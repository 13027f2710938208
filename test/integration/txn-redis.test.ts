/**
 * The transactional Redis clients (list-append over MULTI/EXEC; bank naive / watch / lua) against a real
 * redis-server started by the local provisioner, with faultline's fault proxy in front where a reply must go
 * missing: op semantics, atomicity, concurrent clients, the lost update of the naive bank, and the ok / fail / info
 * rules (EXECABORT, nil EXEC, reply lost after EXEC, refused before sending).
 */
import assert from 'node:assert/strict';
import { freePort } from '../../harness/backends/ports.js';
import { redisCommand } from '../../harness/backends/redis.js';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import type { BankSetup } from '../../workloads/bank/accounts.js';
import { redisBankClient, type Balances, type RedisBankKind } from '../../workloads/bank/redis.js';
import { redisListAppendClient } from '../../workloads/list-append/redis.js';
import type { Client, ClientContext, ClientFactory, OpRequest } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';
import { append, barrier, never, OP_TIMEOUT_MS, r, READ, runConcurrently, SLACK_MS, sleep, timed, total, transfer, txn, type Mop } from '../support/txn-ops.js';

type Endpoints = ClientContext['endpoints'];

/** Every unhandled rejection while this file runs (a client must never leave one behind). */
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('transactional redis clients against real redis-server', function () {
  this.timeout(90_000);
  const env = useLocalBackends('txn-redis', { readyTimeoutMs: 15_000 });
  let cluster: Cluster;
  let eps: Endpoints;
  let port: number;
  let proxy: ProxyServer;
  let api: ProxyApi;
  const clients: Client[] = [];
  let worker = 0;

  async function open(factory: ClientFactory, endpoints: Endpoints = eps, opTimeoutMs = OP_TIMEOUT_MS): Promise<Client> {
    const w = worker++;
    const c = await factory.open({ endpoints, worker: w, opTimeoutMs, rng: new Rng(1).fork(`w${w}`) });
    clients.push(c);
    return c;
  }

  /** One proxy link to the node, and endpoints that dial through it. */
  async function linked(prefix: string): Promise<{ endpoints: Endpoints; name: string }> {
    const [link] = await createClientLinks(api, 1, cluster.nodes, prefix);
    return { endpoints: [{ node: link!.node, endpoint: link!.listen }], name: link!.name };
  }

  const hole = { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } } as const;
  const lrange = async (key: string): Promise<number[]> => ((await redisCommand(port, ['LRANGE', key, '0', '-1'])) as string[]).map(Number);
  const get = (key: string) => redisCommand(port, ['GET', key]);

  /** `workers` single-threaded clients running `ops(worker, i)`, reopening after an `info` (the harness's rule). */
  const concurrently = (factory: ClientFactory, workers: number, perWorker: number, ops: (w: number, i: number) => OpRequest) =>
    runConcurrently(() => open(factory), workers, perWorker, ops);


  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await env.provision({ kind: 'redis', topology: 'single' });
    eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    port = cluster.nodes[0]!.endpoint.port;
    proxy = await startProxyServer({ seed: 11 });
    api = new ProxyApi(proxy.url);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  describe('list-append (MULTI/EXEC)', () => {
    const factory = redisListAppendClient({ prefix: 'fltest' });
    const key = (k: number) => `fltest:la:${k}`;
    before(async () => {
      assert.equal(factory.name, 'redis');
      await factory.setup!(eps);
    });

    it('append then read: reads are filled in, see the txn\'s own appends, and an absent key reads []', async () => {
      const c = await open(factory);
      const a = await timed(c, txn(r(1), append(1, 5), r(1), append(1, 6), r(1), r(2)));
      assert.deepEqual(a, { type: 'ok', node: 'n1', value: [['r', 1, []], ['append', 1, 5], ['r', 1, [5]], ['append', 1, 6], ['r', 1, [5, 6]], ['r', 2, []]] });
      const b = await timed(await open(factory), txn(r(1)));
      assert.deepEqual(b.value, [['r', 1, [5, 6]]]);
      assert.deepEqual(await lrange(key(1)), [5, 6], 'stored as a Redis list of decimal strings');
    });

    it('a read-only txn is ok and changes nothing; an empty txn is ok []', async () => {
      const c = await open(factory);
      assert.equal((await c.invoke(txn(append(3, 1), append(4, 2)), never())).type, 'ok');
      const ro = await timed(c, txn(r(3), r(4), r(3)));
      assert.deepEqual(ro, { type: 'ok', node: 'n1', value: [['r', 3, [1]], ['r', 4, [2]], ['r', 3, [1]]] });
      assert.deepEqual([await lrange(key(3)), await lrange(key(4))], [[1], [2]]);
      assert.deepEqual(await c.invoke(txn(), never()), { type: 'ok', value: [], node: 'n1' });
    });

    it('multi-key txns are atomic: concurrent readers always see both keys at the same length', async () => {
      const writer = await open(factory);
      const readers = await Promise.all([open(factory), open(factory)]);
      let writing = true;
      const writes = (async () => {
        for (let v = 1; v <= 150; v++) assert.equal((await writer.invoke(txn(append(10, v), append(11, v)), never())).type, 'ok');
        writing = false;
      })();
      let reads = 0;
      await Promise.all(
        readers.map(async (c) => {
          while (writing) {
            const out = await c.invoke(txn(r(10), r(11)), never());
            assert.equal(out.type, 'ok', JSON.stringify(out));
            const [[, , x], [, , y]] = out.value as [Mop, Mop];
            assert.deepEqual(x, y, 'both appends of a txn, or neither');
            reads++;
          }
        }),
      );
      await writes;
      assert.ok(reads > 10, `only ${reads} reads overlapped the writes`);
    });

    it('5 concurrent clients: the final lists hold exactly the ok appends (no fail ones, no duplicates), and every read is a prefix', async () => {
      const keys = [20, 21, 22];
      const next = new Map(keys.map((k) => [k, 1]));
      const rng = new Rng(5);
      const done = await concurrently(factory, 5, 60, () => {
        const mops: Mop[] = [];
        for (let n = rng.int(1, 4); n > 0; n--) {
          const k = rng.pick(keys);
          if (rng.chance(0.5)) mops.push(r(k));
          else {
            mops.push(append(k, next.get(k)!));
            next.set(k, next.get(k)! + 1);
          }
        }
        return txn(...mops);
      });
      const counts = { ok: 0, fail: 0, info: 0 };
      for (const { out } of done) counts[out.type]++;
      assert.equal(counts.ok, 300, `no faults, so every txn commits: ${JSON.stringify(counts)}`);
      const final = (await (await open(factory)).invoke(txn(...keys.map(r)), never())).value as Mop[];
      for (const [, k, list] of final) {
        const got = list as number[];
        assert.equal(new Set(got).size, got.length, `duplicates in key ${k}`);
        const okAppends = done.filter((d) => d.out.type === 'ok').flatMap((d) => (d.op.value as Mop[]).filter((m) => m[0] === 'append' && m[1] === k).map((m) => m[2] as number));
        assert.deepEqual([...got].sort((a, b) => a - b), okAppends.sort((a, b) => a - b), `key ${k}: the final list is the ok appends`);
        for (const { out } of done) {
          for (const m of out.value as Mop[]) if (m[0] === 'r' && m[1] === k) assert.deepEqual(got.slice(0, (m[2] as number[]).length), m[2], 'a read is a prefix of the final list');
        }
      }
    });

    it('EXECABORT (an append refused while queueing, here OOM) -> fail and nothing written', async () => {
      const c = await open(factory);
      assert.equal(await redisCommand(port, ['CONFIG', 'SET', 'maxmemory', '1']), 'OK');
      try {
        const out = await timed(c, txn(append(30, 1), r(30)));
        assert.equal(out.type, 'fail', JSON.stringify(out));
        assert.match(out.error ?? '', /EXECABORT/);
        // Redis 7 refuses to queue anything in MULTI under OOM, reads included: fail too.
        const ro = await timed(c, txn(r(30)));
        assert.equal(ro.type, 'fail', JSON.stringify(ro));
        assert.match(ro.error ?? '', /EXECABORT/);
      } finally {
        assert.equal(await redisCommand(port, ['CONFIG', 'SET', 'maxmemory', '0']), 'OK');
      }
      assert.deepEqual(await lrange(key(30)), [], 'the discarded txn wrote nothing');
    });

    it('an error inside EXEC: every append refused -> fail; some append applied -> info (Redis does not roll back)', async () => {
      const c = await open(factory);
      assert.equal(await redisCommand(port, ['SET', key(31), 'not a list']), 'OK');
      const none = await timed(c, txn(append(31, 1), r(32)));
      assert.equal(none.type, 'fail', JSON.stringify(none));
      assert.match(none.error ?? '', /WRONGTYPE/);
      const part = await timed(c, txn(append(32, 1), append(31, 2)));
      assert.equal(part.type, 'info', JSON.stringify(part));
      assert.match(part.error ?? '', /partly applied.*WRONGTYPE/);
      assert.deepEqual(await lrange(key(32)), [1], 'the first append did happen');
    });

    it('reply lost after EXEC was sent (replies black-holed) -> info, and the txn did run, once', async () => {
      const { endpoints, name } = await linked('la-hole-');
      try {
        const c = await open(factory, endpoints);
        assert.equal((await c.invoke(txn(r(40)), never())).type, 'ok');
        await api.addToxic(name, hole);
        const out = await timed(c, txn(append(40, 7), r(40)));
        assert.equal(out.type, 'info', JSON.stringify(out));
        // A read-only txn whose reply is lost had no effect: fail.
        const ro = await timed(await open(factory, endpoints), txn(r(40)));
        assert.equal(ro.type, 'fail', JSON.stringify(ro));
        await sleep(200);
      } finally {
        await api.deleteProxy(name);
      }
      assert.deepEqual(await lrange(key(40)), [7], 'EXEC ran exactly once');
    });

    it('an abort after sending -> info for appends, fail for a read-only txn, promptly', async () => {
      const { endpoints, name } = await linked('la-abort-');
      try {
        const c = await open(factory, endpoints);
        const c2 = await open(factory, endpoints);
        await api.addToxic(name, hole);
        for (const [client, op, want] of [[c, txn(append(41, 1)), 'info'], [c2, txn(r(41)), 'fail']] as const) {
          const ac = new AbortController();
          setTimeout(() => ac.abort(new Error('run stopping')), 100);
          const out = await timed(client, op, ac.signal, 100 + SLACK_MS);
          assert.equal(out.type, want, JSON.stringify(out));
          assert.match(out.error ?? '', /abort/);
        }
      } finally {
        await api.deleteProxy(name);
      }
    });

    it('refused before anything was sent (unreachable node, aborted signal, closed client) -> fail, quickly', async () => {
      const nx = await open(factory, [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
      const out = await timed(nx, txn(append(42, 1)), never(), 200);
      assert.equal(out.type, 'fail', JSON.stringify(out));
      assert.match(out.error ?? '', /not connected/);
      const c = await open(factory);
      const ac = new AbortController();
      ac.abort();
      assert.equal((await c.invoke(txn(append(42, 2)), ac.signal)).type, 'fail');
      await c.close();
      await c.close();
      assert.equal((await timed(c, txn(append(42, 3)))).type, 'fail');
      assert.deepEqual(await lrange(key(42)), []);
    });

    it('malformed ops are refused with a message naming the problem', async () => {
      const c = await open(factory);
      await assert.rejects(c.invoke({ f: 'read', value: null }, never()), /unknown f "read"; expected txn/);
      await assert.rejects(c.invoke({ f: 'txn', value: 'x' }, never()), /must be an array of micro-ops/);
      await assert.rejects(c.invoke(txn(['append', 1, 0]), never()), /micro-op 0 .*positive integer/);
      await assert.rejects(c.invoke(txn(r(1), ['w', 1, 2]), never()), /micro-op 1 .*unknown micro-op "w"/);
      await assert.rejects(c.invoke(txn(['r', -1, null]), never()), /non-negative integer/);
      await assert.rejects(c.invoke(txn(['r', 1, [1]]), never()), /invoked with null/);
    });

    it('setup deletes our lists and nothing else', async () => {
      assert.equal(await redisCommand(port, ['SET', 'other:key', 'x']), 'OK');
      await factory.setup!(eps);
      assert.deepEqual(await lrange(key(1)), []);
      assert.equal(await get('other:key'), 'x');
    });
  });

  describe('bank', () => {
    const setup: BankSetup = { accounts: 4, total: 100 };
    const key = (a: number) => `fltest:acct:${a}`;
    const bank = (kind: RedisBankKind, afterRead?: (op: OpRequest) => Promise<void>) => redisBankClient(kind, setup, { prefix: 'fltest', ...(afterRead ? { afterRead } : {}) });

    it('setup writes the initial balances (only under our prefix); read is one MGET -> balances by account id', async () => {
      const f = bank('lua');
      assert.equal(f.name, 'redis-lua');
      await f.setup!(eps);
      const out = await timed(await open(f), READ);
      assert.deepEqual(out, { type: 'ok', value: { '0': 25, '1': 25, '2': 25, '3': 25 }, node: 'n1' });
      assert.equal(await get(key(0)), '25');
      // A missing account reads as null (for the checker to flag).
      assert.equal(await redisCommand(port, ['DEL', key(3)]), 1);
      assert.deepEqual((await (await open(f)).invoke(READ, never())).value, { '0': 25, '1': 25, '2': 25, '3': null });
      await f.setup!(eps);
      assert.equal(await get(key(3)), '25', 'setup restores every balance');
    });

    for (const kind of ['naive', 'watch', 'lua'] as const) {
      it(`${kind}: a transfer moves the money; insufficient funds -> fail and nothing written`, async () => {
        const f = bank(kind);
        await f.setup!(eps);
        const c = await open(f);
        assert.deepEqual(await timed(c, transfer(0, 1, 5)), { type: 'ok', node: 'n1' });
        assert.deepEqual((await c.invoke(READ, never())).value, { '0': 20, '1': 30, '2': 25, '3': 25 });
        const poor = await timed(c, transfer(0, 2, 21));
        assert.deepEqual(poor, { type: 'fail', error: 'insufficient-funds', node: 'n1' });
        assert.deepEqual((await c.invoke(READ, never())).value, { '0': 20, '1': 30, '2': 25, '3': 25 }, 'nothing written');
        assert.equal((await timed(c, transfer(0, 2, 20))).type, 'ok', 'exactly the balance is fine');
        assert.deepEqual((await c.invoke(READ, never())).value, { '0': 0, '1': 30, '2': 45, '3': 25 });
        // The next op on the same connection is unaffected (watch: the UNWATCH after insufficient funds).
        assert.equal((await timed(c, transfer(2, 0, 1))).type, 'ok');
      });
    }

    for (const kind of ['watch', 'lua'] as const) {
      it(`${kind}: 6 concurrent clients x 60 transfers over 4 accounts conserve the total, never negative`, async () => {
        const f = bank(kind);
        await f.setup!(eps);
        const rng = new Rng(kind === 'watch' ? 7 : 8);
        const done = await concurrently(f, 6, 60, (w, i) => {
          if (i % 10 === 9) return READ;
          const from = rng.int(0, 3);
          return transfer(from, (from + rng.int(1, 3)) % 4, rng.int(1, 5));
        });
        const counts: Record<string, number> = {};
        for (const { out } of done) {
          const what = out.error ? `${out.type} ${out.error}` : out.type;
          counts[what] = (counts[what] ?? 0) + 1;
        }
        console.log(`      ${kind}: ${JSON.stringify(counts)}`);
        assert.equal(done.filter((d) => d.out.type === 'info').length, 0, 'no faults, so no unknown outcomes');
        assert.ok(done.filter((d) => d.op.f === 'transfer' && d.out.type === 'ok').length > 50, 'most transfers went through');
        for (const { op, out } of done) if (op.f === 'read') assert.equal(total(out.value, 4), 100, 'every read sees the total');
        for (const { out } of done) if (out.type === 'fail') assert.match(out.error ?? '', kind === 'watch' ? /^(conflict|insufficient-funds)$/ : /^insufficient-funds$/);
        assert.equal(total((await (await open(f)).invoke(READ, never())).value, 4), 100);
      });
    }

    it('watch: two transfers that both read before either writes -> one ok, the other fail conflict (nil EXEC)', async () => {
      const f = bank('watch', barrier(2));
      await f.setup!(eps);
      const [a, b] = await Promise.all([open(f), open(f)]);
      const outs = await Promise.all([a.invoke(transfer(0, 1, 5), never()), b.invoke(transfer(2, 1, 3), never())]);
      const types = outs.map((o) => o.type).sort();
      assert.deepEqual(types, ['fail', 'ok'], JSON.stringify(outs));
      assert.equal(outs.find((o) => o.type === 'fail')!.error, 'conflict');
      assert.equal(total((await a.invoke(READ, never())).value, 4), 100, 'the conflicting transfer wrote nothing');
    });

    it('naive: two transfers that both read account 1 before either writes -> both ok, one credit lost, the total drifts', async () => {
      const f = bank('naive', barrier(2));
      await f.setup!(eps);
      const [a, b] = await Promise.all([open(f), open(f)]);
      const outs = await Promise.all([a.invoke(transfer(0, 1, 5), never()), b.invoke(transfer(2, 1, 3), never())]);
      assert.deepEqual(outs.map((o) => o.type), ['ok', 'ok'], JSON.stringify(outs));
      const after = (await a.invoke(READ, never())).value as Balances;
      assert.deepEqual([after['0'], after['2']], [20, 22], 'both debits happened');
      assert.ok(after['1'] === 30 || after['1'] === 28, `account 1 got only one of the credits: ${JSON.stringify(after)}`);
      assert.ok(total(after, 4) < 100, `money vanished: ${JSON.stringify(after)}`);
    });

    it('naive: unforced concurrent transfers lose updates too (the total drifts within a few rounds)', async () => {
      const f = bank('naive');
      const rng = new Rng(9);
      const sums: number[] = [];
      for (let round = 0; round < 10; round++) {
        await f.setup!(eps);
        await concurrently(f, 6, 30, () => {
          const from = rng.int(0, 1);
          return transfer(from, 1 - from, rng.int(1, 3));
        });
        sums.push(total((await (await open(f)).invoke(READ, never())).value, 4, true));
        if (sums.at(-1) !== 100) break;
      }
      console.log(`      totals per round: ${sums.join(', ')}`);
      assert.notEqual(sums.at(-1), 100, `10 rounds of 180 concurrent naive transfers never lost an update (totals ${sums.join(', ')})`);
    });

    it('lua and watch: reply lost after the write was sent -> info, and the transfer did happen', async () => {
      for (const kind of ['lua', 'watch'] as const) {
        const { endpoints, name } = await linked(`bank-hole-${kind}-`);
        try {
          // watch: black-hole the replies only after the read, so WATCH and MGET are answered and EXEC is not.
          const f = kind === 'lua' ? bank(kind) : bank(kind, () => api.addToxic(name, hole).then(() => undefined));
          await f.setup!(eps);
          const c = await open(f, endpoints);
          if (kind === 'lua') {
            // The script is cached on the server first: a lost EVALSHA that got NOSCRIPT would have run nothing.
            assert.equal((await c.invoke(transfer(2, 3, 1), never())).type, 'ok');
            await api.addToxic(name, hole);
          }
          const out = await timed(c, transfer(0, 1, 5));
          assert.equal(out.type, 'info', `${kind}: ${JSON.stringify(out)}`);
          await sleep(100);
        } finally {
          await api.deleteProxy(name);
        }
        assert.deepEqual([await get(key(0)), await get(key(1))], ['20', '30'], `${kind}: applied, once`);
      }
    });

    it('naive: the first SET unanswered -> info (it was applied)', async () => {
      const { endpoints, name } = await linked('bank-naive-hole-');
      try {
        const f = bank('naive', () => api.addToxic(name, hole).then(() => undefined));
        await f.setup!(eps);
        const out = await timed(await open(f, endpoints), transfer(0, 1, 5));
        assert.equal(out.type, 'info', JSON.stringify(out));
        await sleep(100);
      } finally {
        await api.deleteProxy(name);
      }
      assert.equal(await get(key(0)), '20', 'the debit happened');
    });

    it('refused before sending (unreachable node, aborted signal) -> fail for transfers and reads', async () => {
      const nxPort = await freePort();
      for (const kind of ['naive', 'watch', 'lua'] as const) {
        const nx = await open(bank(kind), [{ node: 'nx', endpoint: { host: '127.0.0.1', port: nxPort } }]);
        for (const op of [transfer(0, 1, 1), READ]) {
          const out = await timed(nx, op, never(), 200);
          assert.equal(out.type, 'fail', `${kind} ${op.f}: ${JSON.stringify(out)}`);
        }
        const ac = new AbortController();
        ac.abort();
        assert.equal((await (await open(bank(kind))).invoke(transfer(0, 1, 1), ac.signal)).type, 'fail');
      }
    });

    it('malformed ops and setups are refused with a message naming the problem', async () => {
      const c = await open(bank('watch'));
      await assert.rejects(c.invoke(transfer(1, 1, 1), never()), /different accounts/);
      await assert.rejects(c.invoke(transfer(0, 4, 1), never()), /account ids 0\.\.3/);
      await assert.rejects(c.invoke(transfer(0, 1, 0), never()), /amount must be a positive integer/);
      await assert.rejects(c.invoke({ f: 'transfer', value: null }, never()), /must be \{from, to, amount\}/);
      await assert.rejects(c.invoke({ f: 'txn', value: [] }, never()), /unknown f "txn"; expected transfer or read/);
      assert.throws(() => redisBankClient('optimistic' as RedisBankKind, setup), /unknown kind "optimistic"/);
      assert.throws(() => redisBankClient('lua', { accounts: 0, total: 10 }), /accounts must be a positive integer/);
    });
  });

  // Last (mocha runs a suite's own tests before its child suites): late replies and timed-out commands have settled.
  describe('afterwards', () => {
    it('no unhandled rejections; teardown leaves no process, port or data dir behind', async () => {
      await sleep(OP_TIMEOUT_MS);
      assert.deepEqual(unhandled.map(String), []);
      await Promise.all(clients.map((c) => c.close()));
      const pids = cluster.nodes.map((n) => n.pid()).filter((p): p is number => p !== undefined);
      assert.equal(pids.length, 1);
      await env.assertTornDown(cluster, pids);
    });
  });
});

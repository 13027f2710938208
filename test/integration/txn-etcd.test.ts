/**
 * The transactional etcd clients (list-append and bank, both optimistic: snapshot read, then a Txn comparing every
 * key's mod_revision) against real etcd started by the local provisioner, with faultline's fault proxy in front
 * where a reply must go missing: op semantics, atomicity, concurrent clients on one and three members, forced
 * conflicts, and the ok / fail / info rules (compare failed, reply lost after the Txn was sent, never sent).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { httpJson } from '../../harness/backends/etcd.js';
import { freePort } from '../../harness/backends/ports.js';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import type { BankSetup } from '../../workloads/bank/accounts.js';
import { etcdBankClient } from '../../workloads/bank/etcd.js';
import { etcdListAppendClient } from '../../workloads/list-append/etcd.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';
import { append, barrier, never, OP_TIMEOUT_MS, r, READ, runConcurrently, sleep, timed, total, transfer, txn, type Mop } from '../support/txn-ops.js';

const PREFIX = 'fltest';

type Endpoints = ClientContext['endpoints'];

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every unhandled rejection while this file runs (a client must never leave one behind). */
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('transactional etcd clients against real etcd', function () {
  this.timeout(90_000);
  const env = useLocalBackends('txn-etcd', { readyTimeoutMs: 20_000 });
  let cluster: Cluster;
  let eps: Endpoints;
  let port: number;
  let proxy: ProxyServer;
  let api: ProxyApi;
  const clients: Client[] = [];
  let worker = 0;

  async function open(factory: ClientFactory, endpoints: Endpoints = eps): Promise<Client> {
    const w = worker++;
    const c = await factory.open({ endpoints, worker: w, opTimeoutMs: OP_TIMEOUT_MS, rng: new Rng(1).fork(`w${w}`) });
    clients.push(c);
    return c;
  }

  async function linked(prefix: string): Promise<{ endpoints: Endpoints; name: string }> {
    const [link] = await createClientLinks(api, 1, cluster.nodes, prefix);
    return { endpoints: [{ node: link!.node, endpoint: link!.listen }], name: link!.name };
  }

  const hole = { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } } as const;

  /** A key's value as etcd's JSON gateway shows it (null when absent). */
  async function value(key: string, p = port): Promise<string | null> {
    const { body } = await httpJson(p, 'POST', '/v3/kv/range', { key: b64(key) });
    const kv = (body as { kvs?: { value?: string }[] }).kvs?.[0];
    return kv ? Buffer.from(kv.value ?? '', 'base64').toString() : null;
  }
  async function put(key: string, v: string): Promise<void> {
    const { status } = await httpJson(port, 'POST', '/v3/kv/put', { key: b64(key), value: b64(v) });
    assert.equal(status, 200);
  }

  /** `workers` single-threaded clients running `ops(worker, i)`, reopening after an `info` (the harness's rule). */
  const concurrently = (factory: ClientFactory, endpoints: Endpoints, workers: number, perWorker: number, ops: (w: number, i: number) => OpRequest) =>
    runConcurrently(() => open(factory, endpoints), workers, perWorker, ops);

  const countOutcomes = (done: { out: OpOutcome }[]): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const { out } of done) {
      const what = out.error ? `${out.type} ${out.error}` : out.type;
      counts[what] = (counts[what] ?? 0) + 1;
    }
    return counts;
  };

  /** Concurrent list-append txns over `keys`; asserts the final lists are exactly the ok (+ info) appends. */
  async function appendBurst(factory: ClientFactory, endpoints: Endpoints, keys: number[], seed: number): Promise<Record<string, number>> {
    const next = new Map(keys.map((k) => [k, 1]));
    const rng = new Rng(seed);
    const done = await concurrently(factory, endpoints, 5, 40, () => {
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
    const counts = countOutcomes(done);
    assert.ok((counts.ok ?? 0) > 40, `most txns commit: ${JSON.stringify(counts)}`);
    for (const { out } of done) if (out.type === 'fail') assert.equal(out.error, 'conflict', JSON.stringify(out));
    const final = await timed(await open(factory, endpoints), txn(...keys.map(r)));
    assert.equal(final.type, 'ok');
    const appendsOf = (type: string, k: number) =>
      done.filter((d) => d.out.type === type).flatMap((d) => (d.op.value as Mop[]).filter((m) => m[0] === 'append' && m[1] === k).map((m) => m[2] as number));
    for (const [, k, list] of final.value as Mop[]) {
      const got = list as number[];
      assert.equal(new Set(got).size, got.length, `duplicates in key ${k}: ${JSON.stringify(got)}`);
      const ok = new Set(appendsOf('ok', k));
      const info = new Set(appendsOf('info', k));
      for (const v of ok) assert.ok(got.includes(v), `key ${k}: ok append ${v} is missing from ${JSON.stringify(got)}`);
      for (const v of got) assert.ok(ok.has(v) || info.has(v), `key ${k}: ${v} was never appended by an ok (or info) txn`);
      for (const { out } of done) {
        if (out.type !== 'ok') continue;
        for (const m of out.value as Mop[]) if (m[0] === 'r' && m[1] === k) assert.deepEqual(got.slice(0, (m[2] as number[]).length), m[2], 'a read is a prefix of the final list');
      }
    }
    return counts;
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await env.provision({ kind: 'etcd', nodes: 1 });
    eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    port = cluster.nodes[0]!.endpoint.port;
    proxy = await startProxyServer({ seed: 13 });
    api = new ProxyApi(proxy.url);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  describe('list-append', () => {
    const factory = etcdListAppendClient({ prefix: PREFIX });
    const key = (k: number) => `${PREFIX}/la/${k}`;
    before(async () => {
      assert.equal(factory.name, 'etcd');
      await factory.setup!(eps);
    });

    it("append then read: reads are filled in, see the txn's own appends, and an absent key reads []", async () => {
      const c = await open(factory);
      const a = await timed(c, txn(r(1), append(1, 5), r(1), append(1, 6), r(1), r(2)));
      assert.deepEqual(a, { type: 'ok', value: [['r', 1, []], ['append', 1, 5], ['r', 1, [5]], ['append', 1, 6], ['r', 1, [5, 6]], ['r', 2, []]] });
      assert.deepEqual((await timed(await open(factory), txn(r(1)))).value, [['r', 1, [5, 6]]]);
      assert.equal(await value(key(1)), '[5,6]', 'one JSON array per key');
      assert.equal(await value(key(2)), null, 'a read does not create the key');
    });

    it('a read-only txn is ok, served at one revision, and writes nothing; an empty txn is ok []', async () => {
      const c = await open(factory);
      assert.equal((await c.invoke(txn(append(3, 1), append(4, 2)), never())).type, 'ok');
      const { body: before } = await httpJson(port, 'POST', '/v3/kv/range', { key: b64(key(3)) });
      const ro = await timed(c, txn(r(3), r(4), r(3)));
      assert.deepEqual(ro, { type: 'ok', value: [['r', 3, [1]], ['r', 4, [2]], ['r', 3, [1]]] });
      const { body: after } = await httpJson(port, 'POST', '/v3/kv/range', { key: b64(key(3)) });
      assert.equal((after as { header: { revision: string } }).header.revision, (before as { header: { revision: string } }).header.revision, 'no new revision');
      assert.deepEqual(await c.invoke(txn(), never()), { type: 'ok', value: [] });
    });

    it('multi-key txns are atomic: concurrent readers always see both keys at the same length', async () => {
      const writer = await open(factory);
      const readers = await Promise.all([open(factory), open(factory)]);
      let writing = true;
      const writes = (async () => {
        for (let v = 1; v <= 60; v++) assert.deepEqual((await writer.invoke(txn(append(10, v), append(11, v)), never())).type, 'ok');
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

    it('5 concurrent clients: the final lists hold exactly the ok appends (no conflicting ones, no duplicates), and every read is a prefix', async () => {
      const counts = await appendBurst(factory, eps, [20, 21, 22], 5);
      console.log(`      etcd x1: ${JSON.stringify(counts)}`);
      assert.equal(counts.info ?? 0, 0, 'no faults, so no unknown outcomes');
      assert.ok((counts['fail conflict'] ?? 0) > 0, 'contention on 3 keys produces conflicts');
    });

    it('two txns that both read before either commits -> one ok, the other fail conflict, and its append is absent', async () => {
      const f = etcdListAppendClient({ prefix: PREFIX, afterRead: barrier(2) });
      const [a, b] = await Promise.all([open(f), open(f)]);
      const outs = await Promise.all([a.invoke(txn(r(30), append(30, 1)), never()), b.invoke(txn(append(30, 2), r(30)), never())]);
      assert.deepEqual(outs.map((o) => o.type).sort(), ['fail', 'ok'], JSON.stringify(outs));
      const loser = outs.findIndex((o) => o.type === 'fail');
      assert.equal(outs[loser]!.error, 'conflict');
      assert.equal(await value(key(30)), loser === 0 ? '[2]' : '[1]');
    });

    it('a key only read is compared too: a concurrent append to it fails the txn (no write skew)', async () => {
      const other = await open(factory);
      // While A sits between its read and its commit, B appends to the key A only read.
      const f = etcdListAppendClient({ prefix: PREFIX, afterRead: async () => void assert.equal((await other.invoke(txn(append(31, 9)), never())).type, 'ok') });
      const a = await open(f);
      const out = await timed(a, txn(r(31), append(32, 1)));
      assert.deepEqual(out, { type: 'fail', error: 'conflict' });
      assert.equal(await value(key(32)), null, 'the conflicting txn wrote nothing');
    });

    it('reply lost after the Txn was sent (replies black-holed after the read) -> info, and the append did happen, once', async () => {
      const { endpoints, name } = await linked('la-hole-');
      try {
        const f = etcdListAppendClient({ prefix: PREFIX, afterRead: () => api.addToxic(name, hole).then(() => undefined) });
        const out = await timed(await open(f, endpoints), txn(r(40), append(40, 7)));
        assert.equal(out.type, 'info', JSON.stringify(out));
        assert.match(out.error ?? '', /DEADLINE_EXCEEDED|no reply/);
        // A read-only txn whose reply is lost had no effect: fail.
        const ro = await timed(await open(factory, endpoints), txn(r(40)));
        assert.equal(ro.type, 'fail', JSON.stringify(ro));
      } finally {
        await api.deleteProxy(name);
      }
      await sleep(100);
      assert.equal(await value(key(40)), '[7]', 'the Txn ran exactly once (never retried)');
    });

    it('never sent (unreachable member, aborted signal, closed client) -> fail, quickly', async () => {
      const nx = await open(factory, [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
      for (const op of [txn(append(41, 1)), txn(r(41))]) {
        const out = await timed(nx, op);
        assert.equal(out.type, 'fail', JSON.stringify(out));
      }
      const c = await open(factory);
      const ac = new AbortController();
      ac.abort();
      assert.equal((await c.invoke(txn(append(41, 2)), ac.signal)).type, 'fail');
      await c.close();
      await c.close();
      assert.equal((await timed(c, txn(append(41, 3)))).type, 'fail');
      assert.equal(await value(key(41)), null);
    });

    it('a stored value that is not a JSON list -> fail with a message naming the key; malformed ops are refused', async () => {
      await put(key(42), 'garbage');
      const c = await open(factory);
      const out = await timed(c, txn(append(42, 1)));
      assert.equal(out.type, 'fail');
      assert.match(out.error ?? '', /fltest\/la\/42 holds "garbage", not a JSON array/);
      assert.equal(await value(key(42)), 'garbage');
      await assert.rejects(c.invoke({ f: 'read', value: null }, never()), /list-append client \(etcd\): unknown f "read"; expected txn/);
      await assert.rejects(c.invoke(txn(['append', 1, 1.5]), never()), /micro-op 0 .*positive integer/);
    });

    it('setup deletes our lists and nothing else', async () => {
      await put('other/key', 'x');
      await factory.setup!(eps);
      assert.equal(await value(key(1)), null);
      assert.equal(await value('other/key'), 'x');
    });
  });

  describe('bank', () => {
    const setup: BankSetup = { accounts: 4, total: 100 };
    const key = (a: number) => `${PREFIX}/acct/${a}`;
    const bank = (afterRead?: (op: OpRequest) => Promise<void>) => etcdBankClient(setup, { prefix: PREFIX, ...(afterRead ? { afterRead } : {}) });

    it('setup writes the initial balances; read is one range over the prefix -> balances by account id', async () => {
      const f = bank();
      assert.equal(f.name, 'etcd');
      await f.setup!(eps);
      const c = await open(f);
      assert.deepEqual(await timed(c, READ), { type: 'ok', value: { '0': 25, '1': 25, '2': 25, '3': 25 } });
      assert.equal(await value(key(2)), '25');
      const { status } = await httpJson(port, 'POST', '/v3/kv/deleterange', { key: b64(key(3)) });
      assert.equal(status, 200);
      assert.deepEqual((await c.invoke(READ, never())).value, { '0': 25, '1': 25, '2': 25, '3': null }, 'a missing account reads null');
      await f.setup!(eps);
      assert.equal(await value(key(3)), '25');
    });

    it('a transfer moves the money; insufficient funds -> fail and nothing written', async () => {
      const f = bank();
      await f.setup!(eps);
      const c = await open(f);
      assert.deepEqual(await timed(c, transfer(0, 1, 5)), { type: 'ok' });
      assert.deepEqual((await c.invoke(READ, never())).value, { '0': 20, '1': 30, '2': 25, '3': 25 });
      assert.deepEqual(await timed(c, transfer(0, 2, 21)), { type: 'fail', error: 'insufficient-funds' });
      assert.deepEqual((await c.invoke(READ, never())).value, { '0': 20, '1': 30, '2': 25, '3': 25 }, 'nothing written');
      assert.equal((await timed(c, transfer(0, 2, 20))).type, 'ok');
      assert.deepEqual((await c.invoke(READ, never())).value, { '0': 0, '1': 30, '2': 45, '3': 25 });
    });

    it('6 concurrent clients x 40 transfers over 4 accounts conserve the total, never negative', async () => {
      const f = bank();
      await f.setup!(eps);
      const rng = new Rng(7);
      const done = await concurrently(f, eps, 6, 40, (w, i) => {
        if (i % 10 === 9) return READ;
        const from = rng.int(0, 3);
        return transfer(from, (from + rng.int(1, 3)) % 4, rng.int(1, 5));
      });
      const counts = countOutcomes(done);
      console.log(`      etcd x1: ${JSON.stringify(counts)}`);
      assert.equal(counts.info ?? 0, 0);
      assert.ok(done.filter((d) => d.op.f === 'transfer' && d.out.type === 'ok').length > 30, 'many transfers went through');
      for (const { op, out } of done) if (op.f === 'read') assert.equal(total(out.value, 4), 100, 'every read sees the total');
      for (const { out } of done) if (out.type === 'fail') assert.match(out.error ?? '', /^(conflict|insufficient-funds)$/);
      assert.equal(total((await (await open(f)).invoke(READ, never())).value, 4), 100);
    });

    it('two transfers that both read before either commits -> one ok, the other fail conflict', async () => {
      const f = bank(barrier(2));
      await f.setup!(eps);
      const [a, b] = await Promise.all([open(f), open(f)]);
      const outs = await Promise.all([a.invoke(transfer(0, 1, 5), never()), b.invoke(transfer(2, 1, 3), never())]);
      assert.deepEqual(outs.map((o) => o.type).sort(), ['fail', 'ok'], JSON.stringify(outs));
      assert.equal(outs.find((o) => o.type === 'fail')!.error, 'conflict');
      assert.equal(total((await a.invoke(READ, never())).value, 4), 100);
    });

    it('reply lost after the Txn was sent -> info, and the transfer did happen', async () => {
      const { endpoints, name } = await linked('bank-hole-');
      const f = bank(() => api.addToxic(name, hole).then(() => undefined));
      await f.setup!(eps);
      try {
        const out = await timed(await open(f, endpoints), transfer(0, 1, 5));
        assert.equal(out.type, 'info', JSON.stringify(out));
      } finally {
        await api.deleteProxy(name);
      }
      await sleep(100);
      assert.deepEqual([await value(key(0)), await value(key(1))], ['20', '30']);
    });

    it('never sent (unreachable member, aborted signal) -> fail; malformed ops are refused', async () => {
      const nx = await open(bank(), [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
      for (const op of [transfer(0, 1, 1), READ]) assert.equal((await timed(nx, op)).type, 'fail', op.f);
      const c = await open(bank());
      const ac = new AbortController();
      ac.abort();
      assert.equal((await c.invoke(transfer(0, 1, 1), ac.signal)).type, 'fail');
      await assert.rejects(c.invoke(transfer(3, 3, 1), never()), /bank client \(etcd\).*different accounts/);
      await assert.rejects(c.invoke({ f: 'withdraw', value: 1 }, never()), /unknown f "withdraw"/);
      assert.throws(() => etcdBankClient({ accounts: 2, total: 1.5 }), /total must be a non-negative integer/);
    });
  });

  describe('three members', () => {
    it('list-append and bank bursts spread over 3 members stay consistent', async () => {
      // Its own dirs: the one-member cluster (also named n1) is still running in the suite's tmp root.
      const trio = await env.provision({ kind: 'etcd', nodes: 3 }, { tmpRoot: join(env.root, 'tmp-trio'), logDir: join(env.root, 'logs-trio') });
      const trioEps = trio.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
      const la = etcdListAppendClient({ prefix: PREFIX });
      await la.setup!(trioEps);
      const counts = await appendBurst(la, trioEps, [1, 2, 3], 21);
      console.log(`      etcd x3 list-append: ${JSON.stringify(counts)}`);
      assert.equal(counts.info ?? 0, 0);

      const setup: BankSetup = { accounts: 5, total: 50 };
      const f = etcdBankClient(setup, { prefix: PREFIX });
      await f.setup!(trioEps);
      const rng = new Rng(22);
      const done = await concurrently(f, trioEps, 5, 30, (w, i) => {
        if (i % 6 === 5) return READ;
        const from = rng.int(0, 4);
        return transfer(from, (from + rng.int(1, 4)) % 5, rng.int(1, 4));
      });
      console.log(`      etcd x3 bank: ${JSON.stringify(countOutcomes(done))}`);
      for (const { op, out } of done) if (op.f === 'read' && out.type === 'ok') assert.equal(total(out.value, 5), 50);
      assert.equal(total((await (await open(f, trioEps)).invoke(READ, never())).value, 5), 50);
      await Promise.all(clients.map((c) => c.close()));
      const pids = trio.nodes.map((n) => n.pid()).filter((p): p is number => p !== undefined);
      assert.equal(pids.length, 3);
      await env.assertTornDown(trio, pids);
    });
  });

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

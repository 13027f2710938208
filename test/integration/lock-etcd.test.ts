/**
 * The etcd lock backend against a real etcd (local provisioner), with faultline's fault proxy in front where the
 * client must be cut off: mutual exclusion, create_revision fencing tokens, release semantics, etcd's minimum lease
 * TTL, and `lost()` after an external revoke and after the client's link went down for longer than the TTL.
 */
import assert from 'node:assert/strict';
import { httpJson } from '../../harness/backends/etcd.js';
import { freePort } from '../../harness/backends/ports.js';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import { etcdLock } from '../../workloads/lock/etcd.js';
import type { LockBackend, LockSession } from '../../workloads/lock/types.js';
import type { ClientContext, OpOutcome } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';

const OP_TIMEOUT_MS = 1000;
const SLACK_MS = 400;
const PREFIX = 'faultline-test/lock/';

type Endpoints = ClientContext['endpoints'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('etcd lock backend against a real etcd', function () {
  this.timeout(60_000);
  const env = useLocalBackends('lock-etcd', { readyTimeoutMs: 15_000 });
  let cluster: Cluster;
  let eps: Endpoints;
  let port: number;
  let proxy: ProxyServer;
  let api: ProxyApi;
  const backend: LockBackend = etcdLock({ keyPrefix: PREFIX });
  const sessions: LockSession[] = [];
  let seq = 0;
  const fresh = (what: string): string => `${what}-${seq++}`;

  async function open(endpoints: Endpoints = eps, ttlMs = 2000): Promise<LockSession> {
    const s = await backend.open({ endpoints, worker: sessions.length, opTimeoutMs: OP_TIMEOUT_MS, rng: new Rng(1).fork(`w${sessions.length}`), ttlMs });
    sessions.push(s);
    return s;
  }

  async function timed(p: Promise<OpOutcome>, limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome> {
    const t0 = performance.now();
    const out = await p;
    const ms = performance.now() - t0;
    assert.ok(ms <= limit, `took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
    return out;
  }

  const tokenOf = (o: OpOutcome): number => {
    assert.equal(o.type, 'ok', JSON.stringify(o));
    const t = (o.value as { token: unknown }).token;
    assert.equal(typeof t, 'number');
    return t as number;
  };

  /** The lock key as etcd's JSON gateway shows it (lease id, create_revision), or undefined when absent. */
  async function keyInfo(lock: string): Promise<{ lease: string; create_revision: string } | undefined> {
    const { body } = await httpJson(port, 'POST', '/v3/kv/range', { key: b64(PREFIX + lock) });
    return (body as { kvs?: { lease?: string; create_revision: string }[] }).kvs?.map((kv) => ({ lease: kv.lease ?? '0', create_revision: kv.create_revision }))[0];
  }

  async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
    const t0 = performance.now();
    while (!cond()) {
      if (performance.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
      await sleep(25);
    }
    return performance.now() - t0;
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await env.provision({ kind: 'etcd', nodes: 1 });
    eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    port = cluster.nodes[0]!.endpoint.port;
    proxy = await startProxyServer({ seed: 3 });
    api = new ProxyApi(proxy.url);
    await backend.setup!(eps);
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  it('mutual exclusion, create_revision tokens that strictly increase, release semantics', async () => {
    assert.equal(backend.name, 'etcd');
    const lock = fresh('mutex');
    const a = await open();
    const b = await open();
    assert.equal(a.lost!(lock), 'not held by this session');

    const t1 = tokenOf(await timed(a.acquire(lock, never())));
    const kv = await keyInfo(lock);
    assert.ok(kv, 'the lock key exists');
    assert.equal(Number(kv.create_revision), t1, 'token = the key create_revision');
    assert.notEqual(kv.lease, '0', 'the key is attached to a lease');
    assert.equal(a.lost!(lock), undefined);

    const refused = await timed(b.acquire(lock, never()));
    assert.equal(refused.type, 'fail', JSON.stringify(refused));
    assert.match(refused.error ?? '', /held/);
    assert.equal((await a.acquire(lock, never())).type, 'fail', 'no re-entrancy');

    assert.deepEqual(await timed(a.release(lock, never())), { type: 'ok', value: { wasHeld: true } });
    assert.equal(await keyInfo(lock), undefined, 'revoking the lease deleted the key');
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } }, 'a second release: nothing held');

    const tokens = [t1];
    for (let i = 0; i < 4; i++) {
      const [holder, other] = i % 2 === 0 ? [b, a] : [a, b];
      tokens.push(tokenOf(await holder.acquire(lock, never())));
      assert.equal((await other.acquire(lock, never())).type, 'fail');
      assert.deepEqual(await holder.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    }
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `tokens strictly increase: ${tokens.join(', ')}`);
  });

  it("a 1 s TTL is raised to etcd's minimum (2 s with the default 1000 ms election timeout) and kept alive past it", async () => {
    const lock = fresh('ttl');
    const a = await open(eps, 1000);
    tokenOf(await a.acquire(lock, never()));
    const kv = await keyInfo(lock);
    assert.ok(kv);
    const { body } = await httpJson(port, 'POST', '/v3/lease/timetolive', { ID: kv.lease });
    const ttl = body as { grantedTTL?: string };
    console.log(`      requested TTL 1 s, granted ${ttl.grantedTTL} s`);
    assert.equal(ttl.grantedTTL, '2');
    await sleep(3000);
    assert.equal(a.lost!(lock), undefined, 'keep-alives hold the lease');
    assert.equal((await keyInfo(lock))?.lease, kv.lease, 'still our key');
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('lease revoked behind our back: lost() turns true, another session acquires, release -> ok wasHeld false', async () => {
    const lock = fresh('revoked');
    const a = await open(eps, 2000);
    const b = await open();
    const t1 = tokenOf(await a.acquire(lock, never()));
    const kv = await keyInfo(lock);
    assert.ok(kv);
    await httpJson(port, 'POST', '/v3/lease/revoke', { ID: kv.lease });
    // The next keep-alive (every TTL/3) is answered with TTL 0.
    const ms = await until(() => a.lost!(lock) !== undefined, 2000, 'lost() after the revoke');
    console.log(`      lost() after ${ms.toFixed(0)} ms: ${a.lost!(lock)}`);
    assert.match(a.lost!(lock)!, /lost|expired|revoked/);
    const t2 = tokenOf(await b.acquire(lock, never()));
    assert.ok(t2 > t1);
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } });
    assert.equal(Number((await keyInfo(lock))?.create_revision), t2, "b's key is still there");
    assert.equal(b.lost!(lock), undefined, "a's release did not touch b's key");
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('client link down longer than the TTL: lost() turns true one TTL after the last confirmed renewal, the lease expires, another session acquires', async () => {
    const lock = fresh('cut');
    const [link] = await createClientLinks(api, 1, cluster.nodes, 'etcd-cut-');
    const a = await open([{ node: link!.node, endpoint: link!.listen }], 2000);
    const b = await open();
    const t1 = tokenOf(await a.acquire(lock, never()));
    await sleep(800); // at least one keep-alive went through the link
    const cut = performance.now();
    await api.updateProxy(link!.name, { enabled: false });
    try {
      await sleep(500);
      assert.equal(a.lost!(lock), undefined, 'shortly after the cut the lease is certainly still alive');
      const ms = await until(() => a.lost!(lock) !== undefined, 3000, 'lost() after the cut');
      const since = performance.now() - cut;
      console.log(`      lost() ${since.toFixed(0)} ms after the cut: ${a.lost!(lock)}`);
      // Renewals go out every TTL/3, so the last confirmed one was sent at most ~TTL/3 before the cut.
      assert.ok(since >= 2000 - 700 && since < 2000 + 500, `between TTL - TTL/3 and TTL after the cut (${since.toFixed(0)} ms)`);
      assert.ok(ms >= 0);
      // The server expires the lease after its TTL (2 s, counted from the last renewal), then b gets the lock.
      const end = performance.now() + 4000;
      let got: OpOutcome | undefined;
      while (performance.now() < end) {
        got = await b.acquire(lock, never());
        if (got.type === 'ok') break;
        assert.equal(got.type, 'fail', JSON.stringify(got));
        await sleep(100);
      }
      assert.ok(tokenOf(got!) > t1);
      // a cannot reach etcd: its release is provably not sent (fail) or unknown, never ok.
      const rel = await timed(a.release(lock, never()));
      assert.notEqual(rel.type, 'ok', JSON.stringify(rel));
    } finally {
      await api.updateProxy(link!.name, { enabled: true });
    }
    if (a.lost!(lock) !== 'not held by this session') {
      // Link back (release was `fail`: still recorded): now etcd says the lease is gone.
      const end = performance.now() + 3000;
      let rel: OpOutcome | undefined;
      while (performance.now() < end) {
        rel = await a.release(lock, never());
        if (rel.type === 'ok') break;
        await sleep(100);
      }
      assert.deepEqual(rel, { type: 'ok', value: { wasHeld: false } });
    }
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('an unreachable endpoint: acquire fails fast (never sent); abort before sending fails; close() is idempotent and prompt', async () => {
    const lock = fresh('nowhere');
    const dead = await open([{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
    const out = await timed(dead.acquire(lock, never()));
    assert.equal(out.type, 'fail', JSON.stringify(out));
    const ac = new AbortController();
    ac.abort();
    const s = await open();
    assert.equal((await s.acquire(lock, ac.signal)).type, 'fail');
    assert.equal(await keyInfo(lock), undefined, 'nothing was written');
    const t0 = performance.now();
    await dead.close();
    await dead.close();
    await s.close();
    assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS);
    assert.equal((await timed(s.acquire(lock, never()))).type, 'fail', 'a closed session fails promptly');
  });

  it('a paused server: acquire comes back within the op timeout (never ok), and close() does not hang', async () => {
    const lock = fresh('paused');
    const s = await open();
    // Connect first so calls are really sent to the paused process.
    tokenOf(await s.acquire(fresh('warm'), never()));
    await cluster.nodes[0]!.pause();
    try {
      const out = await timed(s.acquire(lock, never()));
      console.log(`      acquire against the paused server: ${JSON.stringify(out)}`);
      assert.notEqual(out.type, 'ok', JSON.stringify(out));
      const t0 = performance.now();
      await s.close();
      assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS, 'close() is bounded');
    } finally {
      await cluster.nodes[0]!.resume();
    }
    // The lease behind a maybe-created key is never kept alive: the lock frees up within the TTL.
    const b = await open();
    const end = performance.now() + 5000;
    let got: OpOutcome | undefined;
    while (performance.now() < end && (got = await b.acquire(lock, never())).type !== 'ok') await sleep(100);
    assert.equal(got?.type, 'ok', JSON.stringify(got));
  });
});

/**
 * The ZooKeeper lock backend against a real ZooKeeper (local provisioner, standalone), with faultline's fault proxy
 * in front where a client must be cut off: mutual exclusion and the blocked waiter, sequence-number fencing tokens,
 * release semantics, withdrawal on timeout, and `lost()` after the lock node is deleted, after the client's link is
 * down for longer than the session timeout (the session expires) and while the server is paused.
 */
import assert from 'node:assert/strict';
import zookeeper from 'node-zookeeper-client';
import { freePort } from '../../harness/backends/ports.js';
import type { Cluster } from '../../harness/backends/types.js';
import { requireZookeeperRuntime } from '../../harness/backends/zookeeper.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import type { LockSession } from '../../workloads/lock/types.js';
import { zookeeperLock } from '../../workloads/lock/zookeeper.js';
import type { ClientContext, OpOutcome } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';

const OP_TIMEOUT_MS = 1000;
const SLACK_MS = 400;
const ROOT = '/faultline-test-locks';

type Endpoints = ClientContext['endpoints'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

/** A plain client for looking at and deleting nodes behind the backend's back. */
class Inspector {
  readonly zk: zookeeper.Client;
  constructor(connect: string) {
    this.zk = zookeeper.createClient(connect, { sessionTimeout: 10_000, spinDelay: 100 });
    this.zk.connect();
  }
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('inspector: no connection')), 10_000);
      if (this.zk.getState() === zookeeper.State.SYNC_CONNECTED) return resolve(), clearTimeout(t);
      this.zk.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  children(path: string): Promise<string[]> {
    return new Promise((resolve, reject) => this.zk.getChildren(path, (e, c) => (e ? reject(e) : resolve(c.sort()))));
  }
  remove(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.zk.remove(path, -1, (e) => (e ? reject(e) : resolve())));
  }
  close(): void {
    this.zk.close();
  }
}

describe('zookeeper lock backend against a real ZooKeeper', function () {
  this.timeout(60_000);
  before(() => {
    requireZookeeperRuntime();
  });
  const env = useLocalBackends('lock-zk', { readyTimeoutMs: 30_000 });
  let cluster: Cluster;
  let eps: Endpoints;
  let proxy: ProxyServer;
  let api: ProxyApi;
  let inspector: Inspector;
  const sessions: LockSession[] = [];
  let seq = 0;
  const fresh = (what: string): string => `${what}-${seq++}`;

  async function open(opts: { endpoints?: Endpoints; sessionTimeoutMs?: number; opTimeoutMs?: number } = {}): Promise<LockSession> {
    const backend = zookeeperLock({ root: ROOT, sessionTimeoutMs: opts.sessionTimeoutMs ?? 4000 });
    const s = await backend.open({
      endpoints: opts.endpoints ?? eps,
      worker: sessions.length,
      opTimeoutMs: opts.opTimeoutMs ?? OP_TIMEOUT_MS,
      rng: new Rng(1).fork(`w${sessions.length}`),
      ttlMs: 2000,
    });
    sessions.push(s);
    return s;
  }

  async function timed(p: Promise<OpOutcome>, limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome & { ms: number }> {
    const t0 = performance.now();
    const out = await p;
    const ms = performance.now() - t0;
    assert.ok(ms <= limit, `took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
    return { ...out, ms };
  }

  const tokenOf = (o: OpOutcome): number => {
    assert.equal(o.type, 'ok', JSON.stringify(o));
    const t = (o.value as { token: unknown }).token;
    assert.equal(typeof t, 'number');
    return t as number;
  };

  async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
    const t0 = performance.now();
    while (!cond()) {
      if (performance.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
      await sleep(25);
    }
    return performance.now() - t0;
  }

  /** Acquire retried on `fail` until ok or `ms` pass. */
  async function acquireWithin(s: LockSession, lock: string, ms: number): Promise<OpOutcome> {
    const end = performance.now() + ms;
    let out: OpOutcome;
    do {
      out = await s.acquire(lock, never());
      if (out.type !== 'fail') return out;
      await sleep(50);
    } while (performance.now() < end);
    return out;
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await env.provision({ kind: 'zookeeper', nodes: 1 });
    eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    proxy = await startProxyServer({ seed: 5 });
    api = new ProxyApi(proxy.url);
    await zookeeperLock({ root: ROOT }).setup!(eps);
    inspector = new Inspector(eps.map((e) => `${e.endpoint.host}:${e.endpoint.port}`).join(','));
    await inspector.ready();
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    inspector?.close();
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  it('mutual exclusion: the second session times out and withdraws its node; tokens are sequence numbers that strictly increase', async () => {
    const lock = fresh('mutex');
    const a = await open();
    const b = await open();
    assert.equal(a.lost!(lock), 'not held by this session');
    const t1 = tokenOf(await timed(a.acquire(lock, never())));
    assert.equal(a.lost!(lock), undefined);
    const nodes = await inspector.children(`${ROOT}/${lock}`);
    assert.equal(nodes.length, 1);
    assert.match(nodes[0]!, /^_c_[0-9a-f-]{36}-\d+-lock-\d{10}$/, 'protected name: GUID prefix, 10-digit sequence');
    assert.equal(Number(nodes[0]!.slice(-10)), t1, 'token = the sequence number of our node');

    const waited = await timed(b.acquire(lock, never()));
    assert.equal(waited.type, 'fail', JSON.stringify(waited));
    assert.ok(waited.ms >= OP_TIMEOUT_MS / 2, `waited before giving up (${waited.ms.toFixed(0)} ms)`);
    assert.match(waited.error ?? '', /deleted/);
    assert.deepEqual(await inspector.children(`${ROOT}/${lock}`), nodes, "b's queued node was deleted");
    assert.equal((await a.acquire(lock, never())).type, 'fail', 'no re-entrancy');

    const rel = await timed(a.release(lock, never()));
    assert.deepEqual([rel.type, rel.value], ['ok', { wasHeld: true }]);
    assert.deepEqual(await inspector.children(`${ROOT}/${lock}`), []);
  });

  it('the blocked waiter gets the lock as soon as the holder releases; tokens keep increasing', async () => {
    const lock = fresh('waiter');
    const a = await open();
    const b = await open({ opTimeoutMs: 5000 });
    const tokens = [tokenOf(await a.acquire(lock, never()))];
    const waiting = b.acquire(lock, never());
    await sleep(600);
    assert.equal((await inspector.children(`${ROOT}/${lock}`)).length, 2, 'b queued a node behind a');
    const released = performance.now();
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    const got = await waiting;
    const latency = performance.now() - released;
    console.log(`      waiter granted ${latency.toFixed(0)} ms after the release`);
    tokens.push(tokenOf(got));
    assert.ok(latency < 500, `the watch woke the waiter promptly (${latency.toFixed(0)} ms)`);
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: false } }, 'second release: nothing held');
    for (let i = 0; i < 4; i++) {
      const s = i % 2 === 0 ? a : b;
      tokens.push(tokenOf(await s.acquire(lock, never())));
      assert.deepEqual(await s.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    }
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `tokens strictly increase: ${tokens.join(', ')}`);
    assert.deepEqual(await inspector.children(`${ROOT}/${lock}`), [], 'every node deleted');
  });

  it('our node deleted behind our back: lost() turns true, the next session gets the lock, release -> ok wasHeld false', async () => {
    const lock = fresh('deleted');
    const a = await open();
    const b = await open();
    tokenOf(await a.acquire(lock, never()));
    await sleep(100); // the background watch on our own node is set
    const [node] = await inspector.children(`${ROOT}/${lock}`);
    await inspector.remove(`${ROOT}/${lock}/${node}`);
    await until(() => a.lost!(lock) !== undefined, 2000, 'lost() after the delete');
    assert.match(a.lost!(lock)!, /deleted/);
    tokenOf(await b.acquire(lock, never()));
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } });
    assert.equal(b.lost!(lock), undefined, "a's release did not touch b's node");
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('client link down longer than the session timeout: lost() turns true, the session expires, another session gets the lock', async () => {
    const lock = fresh('cut');
    const [link] = await createClientLinks(api, 1, cluster.nodes, 'zk-cut-');
    const a = await open({ endpoints: [{ node: link!.node, endpoint: link!.listen }], sessionTimeoutMs: 2000 });
    const b = await open({ opTimeoutMs: 5000 });
    const t1 = tokenOf(await a.acquire(lock, never()));
    const cut = performance.now();
    await api.updateProxy(link!.name, { enabled: false });
    try {
      await sleep(500);
      assert.equal(a.lost!(lock), undefined, 'disconnected for less than the session timeout: may still hold');
      await until(() => a.lost!(lock) !== undefined, 3000, 'lost() while cut off');
      const since = performance.now() - cut;
      console.log(`      lost() ${since.toFixed(0)} ms after the cut: ${a.lost!(lock)}`);
      assert.ok(since >= 1900 && since < 2600, `about one session timeout after the cut (${since.toFixed(0)} ms)`);
      // The server expires a's session (no pings for 2 s), deletes its node, and b's watch fires.
      const got = await timed(b.acquire(lock, never()), 5000 + SLACK_MS);
      const t2 = tokenOf(got);
      assert.ok(t2 > t1);
      console.log(`      b granted ${(performance.now() - cut).toFixed(0)} ms after the cut`);
      const rel = await timed(a.release(lock, never()));
      assert.notEqual(rel.type, 'ok', `a cannot reach ZooKeeper: ${JSON.stringify(rel)}`);
    } finally {
      await api.updateProxy(link!.name, { enabled: true });
    }
    // a reconnects and learns that its session expired.
    await until(() => /expired/.test(a.lost!(lock) ?? ''), 5000, 'lost() says the session expired');
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } });
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    // a goes on with a new session.
    assert.ok(tokenOf(await acquireWithin(a, lock, 5000)) > t1);
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('server paused longer than the session timeout: lost() turns true while paused; ops stay bounded; close() does not hang', async () => {
    const lock = fresh('paused');
    const a = await open({ sessionTimeoutMs: 1500 });
    const c = await open();
    tokenOf(await a.acquire(lock, never()));
    const node = cluster.nodes[0]!;
    await node.pause();
    const paused = performance.now();
    try {
      const out = await timed(c.acquire(lock, never()));
      assert.notEqual(out.type, 'ok', JSON.stringify(out));
      await until(() => a.lost!(lock) !== undefined, 3000, 'lost() while the server is paused');
      const since = performance.now() - paused;
      console.log(`      lost() ${since.toFixed(0)} ms into the pause: ${a.lost!(lock)}`);
      assert.ok(since < 1500 + 500, 'about one session timeout after the last answer');
      const t0 = performance.now();
      await c.close();
      assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS, `close() bounded (${(performance.now() - t0).toFixed(0)} ms)`);
    } finally {
      await node.resume();
    }
    // Whatever the server decided (it may expire the session on resume, or the queued pings may save it), a release
    // then tells the truth and the lock is usable again.
    const end = performance.now() + 8000;
    let rel: OpOutcome | undefined;
    while (performance.now() < end) {
      rel = await a.release(lock, never());
      if (rel.type === 'ok') break;
      await sleep(100);
    }
    assert.equal(rel?.type, 'ok', JSON.stringify(rel));
    console.log(`      release after the pause: ${JSON.stringify(rel)}`);
    const d = await open();
    tokenOf(await acquireWithin(d, lock, 8000));
    assert.deepEqual(await d.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('an unreachable server: open and acquire come back in time and fail; an aborted signal fails; close() is prompt', async () => {
    const lock = fresh('nowhere');
    const t0 = performance.now();
    const dead = await open({ endpoints: [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }] });
    assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS, 'open is bounded');
    const out = await timed(dead.acquire(lock, never()));
    assert.equal(out.type, 'fail', JSON.stringify(out));
    const t1 = performance.now();
    await dead.close();
    await dead.close();
    assert.ok(performance.now() - t1 < OP_TIMEOUT_MS + SLACK_MS);
    assert.equal((await timed(dead.acquire(lock, never()))).type, 'fail');

    const s = await open();
    const ac = new AbortController();
    ac.abort();
    assert.equal((await s.acquire(lock, ac.signal)).type, 'fail');
    // An abort while queued withdraws the node.
    const h = await open();
    tokenOf(await h.acquire(lock, never()));
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(new Error('stop')), 200);
    const ab = await timed(s.acquire(lock, ac2.signal), 200 + OP_TIMEOUT_MS + SLACK_MS);
    assert.equal(ab.type, 'fail', JSON.stringify(ab));
    assert.equal((await inspector.children(`${ROOT}/${lock}`)).length, 1, 'only the holder is queued');
    assert.deepEqual(await h.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('3-node ensemble: the link to our server black-holed both ways; the client moves to another server within the session timeout and keeps the lock', async () => {
    const ens = await env.provision({ kind: 'zookeeper', nodes: 3 });
    const ensEps = ens.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    await zookeeperLock({ root: ROOT }).setup!(ensEps);
    const links = await createClientLinks(api, 1, ens.nodes, 'zk-ens-');
    const a = await open({ endpoints: links.map((l) => ({ node: l.node, endpoint: l.listen })), sessionTimeoutMs: 3000 });
    const b = await open({ endpoints: ensEps });
    const lock = fresh('ensemble');
    tokenOf(await a.acquire(lock, never()));
    const stats = proxy.stats();
    const used = links.filter((l) => stats[l.name]?.connections === 1);
    assert.equal(used.length, 1, `one link carries a's connection: ${JSON.stringify(links.map((l) => stats[l.name]))}`);
    const hole = used[0]!.name;
    await api.addToxic(hole, { name: 'hole-down', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
    await api.addToxic(hole, { name: 'hole-up', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const cut = performance.now();
    try {
      // Sample lost() while the client notices the silence (2/3 of the timeout) and reconnects elsewhere.
      let lostSeen: string | undefined;
      while (performance.now() - cut < 4000) {
        lostSeen ??= a.lost!(lock);
        await sleep(50);
      }
      assert.equal(lostSeen, undefined, 'the session never went a whole timeout without an answer');
      const moved = links.filter((l) => l.name !== hole && (proxy.stats()[l.name]?.connections ?? 0) > 0);
      assert.equal(moved.length, 1, 'reconnected through another link');
      // The session (and our node) survived: b is refused, a's release deletes its node.
      const refused = await b.acquire(lock, never());
      assert.equal(refused.type, 'fail', JSON.stringify(refused));
      assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    } finally {
      await api.removeToxic(hole, 'hole-down').catch(() => {});
      await api.removeToxic(hole, 'hole-up').catch(() => {});
    }
    tokenOf(await b.acquire(lock, never()));
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    await Promise.all([a.close(), b.close()]);
    await ens.teardown();
  });

  it('setup deletes leftover lock nodes', async () => {
    const lock = fresh('setup');
    const s = await open();
    tokenOf(await s.acquire(lock, never()));
    await zookeeperLock({ root: ROOT }).setup!(eps);
    await assert.rejects(inspector.children(`${ROOT}/${lock}`), (e: unknown) => String(e).includes('NO_NODE'));
    await until(() => s.lost!(lock)?.includes('deleted') === true, 2000, 'the holder sees its node deleted');
  });
});

/**
 * The PostgreSQL advisory-lock backend against a real PostgreSQL (local provisioner), with faultline's fault proxy in
 * front where a connection must break: mutual exclusion and a blocked waiter, sequence fencing tokens, release
 * semantics, `lost()` after pg_terminate_backend and after the client's connection is cut, bounded ops against a
 * paused server.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import { advisoryKey, pgAdvisoryLock } from '../../workloads/lock/pg-advisory.js';
import type { LockSession } from '../../workloads/lock/types.js';
import type { ClientContext, OpOutcome } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';

const OP_TIMEOUT_MS = 1000;
const SLACK_MS = 400;

type Endpoints = ClientContext['endpoints'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('pg-advisory lock backend against a real PostgreSQL', function () {
  this.timeout(60_000);
  const env = useLocalBackends('lock-pg', { readyTimeoutMs: 30_000 });
  let cluster: Cluster;
  let eps: Endpoints;
  let proxy: ProxyServer;
  let api: ProxyApi;
  let admin: pg.Client;
  const backend = pgAdvisoryLock();
  const sessions: LockSession[] = [];
  let seq = 0;
  const fresh = (what: string): string => `${what}-${seq++}`;

  async function open(endpoints: Endpoints = eps, opTimeoutMs = OP_TIMEOUT_MS): Promise<LockSession> {
    const s = await backend.open({ endpoints, worker: sessions.length, opTimeoutMs, rng: new Rng(1).fork(`w${sessions.length}`), ttlMs: 2000 });
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

  async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
    const t0 = performance.now();
    while (!(await cond())) {
      if (performance.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
      await sleep(25);
    }
    return performance.now() - t0;
  }

  /** Backends holding the advisory lock of `lock` (pids), read from pg_locks. */
  async function holders(lock: string): Promise<number[]> {
    const r = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [advisoryKey(lock)],
    );
    return r.rows.map((x) => x.pid);
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await env.provision({ kind: 'postgres' });
    eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
    proxy = await startProxyServer({ seed: 9 });
    api = new ProxyApi(proxy.url);
    await backend.setup!(eps);
    const { host, port } = eps[0]!.endpoint;
    admin = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
    admin.on('error', () => {});
    await admin.connect();
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await admin?.end().catch(() => {});
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  it('setup restarts the token sequence; mutual exclusion (lock_timeout -> fail); tokens strictly increase; release semantics', async () => {
    assert.equal(backend.name, 'pg-advisory');
    await backend.setup!(eps);
    const lock = fresh('mutex');
    const a = await open();
    const b = await open();
    assert.equal(a.lost!(lock), 'not held by this session');
    const t1 = tokenOf(await timed(a.acquire(lock, never())));
    assert.equal(t1, 1, 'the first token after setup');
    assert.equal((await holders(lock)).length, 1, 'pg_locks shows the key (and our classid/objid mapping finds it)');
    assert.equal(a.lost!(lock), undefined);

    const refused = await timed(b.acquire(lock, never()));
    assert.equal(refused.type, 'fail', JSON.stringify(refused));
    assert.match(refused.error ?? '', /55P03/);
    assert.ok(refused.ms >= 600, `the server waited lock_timeout (3/4 of the op timeout) first (${refused.ms.toFixed(0)} ms)`);
    assert.equal((await a.acquire(lock, never())).type, 'fail', 'no re-entrancy');

    const rel = await timed(a.release(lock, never()));
    assert.deepEqual([rel.type, rel.value], ['ok', { wasHeld: true }]);
    assert.deepEqual(await holders(lock), []);
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } }, 'a second release: nothing held');
    assert.ok(tokenOf(await b.acquire(lock, never())) > t1);
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('advisory keys of both signs are found in pg_locks (the mapping the undo after an error relies on)', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `sign-${i}`);
    const neg = names.find((n) => advisoryKey(n).startsWith('-'))!;
    const pos = names.find((n) => !advisoryKey(n).startsWith('-'))!;
    assert.ok(neg && pos);
    const s = await open();
    for (const lock of [neg, pos]) {
      tokenOf(await s.acquire(lock, never()));
      assert.equal((await holders(lock)).length, 1, `${lock} (key ${advisoryKey(lock)})`);
      assert.deepEqual(await s.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
      assert.deepEqual(await holders(lock), []);
    }
  });

  it('an error after the advisory lock was taken (nextval blocked by ALTER SEQUENCE) -> fail, and the hold is undone', async () => {
    const lock = fresh('undo');
    const s = await open();
    const { host, port } = eps[0]!.endpoint;
    const blocker = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
    blocker.on('error', () => {});
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('ALTER SEQUENCE faultline_fence INCREMENT BY 1'); // AccessExclusiveLock until COMMIT
      const out = await timed(s.acquire(lock, never()));
      assert.equal(out.type, 'fail', JSON.stringify(out));
      assert.match(out.error ?? '', /55P03.*undid a hold/);
      assert.deepEqual(await holders(lock), [], 'the session lock taken before the error was released');
    } finally {
      await blocker.query('COMMIT').catch(() => {});
      await blocker.end().catch(() => {});
    }
    tokenOf(await s.acquire(lock, never()));
    assert.deepEqual(await s.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('a blocked waiter gets the lock when the holder releases; tokens keep increasing; a second release -> ok wasHeld false', async () => {
    const lock = fresh('waiter');
    const a = await open();
    const b = await open();
    const waiter = await open(eps, 5000);
    const tokens = [tokenOf(await a.acquire(lock, never()))];
    const waiting = waiter.acquire(lock, never());
    await sleep(1500); // longer than the 1 s op timeout of the others: the waiter's own lock_timeout is 3.75 s
    const released = performance.now();
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    tokens.push(tokenOf(await waiting));
    const latency = performance.now() - released;
    assert.ok(latency < 300, `granted promptly after the release (${latency.toFixed(0)} ms)`);
    assert.deepEqual(await waiter.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    assert.deepEqual(await waiter.release(lock, never()), { type: 'ok', value: { wasHeld: false } });
    for (let i = 0; i < 4; i++) {
      const [holder, other] = i % 2 === 0 ? [a, b] : [b, a];
      tokens.push(tokenOf(await holder.acquire(lock, never())));
      assert.equal((await other.acquire(lock, never())).type, 'fail');
      assert.deepEqual(await holder.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    }
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `tokens strictly increase: ${tokens.join(', ')}`);
    assert.deepEqual(await holders(lock), []);
  });

  it('pg_terminate_backend on the holder: lost() turns true, another session acquires, release -> ok wasHeld false', async () => {
    const lock = fresh('terminated');
    const a = await open();
    const b = await open(eps, 3000);
    const t1 = tokenOf(await a.acquire(lock, never()));
    const [pid] = await holders(lock);
    assert.ok(pid);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const ms = await until(() => a.lost!(lock) !== undefined, 2000, 'lost() after pg_terminate_backend');
    console.log(`      lost() after ${ms.toFixed(0)} ms: ${a.lost!(lock)}`);
    assert.match(a.lost!(lock)!, /57P01|terminat/);
    assert.ok(tokenOf(await b.acquire(lock, never())) > t1);
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: false } }, 'the server ended the session itself');
    // The session reconnects (a new server session) for its next acquire, since it holds nothing now.
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
    tokenOf(await a.acquire(lock, never()));
    assert.deepEqual(await a.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('the connection cut by the proxy: lost() turns true, release -> info, the server frees the lock once it notices', async () => {
    const lock = fresh('cut');
    const [link] = await createClientLinks(api, 1, cluster.nodes, 'pg-cut-');
    const a = await open([{ node: link!.node, endpoint: link!.listen }]);
    const b = await open(eps, 3000);
    tokenOf(await a.acquire(lock, never()));
    await api.updateProxy(link!.name, { enabled: false }); // closes both sides of every connection
    try {
      await until(() => a.lost!(lock) !== undefined, 2000, 'lost() after the cut');
      console.log(`      lost(): ${a.lost!(lock)}`);
      const rel = await timed(a.release(lock, never()));
      assert.equal(rel.type, 'info', JSON.stringify(rel));
      // The proxy closed the server side too, so the backend exits and its lock goes.
      assert.equal((await b.acquire(lock, never())).type, 'ok');
      assert.equal((await timed(a.acquire(lock, never()))).type, 'fail', 'a session with an unknown outcome is not used again');
    } finally {
      await api.updateProxy(link!.name, { enabled: true });
    }
    assert.deepEqual(await b.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });

  it('a paused server: acquire and release come back within the op timeout (never ok), close() does not hang', async () => {
    const lock = fresh('paused');
    const a = await open();
    const c = await open();
    tokenOf(await a.acquire(lock, never()));
    const node = cluster.nodes[0]!;
    await node.pause();
    try {
      const out = await timed(c.acquire(lock, never()));
      assert.equal(out.type, 'info', `sent, no reply: ${JSON.stringify(out)}`);
      const rel = await timed(a.release(lock, never()));
      assert.equal(rel.type, 'info', JSON.stringify(rel));
      const t0 = performance.now();
      await Promise.all([a.close(), c.close()]);
      assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS, `close() bounded (${(performance.now() - t0).toFixed(0)} ms)`);
    } finally {
      await node.resume();
    }
    // Both sessions are gone; the server frees their locks once it sees the closed sockets.
    await until(async () => (await holders(lock)).length === 0, 5000, 'locks of the closed sessions freed');
  });

  it('open against an unreachable server is bounded; acquire then fails (never sent); an aborted signal fails', async () => {
    const [link] = await createClientLinks(api, 1, cluster.nodes, 'pg-down-');
    await api.updateProxy(link!.name, { enabled: false });
    const t0 = performance.now();
    const s = await open([{ node: link!.node, endpoint: link!.listen }]);
    assert.ok(performance.now() - t0 < OP_TIMEOUT_MS + SLACK_MS);
    const lock = fresh('down');
    const out = await timed(s.acquire(lock, never()));
    assert.equal(out.type, 'fail', JSON.stringify(out));
    // Link back: the session connects on its next acquire.
    await api.updateProxy(link!.name, { enabled: true });
    const ac = new AbortController();
    ac.abort();
    assert.equal((await s.acquire(lock, ac.signal)).type, 'fail');
    tokenOf(await s.acquire(lock, never()));
    assert.deepEqual(await s.release(lock, never()), { type: 'ok', value: { wasHeld: true } });
  });
});

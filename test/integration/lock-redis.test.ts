/**
 * The three Redis lock backends (redis-naive, redis-token, redlock) against real redis-server processes started by
 * the local provisioner, with faultline's fault proxy in front where a reply must go missing: mutual exclusion,
 * fencing tokens, release after expiry (and the naive DEL bug), and the ok / fail / info rules under stopped,
 * paused and black-holed nodes.
 */
import assert from 'node:assert/strict';
import { freePort } from '../../harness/backends/ports.js';
import { redisCommand } from '../../harness/backends/redis.js';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import { redisNaiveLock } from '../../workloads/lock/redis-naive.js';
import { redisTokenLock } from '../../workloads/lock/redis-token.js';
import { redlockLock } from '../../workloads/lock/redlock.js';
import type { LockBackend, LockSession } from '../../workloads/lock/types.js';
import type { ClientContext, OpOutcome } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';

const OP_TIMEOUT_MS = 900;
/** How late past opTimeoutMs an op may come back (event-loop and test-machine jitter). */
const SLACK_MS = 400;
const PREFIX = 'faultline:lock:';

type Endpoints = ClientContext['endpoints'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

/** Every unhandled rejection while this file runs (a backend must never leave one behind). */
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('redis lock backends against real redis-server', function () {
  this.timeout(60_000);
  const env = useLocalBackends('lock-redis', { readyTimeoutMs: 15_000 });
  let single: Cluster;
  let trio: Cluster;
  let singleEps: Endpoints;
  let trioEps: Endpoints;
  let proxy: ProxyServer;
  let api: ProxyApi;
  const sessions: LockSession[] = [];
  let lockSeq = 0;
  /** A lock name no other test uses. */
  const fresh = (what: string): string => `${what}-${lockSeq++}`;

  const eps = (c: Cluster): Endpoints => c.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));

  async function open(backend: LockBackend, endpoints: Endpoints, opts: { ttlMs?: number; opTimeoutMs?: number } = {}): Promise<LockSession> {
    const s = await backend.open({
      endpoints,
      worker: sessions.length,
      opTimeoutMs: opts.opTimeoutMs ?? OP_TIMEOUT_MS,
      rng: new Rng(1).fork(`lock-${sessions.length}`),
      ttlMs: opts.ttlMs ?? 10_000,
    });
    sessions.push(s);
    return s;
  }

  /** Runs one acquire / release and asserts it came back within opTimeoutMs + slack. */
  async function timed(p: Promise<OpOutcome>, limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome & { ms: number }> {
    const t0 = performance.now();
    const out = await p;
    const ms = performance.now() - t0;
    assert.ok(ms <= limit, `took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
    return { ...out, ms };
  }

  /** Proxy links (one per node of `c`) and the endpoints that dial through them. */
  async function linked(c: Cluster, prefix: string): Promise<{ endpoints: Endpoints; names: string[] }> {
    const links = await createClientLinks(api, 1, c.nodes, prefix);
    return { endpoints: links.map((l) => ({ node: l.node, endpoint: l.listen })), names: links.map((l) => l.name) };
  }

  /** Polls acquire on a throwaway lock until it is ok (a restarted node reconnected), then releases it. */
  async function untilAcquires(s: LockSession, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    const lock = fresh('probe');
    let last: OpOutcome | undefined;
    while (Date.now() < end) {
      last = await s.acquire(lock, never());
      if (last.type === 'ok') {
        assert.equal((await s.release(lock, never())).type, 'ok');
        return;
      }
      await sleep(50);
    }
    assert.fail(`no successful acquire within ${ms} ms; last ${JSON.stringify(last)}`);
  }

  const get = (port: number, key: string) => redisCommand(port, ['GET', key]);

  /**
   * Polls until `key` is gone on `port`, well within its TTL. For deletes redlock sent but did not wait for (its
   * cleanup decides on the first quorum of votes).
   */
  async function goneSoon(port: number, key: string, what: string, ms = 1000): Promise<void> {
    const end = Date.now() + ms;
    while ((await get(port, key)) !== null && Date.now() < end) await sleep(20);
    assert.equal(await get(port, key), null, what);
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    [single, trio] = await Promise.all([env.provision({ kind: 'redis', topology: 'single' }), env.provision({ kind: 'redis', topology: 'independent', nodes: 3 })]);
    singleEps = eps(single);
    trioEps = eps(trio);
    proxy = await startProxyServer({ seed: 7 });
    api = new ProxyApi(proxy.url);
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await proxy?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  const backends: { name: string; make: () => LockBackend; endpoints: () => Endpoints; token: 'number' | 'null' }[] = [
    { name: 'redis-naive', make: () => redisNaiveLock(), endpoints: () => singleEps, token: 'null' },
    { name: 'redis-token', make: () => redisTokenLock(), endpoints: () => singleEps, token: 'number' },
    { name: 'redlock', make: () => redlockLock(), endpoints: () => trioEps, token: 'null' },
  ];

  for (const b of backends) {
    describe(b.name, () => {
      it('mutual exclusion: a second session is refused while the first holds, and gets it after the release', async () => {
        const backend = b.make();
        assert.equal(backend.name, b.name);
        await backend.setup!(b.endpoints());
        const lock = fresh('mutex');
        const a = await open(backend, b.endpoints());
        const c = await open(backend, b.endpoints());
        const got = await timed(a.acquire(lock, never()));
        assert.equal(got.type, 'ok', JSON.stringify(got));
        const token = (got.value as { token: unknown }).token;
        if (b.token === 'null') assert.equal(token, null);
        else assert.equal(typeof token, 'number');

        const refused = await timed(c.acquire(lock, never()));
        assert.equal(refused.type, 'fail', JSON.stringify(refused));
        assert.match(refused.error ?? '', /held/);
        // The holder itself cannot take it twice either (try-lock, no re-entrancy).
        assert.equal((await a.acquire(lock, never())).type, 'fail');

        const rel = await timed(a.release(lock, never()));
        assert.deepEqual([rel.type, rel.value], ['ok', { wasHeld: true }], JSON.stringify(rel));
        const second = await timed(c.acquire(lock, never()));
        assert.equal(second.type, 'ok', JSON.stringify(second));
        assert.equal((await a.acquire(lock, never())).type, 'fail', 'now the second session holds it');
        assert.deepEqual((await c.release(lock, never())).value, { wasHeld: true });
      });

      it('an already aborted signal -> fail without sending; close() is idempotent and a closed session fails promptly', async () => {
        const backend = b.make();
        const lock = fresh('abort');
        const s = await open(backend, b.endpoints());
        const ac = new AbortController();
        ac.abort();
        const out = await s.acquire(lock, ac.signal);
        assert.equal(out.type, 'fail', JSON.stringify(out));
        // Nothing was sent: someone else can take it.
        const other = await open(backend, b.endpoints());
        assert.equal((await other.acquire(lock, never())).type, 'ok');
        assert.equal((await other.release(lock, never())).type, 'ok');

        await s.close();
        await s.close();
        const closed = await timed(s.acquire(lock, never()));
        assert.equal(closed.type, 'fail', JSON.stringify(closed));
      });

      it('setup deletes leftover lock keys', async () => {
        const backend = b.make();
        const lock = fresh('setup');
        const s = await open(backend, b.endpoints());
        assert.equal((await s.acquire(lock, never())).type, 'ok');
        await backend.setup!(b.endpoints());
        for (const { endpoint } of b.endpoints()) assert.equal(await get(endpoint.port, PREFIX + lock), null);
        const other = await open(backend, b.endpoints());
        assert.equal((await other.acquire(lock, never())).type, 'ok', 'the leftover is gone');
      });
    });
  }

  describe('redis-token', () => {
    it('fencing tokens strictly increase across grants and sessions; a refused acquire consumes none', async () => {
      const backend = redisTokenLock();
      const lock = fresh('fence');
      const a = await open(backend, singleEps);
      const c = await open(backend, singleEps);
      const tokens: number[] = [];
      for (let i = 0; i < 6; i++) {
        const [holder, other] = i % 2 === 0 ? [a, c] : [c, a];
        const got = await holder.acquire(lock, never());
        assert.equal(got.type, 'ok', JSON.stringify(got));
        tokens.push((got.value as { token: number }).token);
        assert.equal((await other.acquire(lock, never())).type, 'fail');
        assert.equal((await holder.release(lock, never())).type, 'ok');
      }
      for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i]! > tokens[i - 1]!, `tokens ${tokens.join(', ')}`);
      // Counter starts fresh for a new lock and only grants increment it.
      assert.deepEqual(tokens, [1, 2, 3, 4, 5, 6]);
      assert.equal(await get(single.nodes[0]!.endpoint.port, `fence:${PREFIX}${lock}`), '6');
    });

    it('release after TTL expiry: ok, wasHeld false, and the next holder keeps its key (and a higher token)', async () => {
      const backend = redisTokenLock();
      const lock = fresh('expire');
      const a = await open(backend, singleEps, { ttlMs: 300 });
      const c = await open(backend, singleEps, { ttlMs: 5000 });
      const third = await open(backend, singleEps);
      const first = await a.acquire(lock, never());
      assert.equal(first.type, 'ok');
      await sleep(450);
      const taken = await c.acquire(lock, never());
      assert.equal(taken.type, 'ok', 'the expired lock is free again');
      assert.ok((taken.value as { token: number }).token > (first.value as { token: number }).token, 'the new holder has a higher token');
      const late = await a.release(lock, never());
      assert.deepEqual([late.type, late.value], ['ok', { wasHeld: false }], JSON.stringify(late));
      assert.notEqual(await get(single.nodes[0]!.endpoint.port, PREFIX + lock), null, "the late release left the new holder's key alone");
      assert.equal((await third.acquire(lock, never())).type, 'fail', 'so a third session is still refused');
      assert.deepEqual((await c.release(lock, never())).value, { wasHeld: true });
    });

    it('paused node (SIGSTOP): acquire -> info, and the script did run once the node resumed', async () => {
      const backend = redisTokenLock();
      const lock = fresh('paused');
      const s = await open(backend, singleEps);
      const probe = await open(backend, singleEps);
      const node = single.nodes[0]!;
      await node.pause();
      let out: OpOutcome & { ms: number };
      try {
        out = await timed(s.acquire(lock, never()));
      } finally {
        await node.resume();
      }
      assert.equal(out.type, 'info', JSON.stringify(out));
      assert.ok(out.ms >= OP_TIMEOUT_MS - 50, `gave up early (${out.ms} ms)`);
      await sleep(50);
      // Why info and not fail: the queued script ran on resume and the lock is now set.
      const after = await probe.acquire(lock, never());
      assert.equal(after.type, 'fail', `the unanswered acquire took effect: ${JSON.stringify(after)}`);
      assert.equal(await get(node.endpoint.port, `fence:${PREFIX}${lock}`), '1');
    });

    it('reply lost after execution (proxy reset_peer on replies): info, and the script ran exactly once (no re-send)', async () => {
      const backend = redisTokenLock();
      const lock = fresh('reset');
      const { endpoints, names } = await linked(single, 'reset-');
      const s = await open(backend, endpoints);
      const probe = await open(backend, singleEps);
      await api.addToxic(names[0]!, { type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } });
      try {
        const out = await timed(s.acquire(lock, never()));
        assert.equal(out.type, 'info', JSON.stringify(out));
        await sleep(300); // time for a reconnect and any re-send to happen
      } finally {
        await api.removeToxic(names[0]!, 'reset_peer_downstream');
      }
      assert.equal(await get(single.nodes[0]!.endpoint.port, `fence:${PREFIX}${lock}`), '1', 'executed once, not re-sent after reconnect');
      assert.equal((await probe.acquire(lock, never())).type, 'fail', 'the lock is set');
      await api.deleteProxy(names[0]!);
    });

    it('an abort after sending (replies black-holed) -> info, promptly', async () => {
      const backend = redisTokenLock();
      const lock = fresh('abort-mid');
      const { endpoints, names } = await linked(single, 'abortmid-');
      const s = await open(backend, endpoints);
      await api.addToxic(names[0]!, { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
      try {
        const ac = new AbortController();
        setTimeout(() => ac.abort(new Error('run stopping')), 100);
        const out = await timed(s.acquire(lock, ac.signal), 100 + SLACK_MS);
        assert.equal(out.type, 'info', JSON.stringify(out));
        assert.match(out.error ?? '', /abort/);
      } finally {
        await api.deleteProxy(names[0]!);
      }
    });

    it('node down: acquire and release -> fail (provably not sent); recovers after restart', async () => {
      const backend = redisTokenLock();
      const lock = fresh('down');
      const s = await open(backend, singleEps);
      const got = await s.acquire(lock, never());
      assert.equal(got.type, 'ok');
      const node = single.nodes[0]!;
      await node.stop();
      try {
        await sleep(100); // the client sees the connection close
        const a = await timed(open(backend, singleEps).then((o) => o.acquire(fresh('down'), never())));
        assert.equal(a.type, 'fail', JSON.stringify(a));
        assert.match(a.error ?? '', /not connected/);
        const r = await timed(s.release(lock, never()));
        assert.equal(r.type, 'fail', `release to a stopped node is provably not sent: ${JSON.stringify(r)}`);
      } finally {
        await node.start();
      }
      await untilAcquires(s);
      // The node came back empty (no persistence): the release now finds nothing of ours.
      assert.deepEqual((await s.release(lock, never())).value, { wasHeld: false });
    });

    it('a node unreachable from the start: acquire fails quickly', async () => {
      const s = await open(redisTokenLock(), [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
      for (let i = 0; i < 2; i++) {
        const out = await timed(s.acquire(fresh('nx'), never()), 200);
        assert.equal(out.type, 'fail', JSON.stringify(out));
      }
    });
  });

  describe('redis-naive', () => {
    it('the DEL bug: a holder past its TTL deletes the next holder\'s key, letting a third session in while the second still holds it', async () => {
      const backend = redisNaiveLock();
      const lock = fresh('naive-bug');
      const a = await open(backend, singleEps, { ttlMs: 1000 }); // EX 1
      const c = await open(backend, singleEps, { ttlMs: 10_000 });
      const third = await open(backend, singleEps, { ttlMs: 10_000 });
      assert.equal((await a.acquire(lock, never())).type, 'ok');
      await sleep(1100);
      assert.equal((await c.acquire(lock, never())).type, 'ok', 'expired, so the second session takes it');
      const late = await a.release(lock, never());
      // The naive release "succeeds" and reports a key was there: it was the second holder's.
      assert.deepEqual([late.type, late.value], ['ok', { wasHeld: true }], JSON.stringify(late));
      assert.equal(await get(single.nodes[0]!.endpoint.port, PREFIX + lock), null, "the second holder's key is gone");
      const intruder = await third.acquire(lock, never());
      assert.equal(intruder.type, 'ok', 'two sessions now believe they hold the lock');
    });

    it('replies black-holed: acquire -> info (the SET ran); node down -> fail', async () => {
      const backend = redisNaiveLock();
      const lock = fresh('naive-hole');
      const { endpoints, names } = await linked(single, 'naivehole-');
      const s = await open(backend, endpoints);
      await api.addToxic(names[0]!, { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } });
      try {
        const out = await timed(s.acquire(lock, never()));
        assert.equal(out.type, 'info', JSON.stringify(out));
      } finally {
        await api.deleteProxy(names[0]!);
      }
      assert.equal(await get(single.nodes[0]!.endpoint.port, PREFIX + lock), '1', 'the SET was applied');

      const down = await open(backend, [{ node: 'nx', endpoint: { host: '127.0.0.1', port: await freePort() } }]);
      const f = await timed(down.acquire(lock, never()), 200);
      assert.equal(f.type, 'fail', JSON.stringify(f));
      assert.equal((await timed(down.release(lock, never()), 200)).type, 'fail');
    });
  });

  describe('redlock (3 independent nodes)', () => {
    const key = (lock: string) => PREFIX + lock;
    const values = (lock: string) => Promise.all(trio.nodes.map((n) => get(n.endpoint.port, key(lock))));

    it('a grant sets one random value on every node; release deletes it everywhere', async () => {
      const lock = fresh('rl');
      const s = await open(redlockLock(), trioEps);
      assert.equal((await s.acquire(lock, never())).type, 'ok');
      const vals = await values(lock);
      assert.equal(new Set(vals).size, 1, `one value on all nodes: ${vals.join(', ')}`);
      assert.match(String(vals[0]), /^[0-9a-f]{32}$/);
      assert.deepEqual((await s.release(lock, never())).value, { wasHeld: true });
      assert.deepEqual(await values(lock), [null, null, null]);
      // Releasing again: this session holds nothing -> ok, wasHeld false.
      assert.deepEqual((await s.release(lock, never())).value, { wasHeld: false });
    });

    it('release after the TTL ran out everywhere -> ok, wasHeld false, and the next holder keeps its keys', async () => {
      const lock = fresh('rl-exp');
      const a = await open(redlockLock(), trioEps, { ttlMs: 300 });
      const c = await open(redlockLock(), trioEps);
      assert.equal((await a.acquire(lock, never())).type, 'ok');
      await sleep(400);
      assert.equal((await c.acquire(lock, never())).type, 'ok');
      const before = await values(lock);
      const late = await timed(a.release(lock, never()));
      assert.deepEqual([late.type, late.value], ['ok', { wasHeld: false }], JSON.stringify(late));
      assert.deepEqual(await values(lock), before, "the late release left the new holder's keys alone");
      assert.equal((await c.release(lock, never())).type, 'ok');
    });

    it('one node stopped: still granted (2 of 3); two stopped: fail with a clear error, and the lone key is cleaned up', async () => {
      const lock = fresh('rl-quorum');
      const s = await open(redlockLock(), trioEps);
      const [n1, n2, n3] = trio.nodes;
      await n3!.stop();
      try {
        await sleep(100);
        const one = await timed(s.acquire(lock, never()));
        assert.equal(one.type, 'ok', JSON.stringify(one));
        assert.deepEqual((await s.release(lock, never())).value, { wasHeld: true });

        await n2!.stop();
        await sleep(100);
        const two = await timed(s.acquire(lock, never()));
        assert.equal(two.type, 'fail', JSON.stringify(two));
        assert.match(two.error ?? '', /no quorum: 2 of 3 nodes needed/);
        assert.match(two.error ?? '', /n1 granted/);
        assert.match(two.error ?? '', /n2 unreachable \(not connected/);
        assert.match(two.error ?? '', /n3 unreachable \(not connected/);
        // redlock's cleanup deleted the value it did set on n1 (well before the 10 s TTL).
        await goneSoon(n1!.endpoint.port, key(lock), 'cleanup on the node that granted');
      } finally {
        await Promise.all([n2!.start(), n3!.start()]);
      }
      await untilAcquires(s);
    });

    it('held by another session on a quorum -> fail "held"; a lone stale key on one node does not block', async () => {
      const lock = fresh('rl-held');
      const s = await open(redlockLock(), trioEps);
      // Someone else's value on n1 only: a minority, so the lock is still free.
      assert.equal(await redisCommand(trio.nodes[0]!.endpoint.port, ['SET', key(lock), 'someone-else', 'PX', '10000']), 'OK');
      const got = await s.acquire(lock, never());
      assert.equal(got.type, 'ok', JSON.stringify(got));
      assert.equal((await s.release(lock, never())).type, 'ok');
      assert.equal(await get(trio.nodes[0]!.endpoint.port, key(lock)), 'someone-else', 'release left the foreign value alone');
      // ... and on n2 as well: a quorum is someone else's.
      assert.equal(await redisCommand(trio.nodes[1]!.endpoint.port, ['SET', key(lock), 'someone-else', 'PX', '10000']), 'OK');
      const refused = await s.acquire(lock, never());
      assert.equal(refused.type, 'fail', JSON.stringify(refused));
      assert.match(refused.error ?? '', /^held: /);
      await goneSoon(trio.nodes[2]!.endpoint.port, key(lock), 'the value set on n3 was cleaned up');
    });

    it('replies swallowed: one node black-holed -> ok at once; two -> info; two whose replies cut the connection -> info, and our value stays on a quorum', async () => {
      const { endpoints, names } = await linked(trio, 'rlhole-');
      const hole = { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } } as const;
      try {
        const s1 = await open(redlockLock(), endpoints);
        await untilAcquires(s1); // scripts cached on every node: one round trip per vote
        await api.addToxic(names[2]!, hole);
        const lock1 = fresh('rl-hole');
        const one = await timed(s1.acquire(lock1, never()), OP_TIMEOUT_MS / 3);
        assert.equal(one.type, 'ok', `a quorum answered, no need to wait for n3: ${JSON.stringify(one)}`);
        assert.equal((await s1.release(lock1, never())).type, 'ok');
        await api.removeToxic(names[2]!, 'timeout_downstream'); // closes s1's n3 connection

        // Two black holes: the scripts run on n1 and n2, their replies never come, and so do redlock's cleanup
        // deletes (only n3 answers). The lock ends up free, but nothing the client saw can prove it: info.
        const s2 = await open(redlockLock(), endpoints); // connected to all three
        const lock2 = fresh('rl-hole');
        await api.addToxic(names[0]!, hole);
        await api.addToxic(names[1]!, hole);
        const two = await timed(s2.acquire(lock2, never()));
        assert.equal(two.type, 'info', JSON.stringify(two));
        assert.match(two.error ?? '', /may be on 3 of 3 nodes/);
        assert.match(two.error ?? '', /n1 unknown \(Command timed out\)/);
        assert.deepEqual(await values(lock2), [null, null, null], 'the unacknowledged cleanup did reach n1 and n2');
        await api.removeToxic(names[0]!, 'timeout_downstream');
        await api.removeToxic(names[1]!, 'timeout_downstream');

        // Replies that reset the connection (reply lost after execution): the cleanup cannot be sent to n1/n2 at
        // all, so our value really stays there, on a quorum, until its TTL. A fail here would be a lie.
        const s3 = await open(redlockLock(), endpoints);
        const lock3 = fresh('rl-reset');
        await api.addToxic(names[0]!, { type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } });
        await api.addToxic(names[1]!, { type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } });
        const three = await timed(s3.acquire(lock3, never()));
        assert.equal(three.type, 'info', JSON.stringify(three));
        const [v1, v2, v3] = await values(lock3);
        assert.match(String(v1), /^[0-9a-f]{32}$/);
        assert.equal(v2, v1, 'one value on n1 and n2: a quorum holds the lock for us');
        assert.equal(v3, null, 'n3 answered, so the cleanup removed it there');
        const blocked = await (await open(redlockLock(), trioEps)).acquire(lock3, never());
        assert.equal(blocked.type, 'fail', `nobody else can take it: ${JSON.stringify(blocked)}`);
      } finally {
        for (const n of names) await api.deleteProxy(n);
      }
    });

    it('replies slower than the TTL: redlock 5 returns an already-expired lock; the client refuses it (fail)', async () => {
      const lock = fresh('rl-late');
      const { endpoints, names } = await linked(trio, 'rllate-');
      const s = await open(redlockLock(), endpoints, { ttlMs: 300, opTimeoutMs: 1500 });
      try {
        await untilAcquires(s); // scripts cached on every node (n2, n3 restarted empty): no NOSCRIPT round trips
        for (const n of names) await api.addToxic(n, { type: 'latency', stream: 'downstream', attributes: { latency: 400 } });
        const out = await timed(s.acquire(lock, never()), 1500 + SLACK_MS);
        assert.equal(out.type, 'fail', JSON.stringify(out));
        assert.match(out.error ?? '', /granted too late: the lock's validity ended \d+ ms before acquire returned/);
        // Not believed, so nothing to release; and the keys are gone (expired or cleaned).
        assert.deepEqual((await s.release(lock, never())).value, { wasHeld: false });
        assert.deepEqual(await values(lock), [null, null, null]);
      } finally {
        for (const n of names) await api.deleteProxy(n);
      }
    });
  });

  // Last (mocha runs a suite's own tests before its child suites): late votes and timed-out commands have settled.
  describe('afterwards', () => {
    it('no unhandled rejections from any backend', async () => {
      await sleep(OP_TIMEOUT_MS);
      assert.deepEqual(unhandled.map(String), []);
    });
  });
});

/**
 * The register clients against real redis-server and etcd processes (started by the local provisioner): op
 * semantics, the fail-vs-info rules under pause, kill and unreachable nodes, abort handling, and a concurrent burst
 * through the generator whose history must be linearizable under the `kv` model.
 */
import assert from 'node:assert/strict';
import { freePort } from '../../harness/backends/ports.js';
import type { BackendSpec, Cluster } from '../../harness/backends/types.js';
import { Rng } from '../../harness/seed.js';
import type { Op } from '../../checkers/history/types.js';
import { checkLinearizability, createModel } from '../../checkers/linearizable/index.js';
import { etcdRegisterClient, redisRegisterClient, registerWorkload } from '../../workloads/register/index.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';

const OP_TIMEOUT_MS = 1000;
/** How late past opTimeoutMs an op may come back (event-loop and test-machine jitter). */
const SLACK_MS = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Endpoints = ClientContext['endpoints'];

function ctxFor(endpoints: Endpoints, worker = 0, opTimeoutMs = OP_TIMEOUT_MS): ClientContext {
  return { endpoints, worker, opTimeoutMs, rng: new Rng(1).fork(`client-${worker}`) };
}

const never = () => new AbortController().signal;

/** Runs one op and asserts it came back within opTimeoutMs + slack. */
async function timed(client: Client, op: OpRequest, signal: AbortSignal = never(), limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome & { ms: number }> {
  const t0 = performance.now();
  const out = await client.invoke(op, signal);
  const ms = performance.now() - t0;
  assert.ok(ms <= limit, `${op.f} took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
  return { ...out, ms };
}

const read = (key: string): OpRequest => ({ f: 'read', key, value: null });
const write = (key: string, v: number): OpRequest => ({ f: 'write', key, value: v });
const cas = (key: string, old: number | null, v: number): OpRequest => ({ f: 'cas', key, value: [old, v] });

/** Polls until a write through `client` is ok again (a restarted node), or fails the test. */
async function until(client: Client, key: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let last: OpOutcome | undefined;
  while (Date.now() < end) {
    last = await client.invoke(write(key, 1), never());
    if (last.type === 'ok') return;
    await sleep(100);
  }
  assert.fail(`client did not recover within ${ms} ms; last outcome ${JSON.stringify(last)}`);
}

/**
 * Five workers through the generator, each single-threaded, reopening its client under a new process id after
 * an `info` (the harness's rule), recording a Jepsen history; then final reads.
 */
async function burst(factory: ClientFactory, endpoints: Endpoints, workers: number, opsPerWorker: number): Promise<{ history: Op[]; opsPerSec: number; counts: Record<string, number> }> {
  const workload = registerWorkload({ opsPerWorker });
  const history: Op[] = [];
  const t0 = process.hrtime.bigint();
  const counts: Record<string, number> = { ok: 0, fail: 0, info: 0 };
  const record = (rec: Pick<Op, 'process' | 'type' | 'f' | 'value' | 'key'> & { error?: string }): void => {
    history.push({ index: history.length, time: Number(process.hrtime.bigint() - t0), ...rec });
  };
  const run = async (worker: number): Promise<void> => {
    const rng = new Rng(2024).fork(`client-${worker}`);
    const gen = workload.generator(worker, rng);
    let proc = worker;
    let client = await factory.open(ctxFor(endpoints, worker));
    try {
      for (let op = gen.next(); op !== null; op = gen.next()) {
        record({ process: proc, type: 'invoke', f: op.f, key: op.key, value: op.value });
        const out = await client.invoke(op, never());
        counts[out.type]!++;
        record({ process: proc, type: out.type, f: op.f, key: op.key, value: out.value !== undefined ? out.value : op.value, ...(out.error ? { error: out.error } : {}) });
        if (out.type === 'info') {
          proc += workers;
          await client.close();
          client = await factory.open(ctxFor(endpoints, worker));
        }
      }
    } finally {
      await client.close();
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => run(w)));
  const seconds = (performance.now() - started) / 1000;
  const final = await factory.open(ctxFor(endpoints, workers));
  try {
    for (const op of workload.finalOps()) {
      record({ process: workers * 1000, type: 'invoke', f: op.f, key: op.key, value: op.value });
      const out = await final.invoke(op, never());
      record({ process: workers * 1000, type: out.type, f: op.f, key: op.key, value: out.value !== undefined ? out.value : op.value });
    }
  } finally {
    await final.close();
  }
  return { history, opsPerSec: (workers * opsPerWorker) / seconds, counts };
}

describe('register clients against real backends', function () {
  this.timeout(120_000);
  const env = useLocalBackends('register', { readyTimeoutMs: 20_000 });

  async function provision(spec: BackendSpec): Promise<{ cluster: Cluster; endpoints: Endpoints }> {
    const cluster = await env.provision(spec);
    return { cluster, endpoints: cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint })) };
  }

  const backends: { name: string; spec: BackendSpec; factory: () => ClientFactory }[] = [
    { name: 'redis', spec: { kind: 'redis', topology: 'single' }, factory: () => redisRegisterClient() },
    { name: 'etcd', spec: { kind: 'etcd', nodes: 1 }, factory: () => etcdRegisterClient({ keyPrefix: 'faultline/' }) },
  ];

  for (const b of backends) {
    describe(b.name, () => {
      let cluster: Cluster;
      let endpoints: Endpoints;
      const factory = b.factory();
      const open: Client[] = [];
      async function client(opTimeoutMs = OP_TIMEOUT_MS): Promise<Client> {
        const c = await factory.open(ctxFor(endpoints, 0, opTimeoutMs));
        open.push(c);
        return c;
      }

      before(async () => {
        ({ cluster, endpoints } = await provision(b.spec));
        await factory.setup!(endpoints);
      });
      after(async () => {
        await Promise.all(open.map((c) => c.close()));
        await cluster?.teardown();
      });

      it('read of an absent key is ok null; write then read returns the value', async () => {
        const c = await client();
        assert.deepEqual(await c.invoke(read('absent'), never()), { type: 'ok', value: null, ...nodeOf(b.name) });
        assert.equal((await c.invoke(write('a', 17), never())).type, 'ok');
        const r = await c.invoke(read('a'), never());
        assert.equal(r.type, 'ok');
        assert.equal(r.value, 17);
      });

      it('cas: matching old -> ok, wrong old -> fail, null old on an absent key -> ok, on a present key -> fail', async () => {
        const c = await client();
        assert.equal((await c.invoke(write('c', 1), never())).type, 'ok');
        assert.equal((await c.invoke(cas('c', 1, 2), never())).type, 'ok');
        assert.equal((await c.invoke(read('c'), never())).value, 2);
        const wrong = await c.invoke(cas('c', 1, 3), never());
        assert.equal(wrong.type, 'fail');
        assert.match(wrong.error ?? '', /differs/);
        assert.equal((await c.invoke(read('c'), never())).value, 2, 'a failed cas changed nothing');
        assert.equal((await c.invoke(cas('fresh', null, 5), never())).type, 'ok');
        assert.equal((await c.invoke(read('fresh'), never())).value, 5);
        assert.equal((await c.invoke(cas('fresh', null, 6), never())).type, 'fail');
        assert.equal((await c.invoke(read('fresh'), never())).value, 5);
      });

      it('setup clears the keys', async () => {
        const c = await client();
        assert.equal((await c.invoke(write('gone', 9), never())).type, 'ok');
        await factory.setup!(endpoints);
        assert.deepEqual((await c.invoke(read('gone'), never())).value, null);
      });

      it('an already aborted signal -> fail without sending', async () => {
        const c = await client();
        const ac = new AbortController();
        ac.abort();
        assert.equal((await c.invoke(write('ab', 1), ac.signal)).type, 'fail');
        assert.equal((await c.invoke(read('ab'), never())).value, null, 'the aborted write was not applied');
      });

      it('5 clients x 200 ops through the generator: linearizable under kv', async () => {
        await factory.setup!(endpoints);
        const { history, opsPerSec, counts } = await burst(factory, endpoints, 5, 200);
        console.log(`      ${b.name}: ${opsPerSec.toFixed(0)} ops/s, outcomes ${JSON.stringify(counts)}`);
        assert.equal(counts.info, 0, 'no faults, so no unknown outcomes');
        assert.ok(counts.ok! > 500);
        const result = checkLinearizability(history, createModel('kv'), { timeBudgetMs: 30_000 });
        assert.equal(result.valid, true, result.explanation ?? JSON.stringify(result.anomalies).slice(0, 2000));
      });

      it('paused node: a write/cas times out as info, a read as fail, an abort mid-flight is info (write) / fail (read); never late', async () => {
        const node = cluster.nodes[0]!;
        const c = await client();
        const warm = await c.invoke(read('p'), never()); // the connection is established (and for etcd READY)
        assert.equal(warm.type, 'ok');
        await node.pause();
        try {
          const w = await timed(c, write('p', 1));
          assert.equal(w.type, 'info', JSON.stringify(w));
          assert.ok(w.ms >= OP_TIMEOUT_MS - 50, `gave up early (${w.ms} ms)`);
          const r = await timed(await client(), read('p'));
          assert.equal(r.type, 'fail', JSON.stringify(r));

          // Abort after sending: a fresh client whose connection is up, then the node is paused.
          await node.resume();
          const c2 = await client();
          assert.equal((await c2.invoke(read('p'), never())).type, 'ok');
          await node.pause();
          const ac = new AbortController();
          setTimeout(() => ac.abort(new Error('run stopping')), 100);
          const a = await timed(c2, cas('p', null, 2), ac.signal, 100 + SLACK_MS);
          assert.equal(a.type, 'info', JSON.stringify(a));
          assert.match(a.error ?? '', /abort/);
          const ac2 = new AbortController();
          setTimeout(() => ac2.abort(), 100);
          const ar = await timed(await client(), read('p'), ac2.signal, 100 + SLACK_MS);
          assert.equal(ar.type, 'fail', JSON.stringify(ar));
        } finally {
          await node.resume();
        }
      });

      it('killed node: in-flight write -> info; later writes/cas -> fail (not sent); reads -> fail; recovers after restart', async () => {
        const node = cluster.nodes[0]!;
        const c = await client();
        assert.equal((await c.invoke(read('k'), never())).type, 'ok');
        // In flight at the moment of the kill: pause so the write is sent but unanswered, then SIGKILL.
        await node.pause();
        const inflight = timed(c, write('k', 1));
        await sleep(100);
        await node.kill();
        const w = await inflight;
        assert.equal(w.type, 'info', JSON.stringify(w));
        await sleep(100);

        // The node is down: nothing can be sent.
        const c2 = await client();
        const w2 = await timed(c2, write('k', 2));
        assert.equal(w2.type, 'fail', `write to a dead node is provably not sent: ${JSON.stringify(w2)}`);
        const x2 = await timed(c2, cas('k', null, 3));
        assert.equal(x2.type, 'fail', JSON.stringify(x2));
        const r2 = await timed(c2, read('k'));
        assert.equal(r2.type, 'fail', JSON.stringify(r2));
        // The client that saw the kill mid-op, too (the harness would reopen it; it must still not hang).
        const w3 = await timed(c, write('k', 4));
        assert.notEqual(w3.type, 'ok');

        await node.start();
        await until(c2, 'k', 15_000);
      });

      it('a node unreachable from the start: writes, cas and reads fail quickly (provably not sent)', async () => {
        const port = await freePort();
        const c = await factory.open(ctxFor([{ node: 'nx', endpoint: { host: '127.0.0.1', port } }]));
        open.push(c);
        for (const op of [write('u', 1), cas('u', null, 2), read('u'), write('u', 3)]) {
          const out = await timed(c, op);
          assert.equal(out.type, 'fail', `${op.f}: ${JSON.stringify(out)}`);
        }
      });

      it('close() is idempotent and never throws', async () => {
        const c = await factory.open(ctxFor(endpoints));
        await c.close();
        await c.close();
        // A closed client still answers (fail: nothing can be sent), and promptly.
        const out = await timed(c, write('z', 1));
        assert.equal(out.type, 'fail', JSON.stringify(out));
      });
    });
  }

  it('etcd, 3 members: the client spreads ops over all members; a burst stays linearizable, also with one member killed', async () => {
    const { cluster, endpoints } = await provision({ kind: 'etcd', nodes: 3 });
    try {
      const factory = etcdRegisterClient();
      await factory.setup!(endpoints);
      const healthy = await burst(factory, endpoints, 5, 200);
      console.log(`      etcd x3: ${healthy.opsPerSec.toFixed(0)} ops/s, outcomes ${JSON.stringify(healthy.counts)}`);
      assert.equal(healthy.counts.info, 0);
      assert.equal(checkLinearizability(healthy.history, createModel('kv'), { timeBudgetMs: 30_000 }).valid, true);
      // One member down: calls routed to it fail (never connected); the rest go on; still linearizable.
      await cluster.nodes[2]!.kill();
      await factory.setup!(endpoints); // the checker assumes every key starts absent
      const degraded = await burst(factory, endpoints, 5, 200);
      console.log(`      etcd x3, one killed: ${degraded.opsPerSec.toFixed(0)} ops/s, outcomes ${JSON.stringify(degraded.counts)}`);
      assert.ok(degraded.counts.ok! > 200);
      const result = checkLinearizability(degraded.history, createModel('kv'), { timeBudgetMs: 30_000 });
      assert.equal(result.valid, true, result.explanation);
    } finally {
      await cluster.teardown();
    }
  });
});

/** Redis outcomes name the node they talked to; etcd's load-balance over members, so they do not. */
function nodeOf(backend: string): { node?: string } {
  return backend === 'redis' ? { node: 'n1' } : {};
}

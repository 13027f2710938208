/**
 * The transactional PostgreSQL clients (list-append, rw-register, bank, set) against a real PostgreSQL started by the
 * local provisioner: round trips, the isolation option taking effect (write skew commits at REPEATABLE READ, one
 * side gets 40001 at SERIALIZABLE), the fail-vs-info rules (lock_timeout, abort and a paused server before COMMIT
 * -> fail; the backend terminated, the connection cut or the signal aborted while COMMIT is in flight -> info),
 * concurrent bursts through the generators whose histories must be consistent, and no leaked processes or ports.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { childPids } from '../../harness/backends/postgres.js';
import type { Cluster } from '../../harness/backends/types.js';
import { createClientLinks } from '../../harness/faults/links.js';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';
import { bankWorkload } from '../../workloads/bank/generator.js';
import { INSUFFICIENT_FUNDS, pgBankClient } from '../../workloads/bank/pg.js';
import { listAppendWorkload } from '../../workloads/list-append/generator.js';
import { pgListAppendClient } from '../../workloads/list-append/pg.js';
import { pgRwRegisterClient } from '../../workloads/rw-register/pg.js';
import { pgSetClient } from '../../workloads/set/pg.js';
import type { PgIsolation } from '../../workloads/txn-pg.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest, Workload } from '../../workloads/types.js';
import { useLocalBackends } from '../support/backends.js';
import { leaksSince, snapshot, waitNoLeaks } from '../support/leaks.js';

const OP_TIMEOUT_MS = 1000;
const SLACK_MS = 400;

type Endpoints = ClientContext['endpoints'];
type Mop = [string, number, unknown];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;
const txn = (...mops: Mop[]): OpRequest => ({ f: 'txn', value: mops });

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);

describe('transactional PostgreSQL clients', function () {
  this.timeout(120_000);
  let base: ReturnType<typeof snapshot>;
  /** Pids and ports this suite started (other engineers' backends on the machine are not ours to judge). */
  const ours = { pids: new Set<number>(), ports: new Set<number>(), root: '' };

  before(() => {
    base = snapshot();
    process.on('unhandledRejection', onUnhandled);
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
    const mine = (leak: string): boolean => {
      const pid = /^process (\d+):/.exec(leak)?.[1];
      const port = /^listening port (\d+)$/.exec(leak)?.[1];
      return (pid !== undefined && ours.pids.has(Number(pid))) || (port !== undefined && ours.ports.has(Number(port)));
    };
    const end = Date.now() + 5000;
    let leaks = (await waitNoLeaks(base, 0)).filter(mine);
    while (leaks.length > 0 && Date.now() < end) {
      await sleep(100);
      leaks = leaksSince(base).filter(mine);
    }
    assert.ok(ours.pids.size >= 2, 'the postmaster and its children were tracked');
    assert.deepEqual(leaks, [], 'no process or port of this suite survives teardown');
    assert.equal(existsSync(ours.root), false, 'the temp root is removed');
  });

  describe('against a real PostgreSQL', () => {
    const env = useLocalBackends('txn-pg', { readyTimeoutMs: 30_000 });
    let cluster: Cluster;
    let eps: Endpoints;
    let proxy: ProxyServer;
    let api: ProxyApi;
    /** Observes (pg_stat_activity, advisory locks); never inside a transaction, whose stats snapshot would go stale. */
    let admin: pg.Client;
    /** Holds row locks in its own transaction. */
    let locker: pg.Client;
    let opened: Client[] = [];

    async function open(factory: ClientFactory, opTimeoutMs = OP_TIMEOUT_MS, endpoints: Endpoints = eps): Promise<Client> {
      const c = await factory.open({ endpoints, worker: opened.length, opTimeoutMs, rng: new Rng(1).fork(`w${opened.length}`) });
      opened.push(c);
      return c;
    }

    async function timed(client: Client, op: OpRequest, signal = never(), limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome & { ms: number }> {
      const t0 = performance.now();
      const out = await client.invoke(op, signal);
      const ms = performance.now() - t0;
      assert.ok(ms <= limit, `${op.f} took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
      return { ...out, ms };
    }

    const ok = (o: OpOutcome): unknown => {
      assert.equal(o.type, 'ok', JSON.stringify(o));
      return o.value;
    };

    async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
      const t0 = performance.now();
      while (!(await cond())) {
        if (performance.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
        await sleep(20);
      }
    }

    /** Backends of our clients waiting on a lock while running a statement that starts with `prefix`. */
    async function lockWaiters(prefix: string): Promise<number[]> {
      const r = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'faultline-txn' AND wait_event_type = 'Lock' AND starts_with(query, $1)`,
        [prefix],
      );
      return r.rows.map((x) => x.pid);
    }

    const trackChildren = (): void => {
      const pm = cluster?.nodes[0]?.pid();
      if (pm === undefined) return;
      ours.pids.add(pm);
      for (const c of childPids(pm)) ours.pids.add(c);
    };

    before(async () => {
      ours.root = env.root;
      cluster = await env.provision({ kind: 'postgres' });
      eps = cluster.nodes.map((n) => ({ node: n.name, endpoint: n.endpoint }));
      ours.ports.add(eps[0]!.endpoint.port);
      proxy = await startProxyServer({ seed: 3 });
      ours.ports.add(proxy.port);
      api = new ProxyApi(proxy.url);
      const { host, port } = eps[0]!.endpoint;
      admin = new pg.Client({ host, port, user: 'postgres', database: 'postgres', application_name: 'txn-pg-test-admin' });
      admin.on('error', () => {});
      await admin.connect();
      locker = new pg.Client({ host, port, user: 'postgres', database: 'postgres', application_name: 'txn-pg-test-locker' });
      locker.on('error', () => {});
      await locker.connect();
      await admin.query(`CREATE OR REPLACE FUNCTION faultline_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$`);
      trackChildren();
    });

    afterEach(async () => {
      trackChildren();
      await Promise.all(opened.map((c) => c.close()));
      opened = [];
    });

    after(async () => {
      await admin?.end().catch(() => {});
      await locker?.end().catch(() => {});
      await proxy?.close();
    });

    describe('round trips', () => {
      it('list-append: appends are read back in order, a missing key reads [], setup clears the table', async () => {
        const f = pgListAppendClient();
        assert.equal(f.name, 'postgres');
        await f.setup!(eps);
        const c = await open(f);
        assert.deepEqual(ok(await timed(c, txn(['append', 1, 10], ['r', 1, null], ['r', 2, null]))), [['append', 1, 10], ['r', 1, [10]], ['r', 2, []]]);
        assert.deepEqual(ok(await timed(c, txn(['append', 1, 11], ['append', 2, 20], ['r', 1, null]))), [['append', 1, 11], ['append', 2, 20], ['r', 1, [10, 11]]]);
        const big = 3 * 1_000_000_000 + 7; // worker 3's values exceed int4
        assert.deepEqual(ok(await timed(c, txn(['append', 1, big], ['r', 1, null]))), [['append', 1, big], ['r', 1, [10, 11, big]]]);
        assert.deepEqual(ok(await timed(c, txn(['r', 2, null]))), [['r', 2, [20]]]);
        await f.setup!(eps);
        assert.deepEqual(ok(await timed(c, txn(['r', 1, null]))), [['r', 1, []]], 'setup dropped and recreated the table');
        await assert.rejects(c.invoke(txn(['w', 1, 5]), never()), /pg list-append client: cannot run op .*\(micro-op 0 is \["w",1,5\]/);
      });

      it('rw-register: writes are read back, a missing key reads null, the last write wins', async () => {
        const f = pgRwRegisterClient({ isolation: 'repeatable-read' });
        await f.setup!(eps);
        const c = await open(f);
        assert.deepEqual(ok(await timed(c, txn(['r', 5, null], ['w', 5, 1], ['r', 5, null]))), [['r', 5, null], ['w', 5, 1], ['r', 5, 1]]);
        assert.deepEqual(ok(await timed(c, txn(['w', 5, 2], ['w', 6, 3]))), [['w', 5, 2], ['w', 6, 3]]);
        assert.deepEqual(ok(await timed(c, txn(['r', 5, null], ['r', 6, null]))), [['r', 5, 2], ['r', 6, 3]]);
      });

      it('bank: serial transfers conserve the total; insufficient funds -> fail, nothing written', async () => {
        const wl = bankWorkload({ accounts: 4, total: 20, readRatio: 0.3, opsPerWorker: 60 });
        const f = pgBankClient({ accounts: wl.options.accounts, total: wl.options.total });
        await f.setup!(eps);
        const c = await open(f);
        assert.deepEqual(ok(await timed(c, { f: 'read', value: null })), { 0: 5, 1: 5, 2: 5, 3: 5 });
        const gen = wl.generator(0, new Rng(5).fork('bank'));
        let transfers = 0;
        let refused = 0;
        for (let op = gen.next(); op !== null; op = gen.next()) {
          const out = await timed(c, op);
          if (op.f === 'read') {
            const balances = ok(out) as Record<string, number>;
            assert.deepEqual(Object.keys(balances), ['0', '1', '2', '3']);
            assert.equal(Object.values(balances).reduce((a, b) => a + b, 0), 20, JSON.stringify(balances));
            assert.ok(Object.values(balances).every((b) => b >= 0));
          } else if (out.type === 'ok') {
            transfers++;
            assert.deepEqual(out.value, op.value);
          } else {
            assert.deepEqual([out.type, out.error], ['fail', INSUFFICIENT_FUNDS]);
            refused++;
          }
        }
        assert.ok(transfers > 10, `transfers ${transfers}, refused ${refused}`);
        const prior = ok(await c.invoke({ f: 'read', value: null }, never())) as Record<string, number>;
        const rich = Number(Object.keys(prior).reduce((a, b) => (prior[b]! > prior[a]! ? b : a)));
        const other = (rich + 1) % 4;
        const out = await timed(c, { f: 'transfer', value: { from: rich, to: other, amount: prior[rich]! + 1 } });
        assert.deepEqual([out.type, out.error], ['fail', INSUFFICIENT_FUNDS]);
        assert.deepEqual(ok(await c.invoke({ f: 'read', value: null }, never())), prior, 'the refused transfer wrote nothing');
        ok(await timed(c, { f: 'transfer', value: { from: rich, to: other, amount: prior[rich]! } }));
        const after = ok(await c.invoke({ f: 'read', value: null }, never())) as Record<string, number>;
        assert.deepEqual([after[rich], after[other]], [0, prior[other]! + prior[rich]!], 'moving exactly the balance is fine');
        await assert.rejects(c.invoke({ f: 'transfer', value: { from: 0, to: 9, amount: 1 } }, never()), /distinct account ids in 0..3/);
      });

      it('set: adds are read back sorted; adding a present element fails before COMMIT (23505)', async () => {
        const f = pgSetClient({ isolation: 'read-committed' });
        await f.setup!(eps);
        const c = await open(f);
        for (const e of [30, 1, 2_000_000_005]) assert.equal(ok(await timed(c, { f: 'add', value: e })), e);
        assert.deepEqual(ok(await timed(c, { f: 'read', value: null })), [1, 30, 2_000_000_005]);
        const dup = await timed(c, { f: 'add', value: 30 });
        assert.equal(dup.type, 'fail', JSON.stringify(dup));
        assert.match(dup.error ?? '', /before COMMIT.*23505/);
        assert.deepEqual(ok(await timed(c, { f: 'read', value: null })), [1, 30, 2_000_000_005], 'the session is usable after a failed statement');
      });
    });

    describe('isolation levels take effect: write skew', () => {
      /**
       * T1 reads key 1 and writes key 2, T2 reads key 2 and writes key 1. An admin session row-locks both keys
       * (FOR UPDATE, no change) so both transactions read, then block on their write; the admin then rolls back and
       * both go on. Returns both outcomes and the final state of the two keys.
       */
      async function writeSkew(
        kind: 'list-append' | 'rw-register',
        isolation: PgIsolation,
      ): Promise<{ outs: OpOutcome[]; final: unknown }> {
        const table = `ws_${kind === 'list-append' ? 'la' : 'rw'}_${isolation.replace('-', '_')}`;
        const f = kind === 'list-append' ? pgListAppendClient({ isolation, table }) : pgRwRegisterClient({ isolation, table });
        const w = kind === 'list-append' ? 'append' : 'w';
        await f.setup!(eps);
        const c0 = await open(f);
        ok(await c0.invoke(txn([w, 1, 1], [w, 2, 2]), never()));
        const [c1, c2] = [await open(f, 5000), await open(f, 5000)];
        await locker.query('BEGIN');
        try {
          await locker.query(`SELECT k FROM ${table} WHERE k IN (1, 2) FOR UPDATE`);
          const p1 = c1.invoke(txn(['r', 1, null], [w, 2, 11]), never());
          const p2 = c2.invoke(txn(['r', 2, null], [w, 1, 12]), never());
          await until(async () => (await lockWaiters(`INSERT INTO ${table} `)).length === 2, 3000, 'both writes blocked on the admin row locks');
          await locker.query('ROLLBACK');
          const outs = await Promise.all([p1, p2]);
          return { outs, final: ok(await c0.invoke(txn(['r', 1, null], ['r', 2, null]), never())) };
        } finally {
          await locker.query('ROLLBACK').catch(() => {});
        }
      }

      it('list-append at repeatable read: both transactions commit (write skew, allowed by snapshot isolation)', async () => {
        const { outs, final } = await writeSkew('list-append', 'repeatable-read');
        assert.deepEqual(outs.map((o) => o.type), ['ok', 'ok'], JSON.stringify(outs));
        assert.deepEqual(outs[0]!.value, [['r', 1, [1]], ['append', 2, 11]], 'T1 did not see T2’s append to 1');
        assert.deepEqual(outs[1]!.value, [['r', 2, [2]], ['append', 1, 12]], 'T2 did not see T1’s append to 2');
        assert.deepEqual(final, [['r', 1, [1, 12]], ['r', 2, [2, 11]]]);
      });

      it('list-append at serializable: one of the two fails with 40001, the other commits', async () => {
        const { outs, final } = await writeSkew('list-append', 'serializable');
        assert.deepEqual(outs.map((o) => o.type).sort(), ['fail', 'ok'], JSON.stringify(outs));
        const failed = outs.find((o) => o.type === 'fail')!;
        assert.match(failed.error ?? '', /40001/);
        const okIdx = outs.findIndex((o) => o.type === 'ok');
        assert.deepEqual(final, okIdx === 0 ? [['r', 1, [1]], ['r', 2, [2, 11]]] : [['r', 1, [1, 12]], ['r', 2, [2]]], 'only the committed append is there');
      });

      it('rw-register at repeatable read: both commit; at serializable: one fails with 40001', async () => {
        const rr = await writeSkew('rw-register', 'repeatable-read');
        assert.deepEqual(rr.outs.map((o) => o.type), ['ok', 'ok'], JSON.stringify(rr.outs));
        assert.deepEqual(rr.outs[0]!.value, [['r', 1, 1], ['w', 2, 11]]);
        assert.deepEqual(rr.final, [['r', 1, 12], ['r', 2, 11]]);
        const ser = await writeSkew('rw-register', 'serializable');
        assert.deepEqual(ser.outs.map((o) => o.type).sort(), ['fail', 'ok'], JSON.stringify(ser.outs));
        assert.match(ser.outs.find((o) => o.type === 'fail')!.error ?? '', /40001/);
      });
    });

    describe('isolation levels take effect: lost update in the bank', () => {
      /** Two transfers out of account 0 read its balance, then block on its row (locked by `locker`) and go on together. */
      async function racingTransfers(isolation: PgIsolation): Promise<{ outs: OpOutcome[]; balances: Record<string, number> }> {
        const table = `lu_bank_${isolation.replace('-', '_')}`;
        const f = pgBankClient({ isolation, table, accounts: 4, total: 20 });
        await f.setup!(eps);
        const [c1, c2] = [await open(f, 5000), await open(f, 5000)];
        await locker.query('BEGIN');
        try {
          await locker.query(`SELECT id FROM ${table} WHERE id = 0 FOR UPDATE`);
          const p1 = c1.invoke({ f: 'transfer', value: { from: 0, to: 1, amount: 1 } }, never());
          const p2 = c2.invoke({ f: 'transfer', value: { from: 0, to: 2, amount: 1 } }, never());
          await until(async () => (await lockWaiters(`UPDATE ${table} `)).length === 2, 3000, 'both updates of account 0 blocked');
          await locker.query('ROLLBACK');
          const outs = await Promise.all([p1, p2]);
          return { outs, balances: ok(await c1.invoke({ f: 'read', value: null }, never())) as Record<string, number> };
        } finally {
          await locker.query('ROLLBACK').catch(() => {});
        }
      }

      it('read committed: both transfers commit and one debit of account 0 is lost (the total drifts to 21)', async () => {
        const { outs, balances } = await racingTransfers('read-committed');
        assert.deepEqual(outs.map((o) => o.type), ['ok', 'ok'], JSON.stringify(outs));
        assert.deepEqual(balances, { 0: 4, 1: 6, 2: 6, 3: 5 });
      });

      it('repeatable read: the second writer of account 0 fails with 40001; the total holds', async () => {
        const { outs, balances } = await racingTransfers('repeatable-read');
        assert.deepEqual(outs.map((o) => o.type).sort(), ['fail', 'ok'], JSON.stringify(outs));
        assert.match(outs.find((o) => o.type === 'fail')!.error ?? '', /40001/);
        assert.equal(Object.values(balances).reduce((a, b) => a + b, 0), 20, JSON.stringify(balances));
        assert.equal(balances[0], 4);
      });
    });

    describe('fail vs info', () => {
      it("a write blocked on a row lock ends by the server's lock/statement timeout before COMMIT -> fail, nothing written", async () => {
        const table = 'fi_lock';
        const f = pgListAppendClient({ table });
        await f.setup!(eps);
        const c = await open(f);
        ok(await c.invoke(txn(['append', 1, 1]), never()));
        await locker.query('BEGIN');
        try {
          await locker.query(`SELECT k FROM ${table} WHERE k = 1 FOR UPDATE`);
          const out = await timed(c, txn(['r', 1, null], ['append', 1, 2]));
          assert.equal(out.type, 'fail', JSON.stringify(out));
          assert.match(out.error ?? '', /before COMMIT.*(55P03|57014)/);
          assert.ok(out.ms >= 400, `the server waited its timeout (half the op timeout): ${out.ms.toFixed(0)} ms`);
        } finally {
          await locker.query('ROLLBACK');
        }
        assert.deepEqual(ok(await c.invoke(txn(['r', 1, null]), never())), [['r', 1, [1]]]);
      });

      it('the abort signal while a statement waits (COMMIT not sent) -> fail at once; the client reconnects', async () => {
        const table = 'fi_abort';
        const f = pgRwRegisterClient({ table });
        await f.setup!(eps);
        const c = await open(f, 4000);
        ok(await c.invoke(txn(['w', 1, 1]), never()));
        await locker.query('BEGIN');
        try {
          await locker.query(`SELECT k FROM ${table} WHERE k = 1 FOR UPDATE`);
          const ac = new AbortController();
          const p = c.invoke(txn(['w', 1, 2]), ac.signal);
          await until(async () => (await lockWaiters(`INSERT INTO ${table} `)).length === 1, 2000, 'the write waits');
          const t0 = performance.now();
          ac.abort();
          const out = await p;
          assert.ok(performance.now() - t0 < 200, 'answered the abort at once');
          assert.equal(out.type, 'fail', JSON.stringify(out));
          assert.match(out.error ?? '', /before COMMIT: abort/);
        } finally {
          await locker.query('ROLLBACK');
        }
        const pre = new AbortController();
        pre.abort();
        assert.deepEqual(await c.invoke(txn(['w', 1, 3]), pre.signal), { type: 'fail', error: 'aborted before sending', node: 'n1' });
        assert.deepEqual(ok(await c.invoke(txn(['r', 1, null]), never())), [['r', 1, 1]], 'the aborted write never committed');
      });

      it('a paused server: the txn comes back as fail within the op timeout (COMMIT never sent); then the client recovers', async () => {
        const f = pgListAppendClient({ table: 'fi_pause' });
        await f.setup!(eps);
        const c = await open(f);
        ok(await c.invoke(txn(['append', 1, 1]), never()));
        const node = cluster.nodes[0]!;
        await node.pause();
        let out: OpOutcome & { ms: number };
        try {
          out = await timed(c, txn(['append', 1, 2], ['r', 1, null]));
        } finally {
          await node.resume();
        }
        assert.equal(out.type, 'fail', JSON.stringify(out));
        assert.match(out.error ?? '', /before COMMIT: timeout/);
        assert.deepEqual(ok(await timed(c, txn(['r', 1, null]))), [['r', 1, [1]]]);
      });

      /**
       * A deferred constraint trigger that takes advisory lock 4242 at COMMIT: while the admin holds it, the client's
       * COMMIT is in flight and blocked, so a fault can hit exactly then.
       */
      async function gatedCommit(table: string, opTimeoutMs: number, endpoints: Endpoints = eps): Promise<{ client: Client; pending: (signal?: AbortSignal) => Promise<OpOutcome>; pid: () => Promise<number> }> {
        const f = pgListAppendClient({ table });
        await f.setup!(eps);
        await admin.query(`CREATE CONSTRAINT TRIGGER gate AFTER INSERT OR UPDATE ON ${table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION faultline_test_gate()`);
        const client = await open(f, opTimeoutMs, endpoints);
        return {
          client,
          pending: (signal = never()) => client.invoke(txn(['append', 1, 100], ['r', 1, null]), signal),
          pid: async () => {
            let pids: number[] = [];
            await until(async () => (pids = await lockWaiters('COMMIT')).length === 1, 2000, 'COMMIT blocked in the deferred trigger');
            return pids[0]!;
          },
        };
      }

      it('the backend terminated while COMMIT is in flight -> info; the client is not used again', async () => {
        await admin.query('SELECT pg_advisory_lock(4242)');
        try {
          const g = await gatedCommit('fi_kill', 4000);
          const p = g.pending();
          const pid = await g.pid();
          await admin.query('SELECT pg_terminate_backend($1)', [pid]);
          const out = await p;
          assert.equal(out.type, 'info', JSON.stringify(out));
          assert.match(out.error ?? '', /^COMMIT: /);
          const next = await g.client.invoke(txn(['r', 1, null]), never());
          assert.equal(next.type, 'fail');
          assert.match(next.error ?? '', /unusable after an unknown outcome/);
        } finally {
          await admin.query('SELECT pg_advisory_unlock(4242)');
        }
      });

      it('the connection cut by the proxy while COMMIT is in flight -> info', async () => {
        const [link] = await createClientLinks(api, 1, cluster.nodes, 'txn-pg-cut-');
        ours.ports.add(link!.listen.port);
        await admin.query('SELECT pg_advisory_lock(4242)');
        try {
          const g = await gatedCommit('fi_cut', 4000, [{ node: link!.node, endpoint: link!.listen }]);
          const p = g.pending();
          await g.pid();
          await api.updateProxy(link!.name, { enabled: false });
          const out = await p;
          assert.equal(out.type, 'info', JSON.stringify(out));
          assert.match(out.error ?? '', /^COMMIT: /);
        } finally {
          await admin.query('SELECT pg_advisory_unlock(4242)');
          await api.deleteProxy(link!.name).catch(() => {});
        }
      });

      it('the abort signal while COMMIT is in flight -> info (it may still commit, and here it does)', async () => {
        await admin.query('SELECT pg_advisory_lock(4242)');
        const ac = new AbortController();
        let g: Awaited<ReturnType<typeof gatedCommit>>;
        try {
          g = await gatedCommit('fi_abort_commit', 4000);
          const p = g.pending(ac.signal);
          await g.pid();
          ac.abort();
          const out = await p;
          assert.equal(out.type, 'info', JSON.stringify(out));
          assert.match(out.error ?? '', /^COMMIT: abort/);
        } finally {
          await admin.query('SELECT pg_advisory_unlock(4242)');
        }
        // The abandoned backend still gets the lock and commits: `fail` would have been a lie.
        const reader = await open(pgListAppendClient({ table: 'fi_abort_commit' }));
        await until(async () => JSON.stringify(ok(await reader.invoke(txn(['r', 1, null]), never()))) === JSON.stringify([['r', 1, [100]]]), 3000, 'the append committed after all');
      });
    });

    describe('concurrent bursts through the generators', () => {
      /** Workers run their generators concurrently, one op in flight each, reopening the client after `info`. */
      async function burst(workload: Workload<unknown>, factory: ClientFactory, workers: number): Promise<{ op: OpRequest; out: OpOutcome }[]> {
        const log: { op: OpRequest; out: OpOutcome }[] = [];
        await Promise.all(
          Array.from({ length: workers }, async (_, w) => {
            const gen = workload.generator(w, new Rng(77).fork(`generator-${w}`));
            let client = await open(factory, 2000);
            for (let op = gen.next(); op !== null; op = gen.next()) {
              const out = await client.invoke(op, never());
              log.push({ op, out });
              if (out.type === 'info') client = await open(factory, 2000);
            }
          }),
        );
        return log;
      }

      it('list-append at serializable: reads of a key are prefixes of one order, failed appends are never seen, ok appends persist', async () => {
        const wl = listAppendWorkload({ keyCount: 3, maxWritesPerKey: 30, opsPerWorker: 40 });
        const f = pgListAppendClient({ table: 'burst_la' });
        await f.setup!(eps);
        const log = await burst(wl, f, 4);
        const counts = { ok: 0, fail: 0, info: 0 };
        const codes: Record<string, number> = {};
        for (const { out } of log) {
          counts[out.type]++;
          const code = /SQLSTATE (\w+)/.exec(out.error ?? '')?.[1];
          if (code) codes[code] = (codes[code] ?? 0) + 1;
        }
        console.log(`      ${JSON.stringify(counts)} ${JSON.stringify(codes)}`);
        assert.equal(counts.info, 0, 'no faults, no unknown outcomes');
        assert.ok(counts.ok > 80, JSON.stringify(counts));
        // Under contention a txn fails on a serialization failure / deadlock, or waits out the server's timeouts.
        for (const { out } of log) if (out.type === 'fail') assert.match(out.error ?? '', /SQLSTATE (40001|40P01|55P03|57014)\]/);
        const appendedBy = new Map<number, 'ok' | 'fail'>();
        for (const { op, out } of log) for (const [f2, , v] of op.value as Mop[]) if (f2 === 'append') appendedBy.set(v as number, out.type as 'ok' | 'fail');
        const reads = new Map<number, number[][]>();
        for (const { out } of log) {
          if (out.type !== 'ok') continue;
          for (const [f2, k, v] of out.value as Mop[]) if (f2 === 'r') reads.set(k, [...(reads.get(k) ?? []), v as number[]]);
        }
        const keys = [...new Set(log.flatMap(({ op }) => (op.value as Mop[]).map((m) => m[1])))];
        const final = ok(await (await open(f)).invoke(txn(...keys.map((k): Mop => ['r', k, null])), never())) as Mop[];
        for (const [, k, v] of final) reads.set(k, [...(reads.get(k) ?? []), v as number[]]);
        for (const [k, rs] of reads) {
          const longest = rs.reduce((a, b) => (b.length > a.length ? b : a));
          assert.equal(new Set(longest).size, longest.length, `key ${k}: duplicate elements`);
          for (const r of rs) assert.deepEqual(r, longest.slice(0, r.length), `key ${k}: ${JSON.stringify(r)} is not a prefix of ${JSON.stringify(longest)}`);
          for (const e of longest) assert.equal(appendedBy.get(e), 'ok', `key ${k}: element ${e} was appended by a txn that ended ${appendedBy.get(e)}`);
        }
        const finalByKey = new Map(final.map(([, k, v]) => [k, new Set(v as number[])]));
        for (const { op, out } of log) {
          if (out.type !== 'ok') continue;
          for (const [f2, k, v] of op.value as Mop[]) if (f2 === 'append') assert.ok(finalByKey.get(k)?.has(v as number), `ok append of ${v} to ${k} is in the final read`);
        }
      });

      for (const isolation of ['repeatable-read', 'serializable'] as const) {
        it(`bank at ${isolation}: every read sums to the total, no negative balance`, async () => {
          const wl = bankWorkload({ accounts: 5, total: 50, opsPerWorker: 40 });
          const f = pgBankClient({ isolation, table: `burst_bank_${isolation.replace('-', '_')}`, accounts: 5, total: 50 });
          await f.setup!(eps);
          const log = await burst(wl, f, 4);
          const codes: Record<string, number> = {};
          for (const { out } of log) {
            const code = out.type === 'fail' ? (/SQLSTATE (\w+)/.exec(out.error ?? '')?.[1] ?? out.error ?? '') : undefined;
            if (code !== undefined) codes[code] = (codes[code] ?? 0) + 1;
          }
          console.log(`      fails: ${JSON.stringify(codes)}`);
          const reads = log.filter(({ op, out }) => op.f === 'read' && out.type === 'ok').map(({ out }) => out.value as Record<string, number>);
          const transfers = log.filter(({ op, out }) => op.f === 'transfer' && out.type === 'ok').length;
          assert.ok(reads.length > 20 && transfers > 10, `reads ${reads.length}, transfers ${transfers}`);
          assert.equal(log.filter(({ out }) => out.type === 'info').length, 0);
          for (const r of reads) {
            assert.equal(Object.values(r).reduce((a, b) => a + b, 0), 50, JSON.stringify(r));
            assert.ok(Object.values(r).every((b) => b >= 0), JSON.stringify(r));
          }
        });
      }
    });
  });
});

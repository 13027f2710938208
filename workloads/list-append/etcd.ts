/**
 * List-append client for etcd, as an optimistic transaction: each list is one etcd value (a JSON array) under
 * `<prefix>/la/<k>`.
 * 1. Read every key the txn touches in one read-only etcd Txn (a multi-get: one revision, one snapshot), noting
 *    each key's mod_revision (0 when absent).
 * 2. Apply the micro-ops to that snapshot in order (a read sees the txn's own earlier appends).
 * 3. Commit with one Txn: `mod_revision == seen` for every key touched, `put` for every appended key. Reads are
 *    answered from the snapshot, which the compares prove was still current at commit time. A read-only txn
 *    stops after step 1.
 *
 * Outcome rules (txn-anomalies.md §1): any failure in step 1 -> fail (nothing written); compare false -> fail
 * `conflict`; the commit provably never sent (no connection, client closed) -> fail; sent but unanswered -> info.
 * Every call is tried exactly once (the run-once policy of ../register/etcd-client.ts: etcd3 never retries a Txn).
 *
 * Also home of the snapshot-read / compare-and-commit helpers shared with ../bank/etcd.ts.
 */
import { Etcd3 } from 'etcd3';
import { clearEtcdPrefix, etcdNotSent, ONCE } from '../register/etcd-client.js';
import { message, settle, type Settled } from '../settle.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { DEFAULT_TXN_PREFIX, parseListAppendTxn, type ListAppendMop } from './redis.js';

/** Where the lists live. */
export interface EtcdListAppendOptions {
  /** Keys are `<prefix>/la/<k>` (default `faultline`); `setup` deletes every key under `<prefix>/la/`. */
  prefix?: string;
  /** Awaited between the snapshot read and the commit: lets tests force an interleaving (e.g. a conflict). */
  afterRead?: (op: OpRequest) => Promise<void>;
}

/** One key as a snapshot saw it: its value (null when absent) and mod_revision ('0' when absent). */
export interface SeenKey {
  value: string | null;
  mod: string;
}

/** An etcd client for one worker: every member as a host, every call tried once, quick reconnects. */
export function openTxnEtcd(endpoints: ClientContext['endpoints'], who: string): Etcd3 {
  if (endpoints.length === 0) throw new Error(`${who}: no endpoints to connect to`);
  return new Etcd3({
    hosts: endpoints.map(({ endpoint }) => `http://${endpoint.host}:${endpoint.port}`),
    faultHandling: { host: () => ONCE, global: ONCE },
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 500 },
  });
}

/**
 * Reads `keys` in one read-only Txn (linearizable, one revision) -> key -> what it held. `deadline` is an absolute
 * `Date.now()` time passed to gRPC.
 */
export async function readSnapshot(etcd: Etcd3, keys: readonly string[], deadline: number): Promise<Map<string, SeenKey>> {
  const unique = [...new Set(keys)];
  const res = await etcd.kv.txn({ compare: [], success: unique.map((k) => ({ request_range: { key: Buffer.from(k) } })), failure: [] }, { deadline });
  const seen = new Map<string, SeenKey>();
  unique.forEach((k, i) => {
    const kv = res.responses[i]?.response_range?.kvs?.[0];
    seen.set(k, kv ? { value: kv.value.toString(), mod: String(kv.mod_revision) } : { value: null, mod: '0' });
  });
  return seen;
}

/**
 * One Txn: if every key in `seen` still has the mod_revision it was read at, put every entry of `puts`.
 * Resolves true when it committed, false when a compare failed (nothing written).
 */
export async function commitIfUnchanged(etcd: Etcd3, seen: ReadonlyMap<string, SeenKey>, puts: ReadonlyMap<string, string>, deadline: number): Promise<boolean> {
  const compare = [...seen].map(([k, s]) => ({ key: Buffer.from(k), target: 'Mod' as const, result: 'Equal' as const, mod_revision: s.mod }));
  const success = [...puts].map(([k, v]) => ({ request_put: { key: Buffer.from(k), value: Buffer.from(v) } }));
  const res = await etcd.kv.txn({ compare, success, failure: [] }, { deadline });
  return res.succeeded;
}

/** Runs one etcd call under `ms` and the signal, turning a synchronous throw into a rejection. */
export function bounded<T>(call: () => Promise<T>, signal: AbortSignal, ms: number): Promise<Settled<T>> {
  let p: Promise<T>;
  try {
    p = call();
  } catch (e) {
    p = Promise.reject(e);
  }
  // A little slack past the gRPC deadline so its own, more informative error usually wins.
  return settle(p, signal, Math.max(1, ms) + 20);
}

/** The outcome of a commit Txn that did not complete: fail only when it provably never left this process. */
export function commitFailure(r: Settled<unknown> & { ok: false }): OpOutcome {
  const text = `${r.cause}: ${message(r.error)}`;
  // Rule: never sent (client closed, no connection established, deadline while waiting for one) -> fail.
  if (r.cause === 'error' && etcdNotSent(r.error)) return { type: 'fail', error: text };
  // Rule: anything else -> info: the Txn may have been proposed to Raft and applied.
  return { type: 'info', error: text };
}

/** Parses a stored list (a JSON array of positive integers); undefined when it is anything else. */
export function parseStoredList(text: string): number[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Array.isArray(v) && v.every((e) => typeof e === 'number' && Number.isSafeInteger(e) && e > 0) ? (v as number[]) : undefined;
}

class EtcdListAppendClient implements Client {
  private static readonly WHO = 'list-append client (etcd)';

  constructor(
    private readonly etcd: Etcd3,
    private readonly keyPrefix: string,
    private readonly timeoutMs: number,
    private readonly afterRead: ((op: OpRequest) => Promise<void>) | undefined,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (op.f !== 'txn') throw new Error(`${EtcdListAppendClient.WHO}: unknown f ${JSON.stringify(op.f)}; expected txn`);
    const mops = parseListAppendTxn(op.value, EtcdListAppendClient.WHO);
    // Rule: aborted before anything was sent -> fail.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (mops.length === 0) return { type: 'ok', value: [] };
    const deadline = Date.now() + this.timeoutMs;
    const key = (k: number): string => this.keyPrefix + k;

    const r = await bounded(() => readSnapshot(this.etcd, mops.map((m) => key(m[1])), deadline), signal, deadline - Date.now());
    // Rule: the read phase wrote nothing -> fail, whatever went wrong.
    if (!r.ok) return { type: 'fail', error: `read: ${r.cause}: ${message(r.error)}` };
    const lists = new Map<number, number[]>();
    for (const m of mops) {
      if (lists.has(m[1])) continue;
      const { value } = r.value.get(key(m[1]))!;
      const list = value === null ? [] : parseStoredList(value);
      if (!list) return { type: 'fail', error: `read: ${key(m[1])} holds ${JSON.stringify(value)}, not a JSON array of positive integers` };
      lists.set(m[1], list);
    }
    const out = mops.map((m): ListAppendMop => {
      const list = lists.get(m[1])!;
      if (m[0] === 'append') {
        list.push(m[2]);
        return m;
      }
      return ['r', m[1], [...list]];
    });
    const appended = new Set(mops.filter((m) => m[0] === 'append').map((m) => m[1]));
    // A read-only txn: all reads came from one revision -> ok.
    if (appended.size === 0) return { type: 'ok', value: out };

    await this.afterRead?.(op);
    if (signal.aborted) return { type: 'fail', error: 'aborted before the commit was sent' };
    if (Date.now() >= deadline) return { type: 'fail', error: `no time left to commit (op timeout ${this.timeoutMs} ms)` };
    const puts = new Map([...appended].map((k) => [key(k), JSON.stringify(lists.get(k))]));
    const c = await bounded(() => commitIfUnchanged(this.etcd, r.value, puts, deadline), signal, deadline - Date.now());
    if (!c.ok) return commitFailure(c);
    // Rule: a compare failed -> some key changed since the snapshot; etcd ran no put -> fail conflict.
    return c.value ? { type: 'ok', value: out } : { type: 'fail', error: 'conflict' };
  }

  async close(): Promise<void> {
    try {
      this.etcd.close();
    } catch {
      // close never throws
    }
  }
}

/** List-append over etcd, one optimistic Txn per txn; one gRPC client per worker, reused until an `info`. */
export function etcdListAppendClient(opts: EtcdListAppendOptions = {}): ClientFactory {
  const keyPrefix = `${opts.prefix ?? DEFAULT_TXN_PREFIX}/la/`;
  return {
    name: 'etcd',
    async open(ctx: ClientContext): Promise<Client> {
      // Connecting is lazy (on the first call), so opening never blocks on an unreachable cluster.
      return new EtcdListAppendClient(openTxnEtcd(ctx.endpoints, 'list-append client (etcd)'), keyPrefix, ctx.opTimeoutMs, opts.afterRead);
    },
    async setup(endpoints): Promise<void> {
      await clearEtcdPrefix(openTxnEtcd(endpoints, 'etcd list-append setup'), keyPrefix, 'etcd list-append setup');
    },
  };
}

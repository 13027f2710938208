/**
 * etcd lock (lock-safety.md §7): a lease-backed try-lock, the recipe of etcd3's `client.lock(key)` (grant a lease,
 * then a txn `create_revision(key) == 0 -> put(key, lease)`; no waiting queue), with the lock key's create_revision
 * as the fencing token. It is a lease lock: a holder paused longer than the TTL is still a holder in its own eyes,
 * which `lost()` and the token exist to catch.
 *
 * Why not `client.lock()` itself (read in etcd3 1.1.2): its Lease is private, keeps itself alive with no deadline
 * and exposes no lost signal; its grant has no deadline either, so a late grant still runs the txn after we gave
 * up; and its release (`Lease.revoke`) swallows "lease not found", so "already gone" cannot be told from "released".
 * So the same recipe is run here with `client.lease(ttl)` directly, which gives us:
 * - deadlines on every call (grant, txn, keep-alive, revoke), each tried exactly once (no cockatiel retries);
 * - the txn also reads the key back (`get` in both branches), so the token is the create_revision of a key that
 *   carries OUR lease id, checked atomically in the same round trip;
 * - our own keep-alive loop (`keepaliveOnce` every TTL/3, bounded): we know when each confirmed renewal was sent,
 *   so `lost()` turns true as soon as the lease may have expired (no renewal confirmed within one TTL), not only
 *   when etcd3's `lost` fires (which takes 2 x TTL after a partition, etcd3#57);
 * - release by `leaseRevoke` on the raw Lease client, which reports "requested lease not found" -> wasHeld false.
 *
 * TTL: seconds = max(1, ceil(ttlMs / 1000)). etcd raises TTLs below its minimum (1.5 x election timeout, i.e. 2 s
 * with the default 1000 ms election timeout), never lowers them: the requested TTL is a safe lower bound for our
 * own validity window, and keep-alive answers tell us the TTL actually granted.
 */
import { ClientClosedError, Etcd3, EtcdLeaseInvalidError, type Lease } from 'etcd3';
import type { Endpoint } from '../../harness/backends/types.js';
import { clearEtcdPrefix, etcdNotSent, ONCE } from '../register/etcd-client.js';
import { message, settle, type Settled } from '../settle.js';
import type { ClientContext, OpOutcome } from '../types.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

export interface EtcdLockOptions {
  /** Prepended to the lock name to form the lock key; `setup` deletes every key under it. */
  keyPrefix?: string;
}

export const DEFAULT_ETCD_LOCK_PREFIX = 'faultline/lock/';

/** A signal that never aborts, for etcd3 calls whose deadline we enforce ourselves. */
const NEVER = new AbortController().signal;


function etcdClient(endpoints: readonly { endpoint: Endpoint }[]): Etcd3 {
  if (endpoints.length === 0) throw new Error('etcd lock: no endpoints to connect to');
  return new Etcd3({
    hosts: endpoints.map(({ endpoint }) => `http://${endpoint.host}:${endpoint.port}`),
    faultHandling: { host: () => ONCE, global: ONCE },
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 500 },
  });
}

/** Runs one etcd3 call under `ms` and the signal, turning a synchronous throw into a rejection. */
function bounded<T>(call: () => Promise<T>, signal: AbortSignal, ms: number): Promise<Settled<T>> {
  let p: Promise<T>;
  try {
    p = call();
  } catch (e) {
    p = Promise.reject(e);
  }
  // A little slack past the gRPC deadline so its own, more informative error usually wins.
  return settle(p, signal, Math.max(1, ms) + 20);
}

const why = (r: Settled<unknown> & { ok: false }): string => `${r.cause}: ${message(r.error)}`;

/** One grant this session was told about. */
interface Held {
  key: string;
  leaseId: string;
  lease: Lease;
  token: number;
  /** Requested TTL in ms until a keep-alive answer tells us the granted one. */
  ttlMs: number;
  /** performance.now() before which the lease is certainly alive: send time of the last confirmed grant/renewal + TTL. */
  aliveUntil: number;
  /** Set once etcd said the lease is gone (keep-alive answered TTL 0, or etcd3 emitted `lost`). */
  gone?: string;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

class EtcdLockSession implements LockSession {
  private readonly held = new Map<string, Held>();
  /** Best-effort revokes still in flight; close() waits for them (bounded). */
  private readonly cleanups = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly etcd: Etcd3,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly ttlSeconds: number,
  ) {}

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    // Rule: aborted, closed or already ours -> fail without sending anything.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (this.closed) return { type: 'fail', error: 'session closed' };
    if (this.held.has(lock)) return { type: 'fail', error: 'already held by this session' };
    const key = this.prefix + lock;
    const t0 = performance.now();
    const deadline = Date.now() + this.timeoutMs;
    const left = () => this.timeoutMs - (performance.now() - t0);
    let lease: Lease;
    try {
      // No automatic keep-alive: a lease that never carries our key must not be kept alive; ours is renewed below.
      lease = this.etcd.lease(this.ttlSeconds, { autoKeepAlive: false, deadline });
    } catch (e) {
      return { type: 'fail', error: `lease: ${message(e)}` };
    }
    let gone: string | undefined;
    // etcd3 emits `lost` when the grant fails or etcd says the lease is gone; always listened to.
    lease.on('lost', (e: unknown) => {
      gone ??= `lease lost: ${message(e)}`;
      const h = this.held.get(lock);
      if (h && h.lease === lease) h.gone ??= gone;
    });

    const g = await settle(lease.grant(), signal, left() + 20);
    if (!g.ok) {
      // Rule: the grant failed or timed out -> fail. The txn was never sent, so no key carries this lease; a lease
      // granted after all is revoked best-effort and otherwise expires after its TTL (nothing keeps it alive).
      this.revokeLater(lease);
      return { type: 'fail', error: `lease grant: ${why(g)}` };
    }
    const leaseId = g.value;
    const r = await bounded(
      () =>
        this.etcd
          .if(key, 'Create', '==', 0)
          .then(this.etcd.put(key).value('').lease(leaseId), this.etcd.get(key))
          .else(this.etcd.get(key))
          .options({ deadline })
          .commit(),
      signal,
      left(),
    );
    if (!r.ok) {
      // Rule: etcd refused the put because the lease is gone ("requested lease not found") -> fail: a txn is
      // checked before it is applied, so nothing was written.
      if (r.cause === 'error' && r.error instanceof EtcdLeaseInvalidError) return { type: 'fail', error: `txn: ${why(r)}` };
      this.revokeLater(lease);
      // Rule: provably never sent (no connection, client closed) -> fail; the lease is revoked best-effort.
      if (r.cause === 'error' && etcdNotSent(r.error)) return { type: 'fail', error: `txn: ${why(r)}` };
      // Rule: anything else (deadline, connection dropped, leader change, our timer, abort after sending) -> info:
      // the txn may have committed and created the key under our lease. The lease is revoked best-effort, and it
      // is never kept alive, so such a key disappears within one TTL at most (lock-safety.md §7).
      return { type: 'info', error: `txn: ${why(r)}` };
    }
    const range = (i: number) => r.value.responses[i]?.response_range?.kvs?.[0];
    if (!r.value.succeeded) {
      // Rule: the key exists (someone holds the lock) -> fail, what etcd3's Lock reports as EtcdLockFailedError.
      // Our lease carries nothing; revoked best-effort (it expires anyway).
      this.revokeLater(lease);
      const kv = range(0);
      return { type: 'fail', error: `held${kv ? ` (lease ${kv.lease}, create_revision ${kv.create_revision})` : ''}` };
    }
    const kv = range(1);
    if (!kv || kv.lease !== leaseId) {
      // Rule: our put committed but the read-back does not show our lease (cannot happen in one txn) -> info.
      this.revokeLater(lease);
      return { type: 'info', error: `key written but read back ${kv ? `with lease ${kv.lease}` : 'absent'}; lease ${leaseId}` };
    }
    // Rule: the put committed and the key carries our lease -> ok; its create_revision is the fencing token.
    const h: Held = {
      key,
      leaseId,
      lease,
      token: Number(kv.create_revision),
      ttlMs: this.ttlSeconds * 1000,
      // The lease lives at least TTL from when the grant was sent, i.e. before t0 + TTL at the earliest.
      aliveUntil: t0 + this.ttlSeconds * 1000,
      stopped: false,
      ...(gone ? { gone } : {}),
    };
    this.held.set(lock, h);
    this.scheduleKeepAlive(h);
    return { type: 'ok', value: { token: h.token } };
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const h = this.held.get(lock);
    // Rule: no grant is recorded -> ok, wasHeld false: this session holds no key for this lock.
    if (!h) return { type: 'ok', value: { wasHeld: false } };
    // Rule: aborted or closed before sending -> fail (still ours until the lease expires).
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (this.closed) return { type: 'fail', error: 'session closed' };
    const r = await bounded(() => this.etcd.leaseClient.leaseRevoke({ ID: h.leaseId }, { deadline: Date.now() + this.timeoutMs }), signal, this.timeoutMs);
    if (r.ok) {
      // Rule: revoked -> ok: etcd deleted every key attached to the lease, our lock key included.
      this.forget(lock, h);
      return { type: 'ok', value: { wasHeld: true } };
    }
    if (r.cause === 'error' && r.error instanceof EtcdLeaseInvalidError) {
      // Rule: "requested lease not found" -> ok, wasHeld false: the lease expired or was revoked, and its key with it.
      this.forget(lock, h);
      return { type: 'ok', value: { wasHeld: false } };
    }
    // Rule: provably never sent -> fail; we keep renewing, the lock is still ours.
    if (r.cause === 'error' && etcdNotSent(r.error)) return { type: 'fail', error: `revoke: ${why(r)}` };
    // Rule: anything else -> info. We stop renewing, so the lease expires within one TTL if the revoke was lost.
    this.forget(lock, h);
    return { type: 'info', error: `revoke: ${why(r)}` };
  }

  lost(lock: string): string | undefined {
    const h = this.held.get(lock);
    if (!h) return 'not held by this session';
    if (h.gone) return h.gone;
    const now = performance.now();
    // The lease may already have expired on the server: no renewal was confirmed within one TTL of being sent.
    if (now >= h.aliveUntil) return `no keep-alive confirmed within the lease TTL (${h.ttlMs} ms): the lease may have expired`;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.held.values()) this.stopKeepAlive(h);
    this.held.clear();
    try {
      // Let best-effort revokes finish, but never wait longer than one op.
      if (this.cleanups.size > 0) await settle(Promise.allSettled([...this.cleanups]), NEVER, this.timeoutMs + 50);
    } catch {
      // close never throws
    }
    try {
      this.etcd.close();
    } catch {
      // close never throws
    }
  }

  /** Renews `h` every TTL/3 with one bounded keepaliveOnce; each confirmed answer moves `aliveUntil`. */
  private scheduleKeepAlive(h: Held): void {
    if (h.stopped || this.closed) return;
    const every = Math.max(50, Math.floor(h.ttlMs / 3));
    h.timer = setTimeout(() => {
      void this.keepAliveOnce(h, every).finally(() => this.scheduleKeepAlive(h));
    }, every);
  }

  private async keepAliveOnce(h: Held, budgetMs: number): Promise<void> {
    if (h.stopped || this.closed) return;
    const sent = performance.now();
    const r = await bounded(() => h.lease.keepaliveOnce({ deadline: Date.now() + budgetMs }), NEVER, budgetMs);
    if (h.stopped) return;
    if (r.ok) {
      const ttl = Number(r.value.TTL);
      if (ttl > 0) {
        h.ttlMs = ttl * 1000;
        h.aliveUntil = Math.max(h.aliveUntil, sent + h.ttlMs);
      }
      return;
    }
    // etcd answered TTL 0 (keepaliveOnce throws EtcdLeaseInvalidError and emits `lost`): the lease is gone.
    if (r.cause === 'error' && r.error instanceof EtcdLeaseInvalidError) h.gone ??= `lease ${h.leaseId} expired or revoked`;
    if (r.cause === 'error' && r.error instanceof ClientClosedError) this.stopKeepAlive(h);
    // Other errors: try again at the next tick; `aliveUntil` stays where the last confirmed renewal put it.
  }

  private stopKeepAlive(h: Held): void {
    h.stopped = true;
    if (h.timer) clearTimeout(h.timer);
    h.timer = undefined;
    try {
      h.lease.release(); // stops etcd3's own timers (none run with autoKeepAlive false); sends nothing
    } catch {
      // ignore
    }
  }

  private forget(lock: string, h: Held): void {
    this.stopKeepAlive(h);
    if (this.held.get(lock) === h) this.held.delete(lock);
  }

  /** Revokes `lease` in the background (bounded); close() waits for it. Errors are ignored: it expires anyway. */
  private revokeLater(lease: Lease): void {
    const p = settle(lease.revoke({ deadline: Date.now() + this.timeoutMs }), NEVER, this.timeoutMs + 20);
    this.cleanups.add(p);
    void p.finally(() => this.cleanups.delete(p));
  }
}

/** etcd try-lock on a lease, token = the lock key's create_revision. Connects to every endpoint given. */
export function etcdLock(opts: EtcdLockOptions = {}): LockBackend {
  const prefix = opts.keyPrefix ?? DEFAULT_ETCD_LOCK_PREFIX;
  return {
    name: 'etcd',
    async open(ctx: LockContext): Promise<LockSession> {
      // Connecting is lazy (first call), so opening never blocks on an unreachable cluster.
      const ttlSeconds = Math.max(1, Math.ceil(ctx.ttlMs / 1000));
      return new EtcdLockSession(etcdClient(ctx.endpoints), prefix, ctx.opTimeoutMs, ttlSeconds);
    },
    async setup(endpoints: ClientContext['endpoints']): Promise<void> {
      await clearEtcdPrefix(etcdClient(endpoints), prefix, 'etcd lock setup');
    },
  };
}

/**
 * ZooKeeper lock (lock-safety.md §8): the ephemeral-sequential recipe over node-zookeeper-client 1.1.3, wrapped in
 * bounded promises. Create `<root>/<lock>/_c_<guid>-<n>-lock-NNNNNNNNNN` (EPHEMERAL_SEQUENTIAL; the GUID makes it
 * a Curator-style "protected" name, so after a connection loss on create we can find our node: ZOOKEEPER-1262),
 * list the children, the lowest sequence holds the lock; otherwise watch only the next-lower node (no herd) and
 * re-check when it changes. The node dies with the session, so this is a lease lock whose lease is the session.
 *
 * Fencing token: the sequence number of our node. It is the parent's cversion at create time, so it grows with
 * every create under that lock node, and grants go in sequence order (a newcomer always queues behind every
 * existing node), hence tokens strictly increase across grants. It restarts when the lock node is deleted, which
 * only `setup` does. (czxid would also do, but costs another round trip; the sequence is in the create reply.)
 *
 * Session timeout: `sessionTimeoutMs`, default the workload's `ttlMs` (the session is the lease, so a client
 * paused or cut off for longer than the TTL loses the lock, as with the other lease locks). The server clamps it to
 * [minSessionTimeout, maxSessionTimeout] (default [2, 20] x tickTime; our provisioner allows up to 60 s); the
 * negotiated value is read back from the client after connecting and used for `lost()`.
 *
 * What node-zookeeper-client does that matters here (read in 1.1.3):
 * - it queues requests made while disconnected and sends them after a reconnect (an offline queue), so a request
 *   that matters (create, delete) is only issued while connected; otherwise it is "not sent".
 * - requests written to a connection that drops fail with CONNECTION_LOSS (they may have been applied).
 * - it has no read timeout: it pings after sessionTimeout/3 of idleness but never notices that no answer comes, so a
 *   paused server or a black-holed link leaves it "connected" forever (and a handshake with a paused server never
 *   ends: the connect timer is cleared once TCP connects). Hence our own heartbeat and read timeout (below).
 * - it learns of session expiry only when it reconnects (state EXPIRED); then the client is dead for good, and a
 *   new one (a new session) is made for the next acquire.
 * - close() sends CLOSE_SESSION and waits for the server to hang up: against a paused server it never finishes and
 *   keeps reconnecting; ours waits a bounded time, then destroys the socket and disables reconnects.
 * - an error code newer than ZooKeeper 3.4 (e.g. THROTTLED_OP) makes it throw from its socket handler.
 *
 * `lost(lock)` (Curator's SUSPENDED -> LOST, made conservative): true once the session expired, our node was
 * deleted, the client has been disconnected for longer than the negotiated session timeout, or no request
 * (heartbeat `exists` every timeout/3) has been answered for a session timeout counted from when it was sent:
 * from then on the server may have expired the session and handed the lock to the next waiter.
 */
import { randomUUID } from 'node:crypto';
import zookeeper, { type Client, type Event as ZkEvent, type Stat, type State as ZkState } from 'node-zookeeper-client';
import { message, settle, type Settled } from '../settle.js';
import type { ClientContext, OpOutcome } from '../types.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

const { createClient, CreateMode, Exception, State } = zookeeper;

export interface ZookeeperLockOptions {
  /** Parent of every lock node (default `/faultline-locks`); `setup` deletes everything under it. */
  root?: string;
  /** Requested session timeout, ms (default: the workload's ttlMs); the server clamps it. */
  sessionTimeoutMs?: number;
}

export const DEFAULT_ZK_LOCK_ROOT = '/faultline-locks';

const NEVER = new AbortController().signal;
const SEQ = /(\d{10})$/;

/** The ZooKeeper error code of a client error, if it is one. */
function zkCode(e: unknown): number | undefined {
  const g = (e as { getCode?: unknown } | null | undefined)?.getCode;
  return typeof g === 'function' ? (g.call(e) as number) : undefined;
}

const why = (r: Settled<unknown> & { ok: false }): string => `${r.cause}: ${message(r.error)}`;

/** Resolves after `ms`, on abort, or when `wake` is called by a registration (a watch, a state change). */
function pause(ms: number, signal: AbortSignal, register: (wake: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    let unregister = (): void => {};
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      unregister();
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    unregister = register(done);
  });
}

/** One node-zookeeper-client instance = one session, with the state `lost()` needs. */
class ZkConn {
  readonly client: Client;
  connected = false;
  expired = false;
  closed = false;
  /** performance.now() since when we are not connected (undefined while connected). */
  disconnectedSince: number | undefined;
  /** Send time of the newest request the server answered: the session was alive at the server after that. */
  lastContact = -Infinity;
  private readonly listeners = new Set<() => void>();
  /** performance.now() of the last answer received, or of the last (re)connect: the connection's liveness. */
  private lastHeard = -Infinity;
  private lastBeat = -Infinity;
  private heartbeat?: NodeJS.Timeout;
  private beating = false;

  constructor(connectString: string, requestedMs: number) {
    // retries 0: no library retry on CONNECTION_LOSS (we classify); short spin delay: reconnect quickly.
    this.client = createClient(connectString, { sessionTimeout: requestedMs, spinDelay: 100, retries: 0 });
    this.disconnectedSince = performance.now();
    this.lastHeard = performance.now();
    this.client.on('state', (s) => this.onState(s));
    this.client.connect();
    this.scheduleHeartbeat();
  }

  /** The negotiated session timeout once connected (the requested one before). */
  get timeoutMs(): number {
    return this.client.getSessionTimeout();
  }

  private onState(s: ZkState): void {
    if (s === State.SYNC_CONNECTED) {
      this.connected = true;
      this.disconnectedSince = undefined;
      this.lastHeard = performance.now();
      void this.beat(); // learn quickly that the session is alive
    } else if (s === State.DISCONNECTED) {
      this.connected = false;
      this.disconnectedSince ??= performance.now();
      this.lastHeard = performance.now(); // the reconnect gets 2/3 of a timeout before we drop it
    } else if (s === State.EXPIRED) {
      this.connected = false;
      this.expired = true;
      this.disconnectedSince ??= performance.now();
    }
    this.poke();
  }

  /** Calls every `onChange` registration (state changes, close). */
  private poke(): void {
    for (const l of [...this.listeners]) l();
  }

  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Why nothing can be sent on this session now, or undefined when connected. */
  unusable(): string | undefined {
    if (this.closed) return 'session closed';
    if (this.expired) return 'session expired';
    if (!this.connected) return 'not connected';
    return undefined;
  }

  /** Waits (bounded) until connected, expired or closed. */
  async whenConnected(ms: number, signal: AbortSignal): Promise<void> {
    const end = performance.now() + ms;
    while (!this.connected && !this.expired && !this.closed && !signal.aborted && performance.now() < end) {
      await pause(end - performance.now(), signal, (wake) => this.onChange(wake));
    }
  }

  /**
   * One request: `issue(cb)` calls the library. Bounded by `ms` and the signal; an answered request (success or a
   * server error code other than CONNECTION_LOSS) moves `lastContact` to its send time.
   */
  call<T>(issue: (cb: (err: unknown, value: T) => void) => void, signal: AbortSignal, ms: number): Promise<Settled<T>> {
    const sent = performance.now();
    const p = new Promise<T>((resolve, reject) => {
      issue((err, value) => {
        const code = zkCode(err);
        if (!err || (code !== undefined && code !== Exception.CONNECTION_LOSS && code !== Exception.SESSION_EXPIRED)) {
          this.lastContact = Math.max(this.lastContact, sent);
          this.lastHeard = performance.now();
        }
        // The library's Exception objects are kept as they are: their getCode() is what we classify on.
        if (err) reject(err);
        else resolve(value);
      });
    });
    return settle(p, signal, Math.max(1, ms));
  }

  /**
   * Every timeout/6: send a heartbeat when none was sent for timeout/3, and, like the Java client's read timeout,
   * drop a connection that has not answered anything for 2/3 of the session timeout (or a handshake that has not
   * finished for as long), so the library reconnects to the next server while the session can still be saved.
   * node-zookeeper-client itself never does this.
   */
  private scheduleHeartbeat(): void {
    if (this.closed) return;
    const t = this.timeoutMs;
    this.heartbeat = setTimeout(() => {
      const now = performance.now();
      const silent = now - this.lastHeard > (2 * t) / 3;
      if (this.expired) {
        // dead for good: nothing to do
      } else if (this.connected) {
        // Drop only when a heartbeat sent after the last answer has itself gone unanswered for a while, so an event
        // loop stall on our side (a paused client) costs one heartbeat round trip, not a reconnect.
        if (silent && this.lastBeat > this.lastHeard && now - this.lastBeat > t / 6) this.dropConnection();
        else if (!this.beating && now - this.lastBeat >= t / 3) void this.beat();
      } else if (silent) {
        this.dropConnection(); // a handshake that does not finish (paused server): try the next server
      }
      this.scheduleHeartbeat();
    }, Math.max(20, Math.floor(t / 6)));
  }

  /** One bounded `exists('/')` while connected; its answer is proof of a live session. */
  private async beat(): Promise<void> {
    if (this.beating || this.unusable()) return;
    this.beating = true;
    this.lastBeat = performance.now();
    try {
      await this.call<Stat>((cb) => this.client.exists('/', cb), NEVER, Math.max(50, Math.floor(this.timeoutMs / 3)));
    } finally {
      this.beating = false;
    }
  }

  /** Destroys the socket (ConnectionManager internals); the library fails pending requests and reconnects. */
  private dropConnection(): void {
    this.lastHeard = performance.now(); // at most one drop per 2/3 timeout
    const cm = (this.client as unknown as { connectionManager?: CmInternals }).connectionManager;
    try {
      cm?.socket?.destroy();
    } catch {
      // ignore
    }
  }

  /** Why a lock held on this session may be gone, or undefined. */
  lostReason(): string | undefined {
    if (this.expired) return 'session expired';
    if (this.closed) return 'session closed';
    const now = performance.now();
    const t = this.timeoutMs;
    if (this.disconnectedSince !== undefined && now - this.disconnectedSince > t) {
      return `disconnected for ${Math.round(now - this.disconnectedSince)} ms, longer than the session timeout (${t} ms)`;
    }
    if (now - this.lastContact > t) {
      return `no answer from ZooKeeper for ${Math.round(now - this.lastContact)} ms, longer than the session timeout (${t} ms): the session may have expired`;
    }
    return undefined;
  }

  /** Closes the session; never throws, never waits longer than `ms`. */
  async close(ms: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.poke();
    // ConnectionManager internals (1.1.3): state -2 = CLOSED, -3 = SESSION_EXPIRED; `socket`, `connect`,
    // `connectTimeoutHandler`.
    const cm = (this.client as unknown as { connectionManager?: CmInternals }).connectionManager;
    if (!cm || cm.state === -2 || cm.state === -3) return; // dead already: nothing to close
    try {
      this.client.close();
    } catch {
      // ignore
    }
    const end = performance.now() + ms;
    while (cm && cm.state !== -2 && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    if (cm && cm.state !== -2) {
      // The server never answered CLOSE_SESSION (paused, unreachable): stop reconnecting and drop the socket.
      // The session then expires on the server after its timeout.
      try {
        cm.connect = () => {};
        if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
        cm.socket?.destroy();
        // A reconnect already scheduled (spin delay <= 100 ms) still opens one more socket: destroy that one too.
        setTimeout(() => {
          try {
            cm.socket?.destroy();
          } catch {
            // ignore
          }
        }, 250).unref();
      } catch {
        // ignore
      }
    }
  }
}

interface CmInternals {
  state: number;
  socket?: { destroy(): void };
  connect: () => void;
  connectTimeoutHandler?: NodeJS.Timeout | null;
}

/** One grant this session was told about. */
interface Held {
  conn: ZkConn;
  path: string;
  token: number;
  deleted: boolean;
}

class ZkLockSession implements LockSession {
  private conn: ZkConn;
  private readonly held = new Map<string, Held>();
  /** Per-client GUID for protected names (Curator's `_c_<guid>-`), plus a counter per create. */
  private readonly guid = randomUUID();
  private creates = 0;
  private readonly parents = new Set<string>();
  private readonly old: ZkConn[] = [];
  private closed = false;

  constructor(
    private readonly connectString: string,
    private readonly root: string,
    private readonly requestedMs: number,
    private readonly timeoutMs: number,
  ) {
    this.conn = new ZkConn(connectString, requestedMs);
  }

  /** Waits (bounded) for the first connection; opening succeeds either way (acquire then fails: not connected). */
  async ready(): Promise<void> {
    await this.conn.whenConnected(this.timeoutMs, NEVER);
  }

  /** The live session; after an expiry a new client (new session) replaces the dead one. */
  private current(): ZkConn {
    if (this.conn.expired) {
      this.old.push(this.conn);
      // The expired client is dead already; closing it only stops its heartbeat timer.
      void this.conn.close(0);
      this.conn = new ZkConn(this.connectString, this.requestedMs);
    }
    return this.conn;
  }

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    // Rule: aborted, closed or already ours -> fail without sending anything.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (this.closed) return { type: 'fail', error: 'session closed' };
    if (this.held.has(lock)) return { type: 'fail', error: 'already held by this session' };
    const t0 = performance.now();
    const end = t0 + this.timeoutMs;
    // Kept back from the wait for deleting our node when we give up.
    const reserve = Math.min(1000, Math.max(50, Math.floor(this.timeoutMs / 4)));
    const left = (keep = reserve) => end - keep - performance.now();
    const conn = this.current();
    await conn.whenConnected(left(), signal);
    const down = conn.unusable();
    // Rule: not connected within the time -> fail: nothing was sent (the library would queue it for later).
    if (down) return { type: 'fail', error: down };

    const parent = `${this.root}/${lock}`;
    if (!this.parents.has(parent)) {
      const m = await conn.call<string>((cb) => conn.client.mkdirp(parent, cb), signal, left());
      // Rule: the persistent parent could not be made -> fail: no lock node was created.
      if (!m.ok) return { type: 'fail', error: `mkdirp ${parent}: ${why(m)}` };
      this.parents.add(parent);
    }
    const prefix = `_c_${this.guid}-${++this.creates}-lock-`;
    const down2 = conn.unusable();
    if (down2) return { type: 'fail', error: down2 };
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const c = await conn.call<string>((cb) => conn.client.create(`${parent}/${prefix}`, CreateMode.EPHEMERAL_SEQUENTIAL, cb), signal, left());
    let path: string;
    if (c.ok) {
      path = c.value;
    } else {
      const code = c.cause === 'error' ? zkCode(c.error) : undefined;
      // Rule: NO_NODE (the lock node was deleted meanwhile) -> fail: nothing was created.
      if (code === Exception.NO_NODE) {
        this.parents.delete(parent);
        return { type: 'fail', error: `create: ${why(c)}` };
      }
      // Rule: SESSION_EXPIRED -> fail: a node made by an expired session is gone with it.
      if (code === Exception.SESSION_EXPIRED) return { type: 'fail', error: `create: ${why(c)}` };
      // CONNECTION_LOSS, timeout or abort after sending: the create may have been applied. Look for our protected
      // name once reconnected; found -> we know our node and carry on (or delete it when aborted).
      const found = await this.findOwn(conn, parent, prefix, signal.aborted ? NEVER : signal, Math.max(0, left()));
      if (found === undefined) {
        // Rule: our node not found (or we could not look) -> info: a create still in flight may land later. The
        // worker drops this client, and closing the session deletes any node it made.
        return { type: 'info', error: `create: ${why(c)}; own node not found after reconnect` };
      }
      path = found;
      if (signal.aborted) return this.giveUp(conn, path, 'aborted', end);
    }
    const token = Number(SEQ.exec(path)?.[1] ?? NaN);
    const name = path.slice(parent.length + 1);

    for (;;) {
      if (signal.aborted) return this.giveUp(conn, path, 'aborted', end);
      if (left() <= 0) return this.giveUp(conn, path, `not granted within ${this.timeoutMs} ms`, end);
      // Rule: the session expired while we queued -> fail: our ephemeral node is gone with it.
      if (conn.expired) return { type: 'fail', error: 'session expired while waiting' };
      if (!conn.connected) {
        await conn.whenConnected(left(), signal);
        continue;
      }
      const ch = await conn.call<string[]>((cb) => conn.client.getChildren(parent, (err, children) => cb(err, children)), signal, left());
      if (!ch.ok) {
        const code = ch.cause === 'error' ? zkCode(ch.error) : undefined;
        // Rule: SESSION_EXPIRED, or NO_NODE for the lock node (it cannot go while our node is in it) -> fail: our
        // ephemeral node is gone.
        if (code === Exception.SESSION_EXPIRED || code === Exception.NO_NODE) return { type: 'fail', error: `getChildren: ${why(ch)}` };
        // Any other server error: stop waiting and withdraw.
        if (code !== undefined && code !== Exception.CONNECTION_LOSS) return this.giveUp(conn, path, `getChildren: ${why(ch)}`, end);
        continue; // connection loss / timeout / abort: the checks at the top decide
      }
      const queue = ch.value
        .map((n) => ({ n, seq: Number(SEQ.exec(n)?.[1] ?? NaN) }))
        .filter((x) => Number.isFinite(x.seq))
        .sort((a, b) => a.seq - b.seq);
      const mine = queue.findIndex((x) => x.n === name);
      // Rule: our node is not among the children -> fail: it is gone (session expired, or deleted), we hold nothing.
      if (mine < 0) return { type: 'fail', error: `own node ${name} vanished while waiting` };
      if (mine === 0) {
        // Rule: ours is the lowest sequence -> ok; the token is its sequence number.
        const h: Held = { conn, path, token, deleted: false };
        this.held.set(lock, h);
        this.watchOwn(h);
        return { type: 'ok', value: { token } };
      }
      // Wait for the next-lower node only: watch it, re-check when it changes or goes.
      const prev = `${parent}/${queue[mine - 1]!.n}`;
      let fired = false;
      let wake: (() => void) | undefined;
      const watcher = (): void => {
        fired = true;
        wake?.();
      };
      const ex = await conn.call<Stat | null>((cb) => conn.client.exists(prev, watcher, (err, stat) => cb(err, stat ?? null)), signal, left());
      if (!ex.ok) {
        const code = ex.cause === 'error' ? zkCode(ex.error) : undefined;
        if (code === Exception.SESSION_EXPIRED) return { type: 'fail', error: `exists: ${why(ex)}` };
        if (code !== undefined && code !== Exception.CONNECTION_LOSS) return this.giveUp(conn, path, `exists: ${why(ex)}`, end);
        continue;
      }
      if (ex.value === null || fired) continue; // already gone: re-check at once
      await pause(left(), signal, (w) => {
        wake = w;
        const off = conn.onChange(w);
        return () => {
          wake = undefined;
          off();
        };
      });
    }
  }

  /**
   * Gave up waiting (deadline or abort) with our node queued: delete it within what is left of the op (at least a
   * moment, even after an abort). Rule: delete confirmed (done, NO_NODE, or the session expired) -> fail: we hold
   * nothing and queue for nothing. Otherwise -> info: our node may still be queued, or even be the holder.
   */
  private async giveUp(conn: ZkConn, path: string, reason: string, end: number): Promise<OpOutcome> {
    const budget = Math.max(50, end - performance.now());
    await conn.whenConnected(budget / 2, NEVER);
    if (conn.expired) return { type: 'fail', error: `${reason}; session expired, own node gone` };
    if (!conn.connected) return { type: 'info', error: `${reason}; could not delete own node ${path}: ${conn.unusable()}` };
    const d = await conn.call<void>((cb) => conn.client.remove(path, -1, (err) => cb(err, undefined)), NEVER, Math.max(50, end - performance.now()));
    const code = d.ok ? 0 : zkCode(d.error);
    if (d.ok || code === Exception.NO_NODE || code === Exception.SESSION_EXPIRED) return { type: 'fail', error: `${reason}; own node deleted` };
    return { type: 'info', error: `${reason}; delete of own node ${path}: ${why(d as Settled<void> & { ok: false })}` };
  }

  /** After a connection loss on create: reconnect (bounded) and look for a child carrying our protected prefix. */
  private async findOwn(conn: ZkConn, parent: string, prefix: string, signal: AbortSignal, ms: number): Promise<string | undefined> {
    const end = performance.now() + ms;
    await conn.whenConnected(ms, signal);
    if (conn.unusable()) return undefined;
    const ch = await conn.call<string[]>((cb) => conn.client.getChildren(parent, (err, children) => cb(err, children)), signal, end - performance.now());
    if (!ch.ok) return undefined;
    const n = ch.value.find((x) => x.startsWith(prefix));
    return n === undefined ? undefined : `${parent}/${n}`;
  }

  /** Background watch on our own node: deleted by anyone but our release -> `lost()`. */
  private watchOwn(h: Held): void {
    const onEvent = (e: ZkEvent): void => {
      if (e.getType() === zookeeper.Event.NODE_DELETED) h.deleted = true;
    };
    void h.conn
      .call<Stat | null>((cb) => h.conn.client.exists(h.path, onEvent, (err, stat) => cb(err, stat ?? null)), NEVER, this.timeoutMs)
      .then((r) => {
        if (r.ok && r.value === null) h.deleted = true;
      });
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const h = this.held.get(lock);
    // Rule: no grant is recorded -> ok, wasHeld false: this session has no node for this lock.
    if (!h) return { type: 'ok', value: { wasHeld: false } };
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    // Rule: the session expired -> ok, wasHeld false: the server deleted our ephemeral node.
    if (h.conn.expired) {
      this.held.delete(lock);
      return { type: 'ok', value: { wasHeld: false } };
    }
    const t0 = performance.now();
    const end = t0 + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      await h.conn.whenConnected(end - performance.now(), signal);
      if (h.conn.expired) {
        this.held.delete(lock);
        return { type: 'ok', value: { wasHeld: false } };
      }
      const down = h.conn.unusable();
      // Rule: never sent (not connected within the time, closed, aborted) -> fail: our node is still there.
      if (down) return { type: attempt === 0 ? 'fail' : 'info', error: `delete: ${down}` };
      if (signal.aborted) return { type: attempt === 0 ? 'fail' : 'info', error: 'aborted before sending' };
      const d = await h.conn.call<void>((cb) => h.conn.client.remove(h.path, -1, (err) => cb(err, undefined)), signal, end - performance.now());
      const code = d.ok ? 0 : zkCode(d.error);
      // Rule: deleted -> ok (after an earlier CONNECTION_LOSS the node was still ours until this delete).
      if (d.ok) {
        this.held.delete(lock);
        return { type: 'ok', value: { wasHeld: true } };
      }
      // Rule: NO_NODE / SESSION_EXPIRED -> ok, wasHeld false: the node is gone (expired, or our own earlier delete
      // whose reply was lost; either way it lapsed within [acquire, this release]).
      if (code === Exception.NO_NODE || code === Exception.SESSION_EXPIRED) {
        this.held.delete(lock);
        return { type: 'ok', value: { wasHeld: false } };
      }
      // Rule: CONNECTION_LOSS -> reconnect and delete again while time is left (a delete is idempotent for us:
      // the sequential name is never reused). Timeout or abort after sending -> info.
      if (code === Exception.CONNECTION_LOSS && performance.now() < end && !signal.aborted) continue;
      return { type: 'info', error: `delete: ${why(d as Settled<void> & { ok: false })}` };
    }
  }

  lost(lock: string): string | undefined {
    const h = this.held.get(lock);
    if (!h) return 'not held by this session';
    if (h.deleted) return `lock node ${h.path} was deleted`;
    return h.conn.lostReason();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    const ms = Math.min(this.timeoutMs, 2000);
    await Promise.allSettled([this.conn, ...this.old].map((c) => c.close(ms)));
  }
}

function connectString(endpoints: ClientContext['endpoints']): string {
  if (endpoints.length === 0) throw new Error('zookeeper lock: no endpoints to connect to');
  return endpoints.map(({ endpoint }) => `${endpoint.host}:${endpoint.port}`).join(',');
}

function validRoot(root: string): string {
  if (!root.startsWith('/') || root.endsWith('/') || root.length < 2) {
    throw new Error(`zookeeper lock: root must be an absolute path like /faultline-locks, got ${JSON.stringify(root)}`);
  }
  return root;
}

/** ZooKeeper ephemeral-sequential lock; token = our node's sequence number. Connects to every endpoint given. */
export function zookeeperLock(opts: ZookeeperLockOptions = {}): LockBackend {
  const root = validRoot(opts.root ?? DEFAULT_ZK_LOCK_ROOT);
  return {
    name: 'zookeeper',
    async open(ctx: LockContext): Promise<LockSession> {
      const requested = Math.max(1, Math.round(opts.sessionTimeoutMs ?? ctx.ttlMs));
      const s = new ZkLockSession(connectString(ctx.endpoints), root, requested, ctx.opTimeoutMs);
      await s.ready();
      return s;
    },
    async setup(endpoints): Promise<void> {
      const conn = new ZkConn(connectString(endpoints), 10_000);
      try {
        const until = performance.now() + 30_000;
        for (;;) {
          const err = await removeTree(conn, root);
          if (err === undefined) return;
          if (performance.now() > until) throw new Error(`zookeeper lock setup failed: ${err}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        await conn.close(2000);
      }
    },
  };
}

/** Deletes `path` and everything under it; returns an error text, or undefined when done (or absent). */
async function removeTree(conn: ZkConn, path: string): Promise<string | undefined> {
  await conn.whenConnected(5000, NEVER);
  const down = conn.unusable();
  if (down) return down;
  const ch = await conn.call<string[]>((cb) => conn.client.getChildren(path, (err, children) => cb(err, children)), NEVER, 5000);
  if (!ch.ok) return zkCode(ch.error) === Exception.NO_NODE ? undefined : `getChildren ${path}: ${why(ch)}`;
  for (const c of ch.value) {
    const e = await removeTree(conn, `${path}/${c}`);
    if (e !== undefined) return e;
  }
  const d = await conn.call<void>((cb) => conn.client.remove(path, -1, (err) => cb(err, undefined)), NEVER, 5000);
  if (d.ok || zkCode(d.error) === Exception.NO_NODE) return undefined;
  return `remove ${path}: ${why(d as Settled<void> & { ok: false })}`;
}

/**
 * PostgreSQL session-level advisory lock (lock-safety.md §9) on one `pg` connection to the first endpoint:
 * `pg_advisory_lock(<bigint key from the lock name>)` waits, bounded by `lock_timeout`; the fencing token comes from
 * `nextval('faultline_fence')`, taken in the same statement once the lock is ours, so tokens follow grant order.
 * There is no TTL: the lock lives exactly as long as the server session, so faults cost liveness (waiters time
 * out, a dead client's lock stays until the server notices) but a lock is never granted twice by expiry. What a
 * client can miss is that its session ended (terminated, connection reset): `lost()` says so from the moment the
 * connection reports an error or its end.
 *
 * Choices:
 * - `lock_timeout` is a startup parameter of the connection (pg's `lock_timeout` option), i.e. a session-wide
 *   `SET lock_timeout` without a round trip; it is kept below the op timeout so the server, not our timer,
 *   normally ends a wait (SQLSTATE 55P03 -> fail).
 * - acquire is one statement: `WITH l AS MATERIALIZED (SELECT pg_advisory_lock($1)) SELECT nextval(...) FROM l`.
 *   The CTE is scanned before the outer projection, so nextval runs only after the lock is granted.
 * - session locks survive a failed statement (and stack), so after a statement error we unlock whatever of this key
 *   the session might hold, checked in pg_locks (no WARNING when we hold nothing), before reporting fail.
 * - a dead connection is replaced only while this session holds no lock (a new connection is a new server
 *   session, so nothing is carried over); after an `info` the session is not used again.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { message, settle, type Settled } from '../settle.js';
import type { ClientContext, OpOutcome } from '../types.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

export interface PgAdvisoryLockOptions {
  /** Server-side wait bound for `pg_advisory_lock`, ms; default 3/4 of the op timeout, never more than that. */
  lockTimeoutMs?: number;
}

/** The fencing-token sequence; `setup` creates it and restarts it at 1. */
export const PG_FENCE_SEQUENCE = 'faultline_fence';

const NEVER = new AbortController().signal;

const ACQUIRE_SQL = `WITH l AS MATERIALIZED (SELECT pg_advisory_lock($1::bigint)) SELECT nextval('${PG_FENCE_SEQUENCE}')::text AS token FROM l`;
const RELEASE_SQL = 'SELECT pg_advisory_unlock($1::bigint) AS released';
/**
 * Undoes a hold of the key this session may have (a bigint advisory lock shows in pg_locks as classid = high 32
 * bits, objid = low 32 bits, objsubid = 1). Unlocks only if held, since pg_advisory_unlock of a lock not held logs
 * a WARNING; `undone` counts the unlocks.
 */
const UNDO_SQL = `SELECT count(*) FILTER (WHERE pg_advisory_unlock($1::bigint))::int AS undone FROM pg_locks
  WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1 AND granted
    AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`;

/** The 64-bit advisory key of a lock name: the first 8 bytes of SHA-256, signed, as a decimal string. */
export function advisoryKey(lock: string): string {
  return createHash('sha256').update(`faultline-lock:${lock}`).digest().readBigInt64BE(0).toString();
}

/** A server error reply (the statement failed; the connection lives on unless its severity is FATAL/PANIC). */
function serverError(e: unknown): { code: string; severity: string } | undefined {
  const x = e as { code?: unknown; severity?: unknown } | null | undefined;
  return typeof x?.code === 'string' && typeof x?.severity === 'string' ? { code: x.code, severity: x.severity } : undefined;
}

const why = (r: Settled<unknown> & { ok: false }): string => `${r.cause}: ${message(r.error)}`;

/** One pg connection = one server session, and what we know about its end. */
class PgConn {
  readonly client: pg.Client;
  /** The first connection-level error or end, as text; set once the session is gone or going. */
  gone?: string;
  /** The server itself said it ends the session (FATAL/PANIC error reply, e.g. 57P01 after pg_terminate_backend). */
  serverEnded = false;
  ended = false;
  private readonly endWaiters = new Set<() => void>();

  constructor(host: string, port: number, lockTimeoutMs: number, connectMs: number) {
    this.client = new pg.Client({
      host,
      port,
      user: 'postgres',
      database: 'postgres',
      application_name: 'faultline-lock',
      // The SET lock_timeout of the recipe, as a startup parameter (no extra round trip).
      lock_timeout: lockTimeoutMs,
      connectionTimeoutMillis: Math.max(1, connectMs),
      keepAlive: true,
    });
    this.client.on('error', (e: unknown) => {
      const s = serverError(e);
      if (s && (s.severity === 'FATAL' || s.severity === 'PANIC')) this.serverEnded = true;
      this.gone ??= `connection error: ${message(e)}${s ? ` (SQLSTATE ${s.code})` : ''}`;
    });
    this.client.on('end', () => {
      this.ended = true;
      this.gone ??= 'connection ended';
      for (const w of this.endWaiters) w();
    });
    // pg_advisory_unlock of a lock not held sends a WARNING notice; nothing to do with it.
    this.client.on('notice', () => {});
  }

  /** Resolves when the connection has ended, or after `ms`; true if it ended. */
  async waitEnded(ms: number): Promise<boolean> {
    if (this.ended) return true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.endWaiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.endWaiters.add(done);
    });
    return this.ended;
  }

  /** Ends the connection: a polite Terminate, then the socket is destroyed if the server does not hang up. */
  async close(ms: number): Promise<void> {
    if (this.ended) return;
    try {
      void this.client.end().catch(() => {});
    } catch {
      // ignore
    }
    if (await this.waitEnded(ms)) return;
    try {
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    } catch {
      // ignore
    }
  }
}

interface Held {
  conn: PgConn;
  key: string;
  token: number;
}

class PgAdvisorySession implements LockSession {
  private conn: PgConn | undefined;
  private readonly held = new Map<string, Held>();
  /** Set after an `info`: what this session's connection holds is unknown, so it is not used again. */
  private poisoned: string | undefined;
  private closed = false;
  private readonly retired: PgConn[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    private readonly lockTimeoutMs: number,
  ) {}

  /** The live connection, (re)connecting within `ms` when there is none and no lock is held on an old one. */
  async connection(ms: number, signal: AbortSignal): Promise<PgConn | string> {
    if (this.closed) return 'session closed';
    if (this.poisoned) return `session unusable after an unknown outcome (${this.poisoned})`;
    if (this.conn && !this.conn.gone) return this.conn;
    if (this.held.size > 0) return `connection lost while holding a lock: ${this.conn?.gone ?? 'no connection'}`;
    if (this.conn) this.retired.push(this.conn);
    const conn = new PgConn(this.host, this.port, this.lockTimeoutMs, ms);
    this.conn = conn;
    const r = await settle(conn.client.connect(), signal, Math.max(1, ms));
    if (!r.ok) {
      conn.gone ??= `connect: ${why(r)}`;
      void conn.close(0);
      return conn.gone;
    }
    return conn;
  }

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    // Rule: aborted, closed, poisoned or already ours -> fail without sending anything.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (this.held.has(lock)) return { type: 'fail', error: 'already held by this session' };
    const t0 = performance.now();
    const left = () => this.timeoutMs - (performance.now() - t0);
    const c = await this.connection(left(), signal);
    // Rule: no usable connection (connect failed or timed out) -> fail: the lock query was never sent.
    if (typeof c === 'string') return { type: 'fail', error: c };
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const key = advisoryKey(lock);
    const r = await settle(c.client.query<{ token: string }>(ACQUIRE_SQL, [key]), signal, Math.max(1, left()));
    if (r.ok) {
      // Rule: the statement returned -> ok: the lock is ours and nextval ran after the grant: the token.
      const token = Number(r.value.rows[0]?.token);
      this.held.set(lock, { conn: c, key, token });
      return { type: 'ok', value: { token } };
    }
    const s = r.cause === 'error' ? serverError(r.error) : undefined;
    if (s && s.severity === 'ERROR') {
      // The statement failed but the session lives: 55P03 (lock_timeout: held by someone else) or anything else.
      // A session lock taken before the failure would survive it, so undo any hold of this key first.
      const u = await settle(c.client.query<{ undone: number }>(UNDO_SQL, [key]), NEVER, Math.max(50, left()));
      // Rule: error reply and the undo ran -> fail: this session certainly does not hold the lock now.
      if (u.ok) return { type: 'fail', error: `${s.code === '55P03' ? 'held (lock_timeout)' : 'error'}: ${message(r.error)} [SQLSTATE ${s.code}]${u.value.rows[0]?.undone ? '; undid a hold taken before the error' : ''}` };
      // Rule: the undo did not complete -> info.
      this.poisoned = `acquire ${lock}`;
      return { type: 'info', error: `${message(r.error)} [SQLSTATE ${s.code}]; undo: ${why(u as Settled<unknown> & { ok: false })}` };
    }
    if (s && (s.severity === 'FATAL' || s.severity === 'PANIC') && (await c.waitEnded(Math.max(50, left())))) {
      // Rule: the server ended the session (e.g. pg_terminate_backend) and hung up -> fail: a backend closes its
      // socket only after releasing its locks at exit, so this session holds nothing.
      return { type: 'fail', error: `session ended by the server: ${message(r.error)} [SQLSTATE ${s.code}]` };
    }
    // Rule: connection lost mid-statement, our timeout, abort after sending -> info: the lock may be ours (and
    // stays ours until the server notices the session is gone).
    this.poisoned = `acquire ${lock}`;
    return { type: 'info', error: why(r) };
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const h = this.held.get(lock);
    // Rule: no grant is recorded -> ok, wasHeld false: this session holds no lock under this name.
    if (!h) return { type: 'ok', value: { wasHeld: false } };
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    if (h.conn.gone) {
      // Rule: the server ended the session itself and hung up -> ok, wasHeld false: its locks went with it.
      if (h.conn.serverEnded && (await h.conn.waitEnded(this.timeoutMs))) {
        this.held.delete(lock);
        return { type: 'ok', value: { wasHeld: false } };
      }
      // Rule: the connection broke otherwise -> info: the server frees the lock once it notices the session is
      // gone, which may not have happened yet. Nothing more can be sent on this session.
      this.held.delete(lock);
      this.poisoned = `release ${lock}`;
      return { type: 'info', error: `cannot unlock: ${h.conn.gone}` };
    }
    const r = await settle(h.conn.client.query<{ released: boolean }>(RELEASE_SQL, [h.key]), signal, this.timeoutMs);
    if (r.ok) {
      // Rule: true -> ok (unlocked); false -> ok, wasHeld false (this session did not hold it).
      this.held.delete(lock);
      return { type: 'ok', value: { wasHeld: r.value.rows[0]?.released === true } };
    }
    const s = r.cause === 'error' ? serverError(r.error) : undefined;
    // Rule: an error reply with the session alive -> fail: the statement did not run, the lock is still held.
    if (s && s.severity === 'ERROR') return { type: 'fail', error: `${message(r.error)} [SQLSTATE ${s.code}]` };
    if (s && (s.severity === 'FATAL' || s.severity === 'PANIC') && (await h.conn.waitEnded(this.timeoutMs))) {
      // Rule: the server ended the session -> ok, wasHeld false (as above).
      this.held.delete(lock);
      return { type: 'ok', value: { wasHeld: false } };
    }
    // Rule: connection lost mid-statement, timeout, abort after sending -> info.
    this.held.delete(lock);
    this.poisoned = `release ${lock}`;
    return { type: 'info', error: why(r) };
  }

  lost(lock: string): string | undefined {
    const h = this.held.get(lock);
    if (!h) return 'not held by this session';
    // The session (and with it the lock) is gone, or going once the server notices.
    return h.conn.gone;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held.clear();
    const ms = Math.min(this.timeoutMs, 1000);
    await Promise.allSettled([this.conn, ...this.retired].filter((c): c is PgConn => c !== undefined).map((c) => c.close(ms)));
  }
}

/** Defaults: lock_timeout at 3/4 of the op timeout (at least 1 ms), leaving time for the undo after a failure. */
function lockTimeoutFor(opTimeoutMs: number, wanted?: number): number {
  const cap = Math.max(1, Math.floor((opTimeoutMs * 3) / 4));
  return Math.max(1, Math.min(cap, Math.floor(wanted ?? cap)));
}

function firstEndpoint(endpoints: ClientContext['endpoints']): { host: string; port: number } {
  const e = endpoints[0];
  if (!e) throw new Error('pg-advisory lock: no endpoints to connect to');
  return e.endpoint;
}

/** PostgreSQL `pg_advisory_lock` on one session (first endpoint); token = `nextval('faultline_fence')`. */
export function pgAdvisoryLock(opts: PgAdvisoryLockOptions = {}): LockBackend {
  return {
    name: 'pg-advisory',
    async open(ctx: LockContext): Promise<LockSession> {
      const { host, port } = firstEndpoint(ctx.endpoints);
      const s = new PgAdvisorySession(host, port, ctx.opTimeoutMs, lockTimeoutFor(ctx.opTimeoutMs, opts.lockTimeoutMs));
      // Connect now if we can (bounded); a failure here is retried by the first acquire.
      await s.connection(ctx.opTimeoutMs, NEVER);
      return s;
    },
    async setup(endpoints): Promise<void> {
      const { host, port } = firstEndpoint(endpoints);
      const until = Date.now() + 30_000;
      for (;;) {
        const conn = new PgConn(host, port, 5000, 5000);
        try {
          await conn.client.connect();
          await conn.client.query(`CREATE SEQUENCE IF NOT EXISTS ${PG_FENCE_SEQUENCE}`);
          await conn.client.query(`ALTER SEQUENCE ${PG_FENCE_SEQUENCE} RESTART WITH 1`);
          return;
        } catch (e) {
          if (Date.now() > until) throw new Error(`pg-advisory lock setup failed: ${message(e)}`);
          await new Promise((r) => setTimeout(r, 200));
        } finally {
          await conn.close(1000);
        }
      }
    },
  };
}

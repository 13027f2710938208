/**
 * The contract between the lock workload and a lock backend (Redis, Redlock, etcd, ZooKeeper, PostgreSQL). The
 * workload owns the loop (acquire -> read -> write -> release) and the guarded resource; a backend only takes and
 * gives back one named lock, and says honestly what it knows.
 *
 * Outcome rules every backend follows (they are what the mutex checkers assume):
 * - acquire `ok` (value `{ token }`): this client now holds the lock. `token` is the fencing token (a number that
 *   grows with every grant) or `null` when the backend has none (redis-naive, redlock).
 * - acquire `fail`: the lock was certainly not taken by this call (held by someone else, never sent, refused).
 *   Anything the client took as a side effect of a failed attempt is undone before returning (or provably expires).
 * - acquire `info`: unknown, e.g. the command was sent but no reply came. The worker then drops this client.
 * - release `ok`: afterwards this client certainly does not hold the lock: it deleted it, or found that it was no
 *   longer its own (expired, session gone; value `{ wasHeld: false }`).
 * - release `fail`: certainly not released and possibly still held (never sent). release `info`: unknown.
 */
import type { Endpoint } from '../../harness/backends/types.js';
import type { ClientContext, OpOutcome } from '../types.js';

/** What acquire's ok value carries: the fencing token, or null for backends without one. */
export interface LockGrant {
  token: number | null;
}

/** A backend connection for one worker: one lock held at a time. */
export interface LockSession {
  /** Take `lock` (try-lock or bounded wait, as the backend's recipe does); never longer than `ctx.opTimeoutMs`. */
  acquire(lock: string, signal: AbortSignal): Promise<OpOutcome>;
  /** Give `lock` back (see the outcome rules above). */
  release(lock: string, signal: AbortSignal): Promise<OpOutcome>;
  /**
   * Why this client knows it no longer holds `lock` (session expired, lease lost, disconnected longer than the
   * session timeout, connection closed), or undefined while it may still hold it. Checked before each critical
   * section step so a client that knows better does not touch the resource.
   */
  lost?(lock: string): string | undefined;
  /** Closes connections (and stops keep-alives); must not throw. Does not need to release held locks. */
  close(): Promise<void>;
}

/** What a backend needs to open a session. */
export interface LockContext extends ClientContext {
  /** The lease / TTL the workload asks for; backends with coarser units round up (and say so in their docs). */
  ttlMs: number;
}

/** One lock implementation, e.g. `redis-token` or `zookeeper`. */
export interface LockBackend {
  /** The backend's name in scenarios, logs and histories (`redis-naive`, `redis-token`, `redlock`, `etcd`, ...). */
  readonly name: string;
  open(ctx: LockContext): Promise<LockSession>;
  /** One-time cleanup before the run (delete leftover keys / nodes / sequences), against direct endpoints. */
  setup?(endpoints: readonly { node: string; endpoint: Endpoint }[]): Promise<void>;
}

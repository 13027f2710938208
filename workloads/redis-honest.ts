/**
 * ioredis configured so that no command is ever replayed or queued behind the caller's back, and the one place that
 * turns an ioredis result into an honest outcome. Shared by every Redis client (register, locks): the rules are
 * the same whatever the command (lock-safety.md §5).
 *
 * What ioredis 5 does with these options (verified against a real redis-server, see
 * test/integration/register-clients.test.ts):
 * - not connected (refused, reconnecting) with `enableOfflineQueue: false`: the command is rejected at once with
 *   "Stream isn't writeable and enableOfflineQueue options is false" and nothing is written to any socket.
 * - server stops answering: `commandTimeout` rejects with "Command timed out" (the command was written).
 * - connection lost with commands in flight: they are rejected with `MaxRetriesPerRequestError` (they were written).
 */
import { Redis } from 'ioredis';
import type { Endpoint } from '../harness/backends/types.js';
import type { OpOutcome } from './types.js';
import { message, type Settled } from './settle.js';

/** ioredis rejects with exactly this message when it refused to write the command (offline queue disabled). */
export const NOT_WRITTEN = "Stream isn't writeable and enableOfflineQueue options is false";

/** A connection that never queues, never re-sends and bounds every command by `timeoutMs`. Call `connect()`. */
export function honestRedis(endpoint: Endpoint, timeoutMs: number): Redis {
  return new Redis({
    host: endpoint.host,
    port: endpoint.port,
    lazyConnect: true,
    // Never queue: a command issued while disconnected is rejected unsent (-> fail) instead of sent later.
    enableOfflineQueue: false,
    // In-flight commands are rejected as soon as the connection drops (-> info) instead of being retried.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    reconnectOnError: null,
    // Reconnect quickly in the background so a restarted node is used again without reopening the client.
    retryStrategy: () => Math.min(100, Math.max(10, Math.floor(timeoutMs / 10))),
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // A LOADING node answers with an error reply (-> fail), which is all the ready check would wait for.
    enableReadyCheck: false,
    // No CLIENT SETINFO round trips before `ready`: a reconnect (after every info) costs one TCP handshake only.
    disableClientInfo: true,
    // Latency matters more than batching for a one-op-in-flight worker.
    noDelay: true,
  });
}

/** Tracks the last connection-level error for `fail` messages and says whether a command may be sent at all. */
export class RedisLink {
  lastError = '';
  constructor(readonly redis: Redis) {
    redis.on('error', (e: unknown) => {
      this.lastError = message(e);
    });
  }

  /** Why nothing may be sent now (not connected), or undefined when ready. Not calling ioredis proves "never sent". */
  notReady(): string | undefined {
    if (this.redis.status === 'ready') return undefined;
    return `not connected (${this.redis.status}${this.lastError ? `: ${this.lastError}` : ''})`;
  }
}

/**
 * The outcome of a write-like command (SET, a Lua script that checks before it writes, DEL) that did not complete
 * normally: `fail` when it provably had no effect (never written, or Redis replied with an error), else `info`.
 */
export function redisWriteFailure(r: Settled<unknown> & { ok: false }, node?: string): OpOutcome {
  const text = `${r.cause}: ${message(r.error)}`;
  const at = node !== undefined ? { node } : {};
  if (r.cause === 'error') {
    // Rule: ioredis refused to write it (connection dropped between our status check and the call, or a script
    // whose EVALSHA got NOSCRIPT and whose EVAL fallback could not be written) -> fail.
    if (message(r.error) === NOT_WRITTEN) return { type: 'fail', error: text, ...at };
    // Rule: Redis answered with an error (READONLY, OOM, LOADING, WRONGTYPE, ...) -> fail: the command is atomic
    // and scripts error only before they write, so an error reply means nothing changed.
    if ((r.error as { name?: unknown } | null)?.name === 'ReplyError') return { type: 'fail', error: text, ...at };
  }
  // Rule: timeout, abort after sending, connection lost mid-command (MaxRetriesPerRequestError, ECONNRESET,
  // "Connection is closed.") -> info: the command was written and may have been applied.
  return { type: 'info', error: text, ...at };
}

/** One honest connection to one node, connecting; an unreachable node is not an error here. */
export async function openHonestRedis(endpoint: Endpoint, timeoutMs: number): Promise<{ redis: Redis; link: RedisLink }> {
  const redis = honestRedis(endpoint, timeoutMs);
  const link = new RedisLink(redis);
  // ioredis keeps reconnecting in the background; until it is up every op fails unsent.
  await redis.connect().catch(() => undefined);
  return { redis, link };
}

/** Closes a connection; never throws. */
export function closeQuietly(redis: Redis): void {
  try {
    redis.disconnect(false);
  } catch {
    // close never throws
  }
}

/**
 * Deletes every key starting with one of `prefixes` on every endpoint (an empty prefix: FLUSHALL). Replicas answer
 * READONLY: clearing the primary clears them through replication, so that is not an error. `what` names the caller
 * in errors.
 */
export async function clearRedisKeys(endpoints: readonly { node: string; endpoint: Endpoint }[], prefixes: readonly string[], what: string): Promise<void> {
  for (const { node, endpoint } of endpoints) {
    const redis = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 5000, commandTimeout: 10_000, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      for (const prefix of prefixes) {
        if (prefix === '') {
          await redis.flushall();
          continue;
        }
        let cursor = '0';
        do {
          const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
          cursor = nextCursor;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      }
    } catch (e) {
      if (!/READONLY/.test(message(e))) throw new Error(`${what} on ${node} (${endpoint.host}:${endpoint.port}) failed: ${message(e)}`);
    } finally {
      closeQuietly(redis);
    }
  }
}

/** Answers for an op that must not be sent (aborted already, or not connected): `undefined` when it may be sent. */
export function unsendable(link: RedisLink, signal: AbortSignal, node: string): OpOutcome | undefined {
  // Rule: aborted before anything was sent -> fail (nothing reached Redis).
  if (signal.aborted) return { type: 'fail', error: 'aborted before sending', node };
  // Rule: not connected -> fail. We do not even call ioredis, so the command provably never left this process.
  const notReady = link.notReady();
  if (notReady) return { type: 'fail', error: notReady, node };
  return undefined;
}

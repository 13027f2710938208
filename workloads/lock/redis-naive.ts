/**
 * The single-Redis lock as most code bases write it: `SET key 1 NX EX <s>` to take it, plain `DEL` to give it back.
 * It exists to be broken: with no token, a holder whose TTL ran out deletes the *next* holder's key on release and
 * lets a third client in, and it has no fencing number (lock-safety.md §4). The client itself is still honest about
 * what it knows (ok / fail / info, as register/redis-client.ts), so every overlap the checker finds is the recipe's.
 */
import { Redis } from 'ioredis';
import { clearRedisKeys, closeQuietly, openHonestRedis, redisWriteFailure, unsendable, type RedisLink } from '../redis-honest.js';
import { pickEndpoint } from '../register/redis-client.js';
import { settle } from '../settle.js';
import type { OpOutcome } from '../types.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

/** Where the lock keys live and which node holds them. */
export interface RedisLockOptions {
  /** Prepended to every lock name (default `faultline:lock:`); `setup` deletes every key that starts with it. */
  keyPrefix?: string;
  /** Which node: an index into `ctx.endpoints` or a node name (default: the first, i.e. the primary). */
  node?: number | string;
}

export const DEFAULT_LOCK_PREFIX = 'faultline:lock:';


class NaiveSession implements LockSession {
  constructor(
    private readonly redis: Redis,
    private readonly link: RedisLink,
    private readonly prefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
    private readonly ttlSeconds: number,
  ) {}

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    const r = await settle(this.redis.set(this.prefix + lock, '1', 'EX', this.ttlSeconds, 'NX'), signal, this.timeoutMs);
    // Rule: OK -> ok (we set the key); nil -> fail (someone holds it; SET NX wrote nothing).
    if (r.ok) return r.value === 'OK' ? { type: 'ok', value: { token: null }, node } : { type: 'fail', error: 'held: the key exists', node };
    // Rule: not written / error reply -> fail; written but unanswered (timeout, abort, connection lost) -> info.
    return redisWriteFailure(r, node);
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    const r = await settle(this.redis.del(this.prefix + lock), signal, this.timeoutMs);
    // Rule: DEL answered -> ok, the key is gone. `wasHeld` only says a key existed: it may have been the next
    // holder's (our TTL ran out and they took it); that is exactly the bug this backend demonstrates.
    if (r.ok) return { type: 'ok', value: { wasHeld: r.value === 1 }, node };
    return redisWriteFailure(r, node);
  }

  async close(): Promise<void> {
    closeQuietly(this.redis);
  }
}

/** `SET NX EX` / `DEL` on one node. TTLs are whole seconds: `ttlMs` is rounded up (at least 1 s). */
export function redisNaiveLock(opts: RedisLockOptions = {}): LockBackend {
  const prefix = opts.keyPrefix ?? DEFAULT_LOCK_PREFIX;
  return {
    name: 'redis-naive',
    async open(ctx: LockContext): Promise<LockSession> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const { redis, link } = await openHonestRedis(endpoint, ctx.opTimeoutMs);
      return new NaiveSession(redis, link, prefix, node, ctx.opTimeoutMs, Math.max(1, Math.ceil(ctx.ttlMs / 1000)));
    },
    async setup(endpoints): Promise<void> {
      await clearRedisKeys(endpoints, [prefix], 'redis lock setup');
    },
  };
}

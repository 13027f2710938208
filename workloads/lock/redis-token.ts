/**
 * The correct single-Redis lock (lock-safety.md §4): a random value per grant so release deletes only our own key,
 * and a fencing number from `INCR fence:<key>` taken in the same script as the `SET NX`, so the guarded resource can
 * refuse a holder whose TTL ran out. It is still a lease on one node: a pause longer than the TTL gives two holders,
 * and only the fencing token makes that harmless.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { clearRedisKeys, closeQuietly, openHonestRedis, redisWriteFailure, unsendable, type RedisLink } from '../redis-honest.js';
import { pickEndpoint } from '../register/redis-client.js';
import { settle } from '../settle.js';
import type { OpOutcome } from '../types.js';
import { DEFAULT_LOCK_PREFIX, type RedisLockOptions } from './redis-naive.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

/**
 * KEYS: [1] the lock key, [2] its fence counter. ARGV: [1] our random value, [2] the TTL in ms.
 * Returns the new fencing number when it took the lock, 0 when the lock is held. Every check (including that the
 * counter can be incremented) runs before the first write, so an error reply means nothing changed.
 */
const ACQUIRE_LUA = `local f = redis.call('GET', KEYS[2])
if f and not string.match(f, '^%d+$') then
  return redis.error_reply('fence counter ' .. KEYS[2] .. ' is not a non-negative integer')
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
return redis.call('INCR', KEYS[2])`;

/**
 * KEYS: [1] the lock key. ARGV: the random values that may be ours (normally one). Deletes the key only if it holds
 * one of them: 1, else 0.
 */
const RELEASE_LUA = `local v = redis.call('GET', KEYS[1])
for i = 1, #ARGV do
  if v == ARGV[i] then return redis.call('DEL', KEYS[1]) end
end
return 0`;

type TokenRedis = Redis & {
  faultlineLockAcquire(key: string, fenceKey: string, value: string, ttlMs: number): Promise<number>;
  faultlineLockRelease(key: string, ...values: string[]): Promise<number>;
};

/** The counter next to the lock key; `setup` clears it too, so tokens restart at 1 each run. */
const fenceKey = (key: string): string => `fence:${key}`;

class TokenSession implements LockSession {
  /**
   * lock name -> the random values the key may hold on our behalf: the last grant, plus those of acquires that
   * ended `info` (their SET may have run). Release deletes the key if it holds any of them.
   */
  private readonly values = new Map<string, Set<string>>();

  constructor(
    private readonly redis: TokenRedis,
    private readonly link: RedisLink,
    private readonly prefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
    private readonly ttlMs: number,
  ) {}

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    const key = this.prefix + lock;
    const value = randomBytes(16).toString('hex');
    const r = await settle(this.redis.faultlineLockAcquire(key, fenceKey(key), value, this.ttlMs), signal, this.timeoutMs);
    if (r.ok) {
      // Rule: a fencing number -> ok with it as the token. The key was absent, so no older value of ours is there.
      if (typeof r.value === 'number' && r.value > 0) {
        this.values.set(lock, new Set([value]));
        return { type: 'ok', value: { token: r.value }, node };
      }
      // Rule: 0 -> fail: the key existed and the script wrote nothing.
      return { type: 'fail', error: 'held: the key exists', node };
    }
    // Rule: not written / error reply (checks precede writes) -> fail; written but unanswered -> info.
    const out = redisWriteFailure(r, node);
    // After an info the key may be ours with this value: a release must be able to delete it.
    if (out.type === 'info') this.values.set(lock, new Set([...(this.values.get(lock) ?? []), value]));
    return out;
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const mine = this.values.get(lock);
    // Rule: no value of ours can be there (no grant reported, nothing unknown) -> ok, wasHeld false, nothing sent:
    // a compare-and-delete without our value could only return 0.
    if (!mine) return { type: 'ok', value: { wasHeld: false }, node };
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    const r = await settle(this.redis.faultlineLockRelease(this.prefix + lock, ...mine), signal, this.timeoutMs);
    if (r.ok) {
      // Rule: 1 -> ok, we deleted our key. 0 -> ok, wasHeld false: the key expired (and may now be someone
      // else's, which we left alone); either way we certainly do not hold the lock now.
      this.values.delete(lock);
      return { type: 'ok', value: { wasHeld: r.value === 1 }, node };
    }
    // Rule: not written / error reply -> fail (still ours until the TTL); written but unanswered -> info.
    return redisWriteFailure(r, node);
  }

  async close(): Promise<void> {
    closeQuietly(this.redis);
  }
}

/** `SET NX PX` + `INCR fence:<key>` in one script; compare-and-delete release. Tokens start at 1 after `setup`. */
export function redisTokenLock(opts: RedisLockOptions = {}): LockBackend {
  const prefix = opts.keyPrefix ?? DEFAULT_LOCK_PREFIX;
  return {
    name: 'redis-token',
    async open(ctx: LockContext): Promise<LockSession> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const { redis, link } = await openHonestRedis(endpoint, ctx.opTimeoutMs);
      // Defined once per connection; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
      redis.defineCommand('faultlineLockAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
      redis.defineCommand('faultlineLockRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
      return new TokenSession(redis as TokenRedis, link, prefix, node, ctx.opTimeoutMs, Math.max(1, Math.ceil(ctx.ttlMs)));
    },
    async setup(endpoints): Promise<void> {
      await clearRedisKeys(endpoints, [prefix, fenceKey(prefix)], 'redis lock setup');
    },
  };
}

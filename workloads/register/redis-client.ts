/**
 * Register client for a single Redis node (ioredis): read = GET, write = SET, cas = a Lua script. The point of this
 * file is the outcome classification: `fail` only when the command provably never reached Redis or Redis refused
 * it; everything the client cannot prove is `info`.
 *
 * The ioredis settings and the outcome rules live in ../redis-honest.ts.
 */
import { Redis } from 'ioredis';
import type { Endpoint } from '../../harness/backends/types.js';
import { clearRedisKeys, honestRedis, RedisLink, redisWriteFailure } from '../redis-honest.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { parseRegisterValue } from './generator.js';
import { message, settle } from '../settle.js';

/** Which node to talk to and where the keys live. */
export interface RedisRegisterOptions {
  /** Prepended to every key; when empty, `setup` clears the node with FLUSHALL instead of deleting prefixed keys. */
  keyPrefix?: string;
  /** Which node: an index into `ctx.endpoints` or a node name (default: the first, i.e. the primary). */
  node?: number | string;
}

/**
 * Compare-and-set in one atomic step. ARGV: [1] '1' if an old value is expected, '0' if the key must be absent,
 * [2] the expected value, [3] the new value. Returns 1 when it set the key, 0 when the comparison failed.
 * It writes nothing before the comparison, so an error reply means nothing changed.
 */
const CAS_LUA = `local v = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if v ~= ARGV[2] then return 0 end
elseif v then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1`;

/** The Redis connection with our script defined on it. */
type CasRedis = Redis & { faultlineCas(key: string, hasOld: string, old: string, next: string): Promise<number> };

/** Pick the endpoint named by `node` (index or name), defaulting to the first. */
export function pickEndpoint(endpoints: ClientContext['endpoints'], node: number | string | undefined): { node: string; endpoint: Endpoint } {
  if (endpoints.length === 0) throw new Error('register client: no endpoints to connect to');
  if (node === undefined) return endpoints[0]!;
  const found = typeof node === 'number' ? endpoints[node] : endpoints.find((e) => e.node === node);
  if (!found) throw new Error(`register client: no node ${JSON.stringify(node)}; nodes are ${endpoints.map((e) => e.node).join(', ')}`);
  return found;
}

class RedisRegisterClient implements Client {
  private readonly link: RedisLink;

  constructor(
    private readonly redis: CasRedis,
    private readonly prefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
  ) {
    this.link = new RedisLink(redis);
  }

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    // Rule: aborted before anything was sent -> fail (nothing reached Redis).
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending', node };
    // Rule: not connected -> fail. We do not even call ioredis, so the command provably never left this process.
    const notReady = this.link.notReady();
    if (notReady) return { type: 'fail', error: notReady, node };
    const key = this.prefix + String(op.key);
    switch (op.f) {
      case 'read': {
        const r = await settle(this.redis.get(key), signal, this.timeoutMs);
        // Rule: a read that did not return has no effect -> fail, whatever went wrong (error, timeout, abort).
        if (!r.ok) return { type: 'fail', error: `${r.cause}: ${message(r.error)}`, node };
        return { type: 'ok', value: parseRegisterValue(r.value), node };
      }
      case 'write': {
        const r = await settle(this.redis.set(key, String(op.value)), signal, this.timeoutMs);
        if (r.ok) return { type: 'ok', node };
        return redisWriteFailure(r, node);
      }
      case 'cas': {
        const [old, next] = op.value as [unknown, unknown];
        const hasOld = old === null || old === undefined ? '0' : '1';
        const r = await settle(this.redis.faultlineCas(key, hasOld, hasOld === '1' ? String(old) : '', String(next)), signal, this.timeoutMs);
        // Rule: the script ran and the comparison failed -> fail (it wrote nothing).
        if (r.ok) return r.value === 1 ? { type: 'ok', node } : { type: 'fail', error: 'cas: value differs', node };
        return redisWriteFailure(r, node);
      }
      default:
        throw new Error(`register client (redis): unknown f ${JSON.stringify(op.f)}; expected read, write or cas`);
    }
  }

  async close(): Promise<void> {
    try {
      this.redis.disconnect(false);
    } catch {
      // close never throws
    }
  }
}

/** Factory for the Redis register client; one connection per worker, opened once and reused until an `info`. */
export function redisRegisterClient(opts: RedisRegisterOptions = {}): ClientFactory {
  const prefix = opts.keyPrefix ?? '';
  return {
    name: 'redis',
    async open(ctx: ClientContext): Promise<Client> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const redis = honestRedis(endpoint, ctx.opTimeoutMs);
      // Defined once per connection (not per op); ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
      redis.defineCommand('faultlineCas', { numberOfKeys: 1, lua: CAS_LUA });
      const client = new RedisRegisterClient(redis as CasRedis, prefix, node, ctx.opTimeoutMs);
      // An unreachable node is not an error here: ioredis keeps reconnecting and ops fail (unsent) until it is up.
      await redis.connect().catch(() => undefined);
      return client;
    },
    async setup(endpoints): Promise<void> {
      await clearRedisKeys(endpoints, [prefix], 'redis register setup');
    },
  };
}

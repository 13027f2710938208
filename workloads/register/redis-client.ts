/**
 * Register client for a single Redis node (ioredis): read = GET, write = SET, cas = a Lua script. The point of this
 * file is the outcome classification: `fail` only when the command provably never reached Redis or Redis refused
 * it; everything the client cannot prove is `info`.
 *
 * What ioredis 5 does with the options below (verified against a real redis-server, see
 * test/integration/register-clients.test.ts):
 * - not connected (refused, reconnecting) with `enableOfflineQueue: false`: the command is rejected at once with
 *   "Stream isn't writeable and enableOfflineQueue options is false" and nothing is written to any socket.
 * - server stops answering: `commandTimeout` rejects with "Command timed out" (the command was written).
 * - connection lost with commands in flight: they are rejected with `MaxRetriesPerRequestError` (they were written).
 */
import { Redis } from 'ioredis';
import type { Endpoint } from '../../harness/backends/types.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { parseRegisterValue } from './generator.js';
import { message, settle, type Settled } from '../settle.js';

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

/** ioredis rejects with exactly this message when it refused to write the command (offline queue disabled). */
const NOT_WRITTEN = "Stream isn't writeable and enableOfflineQueue options is false";

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
  /** The last connection-level error ioredis emitted, for fail messages. */
  private lastError = '';

  constructor(
    private readonly redis: CasRedis,
    private readonly prefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
  ) {
    redis.on('error', (e: unknown) => {
      this.lastError = message(e);
    });
  }

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    // Rule: aborted before anything was sent -> fail (nothing reached Redis).
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending', node };
    // Rule: not connected -> fail. We do not even call ioredis, so the command provably never left this process.
    if (this.redis.status !== 'ready') {
      return { type: 'fail', error: `not connected (${this.redis.status}${this.lastError ? `: ${this.lastError}` : ''})`, node };
    }
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
        return this.writeFailure(r, node);
      }
      case 'cas': {
        const [old, next] = op.value as [unknown, unknown];
        const hasOld = old === null || old === undefined ? '0' : '1';
        const r = await settle(this.redis.faultlineCas(key, hasOld, hasOld === '1' ? String(old) : '', String(next)), signal, this.timeoutMs);
        // Rule: the script ran and the comparison failed -> fail (it wrote nothing).
        if (r.ok) return r.value === 1 ? { type: 'ok', node } : { type: 'fail', error: 'cas: value differs', node };
        return this.writeFailure(r, node);
      }
      default:
        throw new Error(`register client (redis): unknown f ${JSON.stringify(op.f)}; expected read, write or cas`);
    }
  }

  /** Outcome of a write or cas that did not complete normally. */
  private writeFailure(r: Settled<unknown> & { ok: false }, node: string): OpOutcome {
    const text = `${r.cause}: ${message(r.error)}`;
    if (r.cause === 'error') {
      // Rule: ioredis refused to write it (connection dropped between our status check and the call, or a cas
      // whose EVALSHA got NOSCRIPT and whose EVAL fallback could not be written) -> fail.
      if (message(r.error) === NOT_WRITTEN) return { type: 'fail', error: text, node };
      // Rule: Redis answered with an error (READONLY, OOM, LOADING, WRONGTYPE, ...) -> fail: SET and the script
      // are atomic and the script errors only before its SET, so an error reply means nothing changed.
      if ((r.error as { name?: unknown } | null)?.name === 'ReplyError') return { type: 'fail', error: text, node };
    }
    // Rule: timeout, abort after sending, connection lost mid-command (MaxRetriesPerRequestError, ECONNRESET,
    // "Connection is closed.") -> info: the command was written and may have been applied.
    return { type: 'info', error: text, node };
  }

  async close(): Promise<void> {
    try {
      this.redis.disconnect(false);
    } catch {
      // close never throws
    }
  }
}

function connection(endpoint: Endpoint, timeoutMs: number): Redis {
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

/** Factory for the Redis register client; one connection per worker, opened once and reused until an `info`. */
export function redisRegisterClient(opts: RedisRegisterOptions = {}): ClientFactory {
  const prefix = opts.keyPrefix ?? '';
  return {
    name: 'redis',
    async open(ctx: ClientContext): Promise<Client> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const redis = connection(endpoint, ctx.opTimeoutMs);
      // Defined once per connection (not per op); ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
      redis.defineCommand('faultlineCas', { numberOfKeys: 1, lua: CAS_LUA });
      const client = new RedisRegisterClient(redis as CasRedis, prefix, node, ctx.opTimeoutMs);
      // An unreachable node is not an error here: ioredis keeps reconnecting and ops fail (unsent) until it is up.
      await redis.connect().catch(() => undefined);
      return client;
    },
    async setup(endpoints): Promise<void> {
      for (const { node, endpoint } of endpoints) {
        const redis = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 5000, commandTimeout: 10_000, maxRetriesPerRequest: 1 });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          if (prefix === '') {
            await redis.flushall();
          } else {
            let cursor = '0';
            do {
              const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
              cursor = nextCursor;
              if (keys.length > 0) await redis.del(...keys);
            } while (cursor !== '0');
          }
        } catch (e) {
          // Replicas refuse writes; clearing the primary clears them through replication.
          if (!/READONLY/.test(message(e))) throw new Error(`redis register setup on ${node} (${endpoint.host}:${endpoint.port}) failed: ${message(e)}`);
        } finally {
          redis.disconnect(false);
        }
      }
    },
  };
}

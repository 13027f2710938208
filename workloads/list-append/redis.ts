/**
 * List-append client for one Redis node: each txn is one `MULTI` … `EXEC` with `RPUSH key v` per append and
 * `LRANGE key 0 -1` per read, so Redis runs it atomically and the reads come back filled in.
 *
 * Outcome rules (txn-anomalies.md §1), on top of ../redis-honest.ts:
 * - not connected / aborted before sending / ioredis refused to write -> fail (nothing reached Redis);
 * - `EXECABORT` (a command was refused while queueing, e.g. OOM) -> fail: Redis discarded the whole txn;
 * - EXEC sent but no reply (timeout, connection lost, abort) -> info; a read-only txn -> fail (it has no effect);
 * - EXEC ran but some commands answered with an error: Redis does not roll back, so -> info when any append
 *   succeeded (partly applied: neither ok nor fail is true), fail when every append was refused.
 *
 * Also home of the list-append op parser shared with ./etcd.ts.
 */
import type { Redis } from 'ioredis';
import { pickEndpoint } from '../register/redis-client.js';
import { clearRedisKeys, closeQuietly, openHonestRedis, redisWriteFailure, unsendable, type RedisLink } from '../redis-honest.js';
import { message, settle } from '../settle.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';

/** An append micro-op: add `value` (positive integer, unique per key) to the end of list `key`. */
export type AppendMop = readonly ['append', number, number];
/** A read micro-op as invoked (`null`) or completed (the whole list). */
export type ReadMop = readonly ['r', number, null | readonly number[]];
/** One micro-op of a list-append txn. */
export type ListAppendMop = AppendMop | ReadMop;

/** The default key prefix of every faultline transactional client (`faultline:la:<k>` on Redis). */
export const DEFAULT_TXN_PREFIX = 'faultline';

const isKey = (k: unknown): k is number => typeof k === 'number' && Number.isSafeInteger(k) && k >= 0;
const isElement = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * Validates an invoked list-append txn (`[['append', k, v] | ['r', k, null], ...]`) so a malformed op is refused
 * with a precise message before anything is sent. `who` names the caller in the error.
 */
export function parseListAppendTxn(value: unknown, who: string): ListAppendMop[] {
  if (!Array.isArray(value)) throw new Error(`${who}: a txn value must be an array of micro-ops, got ${JSON.stringify(value)}`);
  return value.map((m: unknown, i): ListAppendMop => {
    const at = `${who}: micro-op ${i} (${JSON.stringify(m)})`;
    if (!Array.isArray(m) || m.length !== 3) throw new Error(`${at} must be ['append', key, value] or ['r', key, null]`);
    const [f, k, v] = m as [unknown, unknown, unknown];
    if (!isKey(k)) throw new Error(`${at}: the key must be a non-negative integer`);
    if (f === 'append') {
      if (!isElement(v)) throw new Error(`${at}: the appended value must be a positive integer`);
      return ['append', k, v];
    }
    if (f === 'r') {
      if (v !== null) throw new Error(`${at}: a read is invoked with null, not a value`);
      return ['r', k, null];
    }
    throw new Error(`${at}: unknown micro-op ${JSON.stringify(f)}; expected 'append' or 'r'`);
  });
}

/** Parses one stored list element (a decimal string); undefined when it is not a positive integer. */
export function parseElement(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Where the lists live and which node to talk to. */
export interface RedisListAppendOptions {
  /** Keys are `<prefix>:la:<k>` (default `faultline`); `setup` deletes every key under `<prefix>:la:`. */
  prefix?: string;
  /** Which node: an index into `ctx.endpoints` or a node name (default: the first, i.e. the primary). */
  node?: number | string;
}

class RedisListAppendClient implements Client {
  constructor(
    private readonly redis: Redis,
    private readonly link: RedisLink,
    private readonly keyPrefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (op.f !== 'txn') throw new Error(`list-append client (redis): unknown f ${JSON.stringify(op.f)}; expected txn`);
    const mops = parseListAppendTxn(op.value, 'list-append client (redis)');
    const node = this.node;
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    if (mops.length === 0) return { type: 'ok', value: [], node };
    const writes = mops.some((m) => m[0] === 'append');

    const multi = this.redis.multi();
    for (const [f, k, v] of mops) {
      if (f === 'append') multi.rpush(this.keyPrefix + k, String(v));
      else multi.lrange(this.keyPrefix + k, 0, -1);
    }
    const r = await settle(multi.exec(), signal, this.timeoutMs);
    if (!r.ok) {
      // Rule: a read-only txn that did not complete had no effect -> fail, whatever went wrong.
      if (!writes) return { type: 'fail', error: `${r.cause}: ${message(r.error)}`, node };
      // Rule: not written or an error reply to EXEC (EXECABORT: discarded) -> fail; sent but unanswered -> info.
      return redisWriteFailure(r, node);
    }
    // Rule: a nil EXEC means Redis aborted the txn (only WATCH does that; we never WATCH) -> fail.
    if (r.value === null) return { type: 'fail', error: 'EXEC returned nil: the txn was aborted', node };

    const errors: string[] = [];
    let appended = 0;
    const out = mops.map((m, i): ListAppendMop => {
      const [err, reply] = r.value![i] ?? [new Error('no reply for this command'), undefined];
      if (err) {
        errors.push(`micro-op ${i} (${m[0]} ${m[1]}): ${message(err)}`);
        return m;
      }
      if (m[0] === 'append') {
        appended++;
        return m;
      }
      const list = Array.isArray(reply) ? reply.map((e) => parseElement(String(e))) : [undefined];
      if (list.some((e) => e === undefined)) {
        errors.push(`micro-op ${i}: key ${this.keyPrefix + m[1]} holds ${JSON.stringify(reply)}, not a list of positive integers`);
        return m;
      }
      return ['r', m[1], list as number[]];
    });
    if (errors.length === 0) return { type: 'ok', value: out, node };
    // Rule: nothing was appended (every append refused, or a read-only txn) -> fail: no effect at all.
    if (appended === 0) return { type: 'fail', error: `EXEC ran, but: ${errors.join('; ')}`, node };
    // Rule: some appends applied, something else failed: Redis does not roll back, so the effect is partial -> info.
    return { type: 'info', error: `EXEC partly applied: ${errors.join('; ')}`, node };
  }

  async close(): Promise<void> {
    closeQuietly(this.redis);
  }
}

/** List-append over Redis lists, one MULTI/EXEC per txn; one connection per worker, reopened after an `info`. */
export function redisListAppendClient(opts: RedisListAppendOptions = {}): ClientFactory {
  const keyPrefix = `${opts.prefix ?? DEFAULT_TXN_PREFIX}:la:`;
  return {
    name: 'redis',
    async open(ctx: ClientContext): Promise<Client> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const { redis, link } = await openHonestRedis(endpoint, ctx.opTimeoutMs);
      return new RedisListAppendClient(redis, link, keyPrefix, node, ctx.opTimeoutMs);
    },
    async setup(endpoints): Promise<void> {
      await clearRedisKeys(endpoints, [keyPrefix], 'redis list-append setup');
    },
  };
}

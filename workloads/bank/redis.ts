/**
 * Bank clients for one Redis node, balances in `<prefix>:acct:<i>` as decimal strings. Three ways to transfer, to
 * show what each buys:
 * - `naive`: GET, GET, check, SET, SET as separate commands. Two concurrent transfers that read the same balance
 *   both write from it, so one update is lost and the total drifts: deliberately unsafe.
 * - `watch`: optimistic: WATCH both keys, read, check, then MULTI SET SET EXEC; a nil EXEC (a watched key
 *   changed) -> fail `conflict`.
 * - `lua`: one EVAL checks the funds and moves the money atomically.
 * Reads (all kinds) are one MGET of every account: a single atomic command, so it sees one state.
 *
 * Outcome rules (txn-anomalies.md §1, on top of ../redis-honest.ts): any failure before the first write -> fail;
 * insufficient funds -> fail `insufficient-funds` (nothing written); a write sent but unanswered -> info; naive:
 * anything that goes wrong after the first SET -> info (the money may be half moved).
 *
 * Also home of the bank op parsing shared with ./etcd.ts.
 */
import { Redis } from 'ioredis';
import type { Endpoint } from '../../harness/backends/types.js';
import { pickEndpoint } from '../register/redis-client.js';
import { clearRedisKeys, closeQuietly, openHonestRedis, redisWriteFailure, unsendable, type RedisLink } from '../redis-honest.js';
import { message, settle, type Settled } from '../settle.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { accountIds, initialBalances, type BankSetup } from './accounts.js';

/** The default key prefix (`faultline:acct:<i>` on Redis, `faultline/acct/<i>` on etcd). */
export const DEFAULT_BANK_PREFIX = 'faultline';

/** How a Redis bank client transfers (see the file comment). */
export type RedisBankKind = 'naive' | 'watch' | 'lua';

/** A transfer as invoked: move `amount` from account `from` to account `to`. */
export interface Transfer {
  from: number;
  to: number;
  amount: number;
}

/** A read's completed value: balance per account id (as a string key); `null` for an account with no balance. */
export type Balances = Record<string, number | null>;

/** Options shared by the Redis and etcd bank clients. */
export interface BankClientOptions {
  /** Key prefix (default `faultline`); `setup` deletes every account key under it and writes fresh balances. */
  prefix?: string;
  /**
   * Awaited between a transfer's read and its write (naive, watch and etcd; lua has no such gap): lets tests and
   * demonstrations force an interleaving, e.g. two transfers that both read before either writes.
   */
  afterRead?: (op: OpRequest) => Promise<void>;
}

/** Redis bank options: the shared ones plus which node to talk to. */
export interface RedisBankOptions extends BankClientOptions {
  /** An index into `ctx.endpoints` or a node name (default: the first, i.e. the primary). */
  node?: number | string;
}

/** Refuses a setup no bank can run (no accounts, fractional or negative money), naming the bad field. */
export function checkBankSetup(setup: BankSetup, who: string): void {
  if (!Number.isSafeInteger(setup.accounts) || setup.accounts < 1) throw new Error(`${who}: accounts must be a positive integer, got ${JSON.stringify(setup.accounts)}`);
  if (!Number.isSafeInteger(setup.total) || setup.total < 0) throw new Error(`${who}: total must be a non-negative integer, got ${JSON.stringify(setup.total)}`);
}

/** Validates an invoked transfer against the setup, so a malformed op is refused before anything is sent. */
export function parseTransfer(value: unknown, setup: BankSetup, who: string): Transfer {
  const at = `${who}: transfer ${JSON.stringify(value)}`;
  if (typeof value !== 'object' || value === null) throw new Error(`${at} must be {from, to, amount}`);
  const { from, to, amount } = value as Record<string, unknown>;
  const account = (a: unknown): a is number => typeof a === 'number' && Number.isSafeInteger(a) && a >= 0 && a < setup.accounts;
  if (!account(from) || !account(to)) throw new Error(`${at}: from and to must be account ids 0..${setup.accounts - 1}`);
  if (from === to) throw new Error(`${at}: from and to must be different accounts`);
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) throw new Error(`${at}: amount must be a positive integer`);
  return { from, to, amount };
}

/** Parses a stored balance (a decimal integer string); undefined when it is anything else. */
export function parseBalance(text: string): number | undefined {
  if (!/^-?[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** Throws the op's f back at a caller that sent something other than transfer or read. */
export function unknownBankOp(op: OpRequest, who: string): never {
  throw new Error(`${who}: unknown f ${JSON.stringify(op.f)}; expected transfer or read`);
}

/**
 * KEYS: [1] from, [2] to. ARGV: [1] amount. Returns 1 when it moved the money, 0 on insufficient funds. Every
 * check runs before the first write (and DECRBY / INCRBY cannot fail on checked integers), so an error reply
 * means nothing changed.
 */
const TRANSFER_LUA = `local f = redis.call('GET', KEYS[1])
local t = redis.call('GET', KEYS[2])
if not f or not t then return redis.error_reply('account without a balance: ' .. (f and KEYS[2] or KEYS[1])) end
if not string.match(f, '^-?%d+$') or not string.match(t, '^-?%d+$') then
  return redis.error_reply('non-integer balance in ' .. KEYS[1] .. ' or ' .. KEYS[2])
end
if tonumber(f) < tonumber(ARGV[1]) then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
return 1`;

type BankRedis = Redis & { faultlineTransfer(from: string, to: string, amount: number): Promise<number> };

const why = (r: Settled<unknown> & { ok: false }): string => `${r.cause}: ${message(r.error)}`;

class RedisBankClient implements Client {
  private readonly who: string;

  constructor(
    private readonly kind: RedisBankKind,
    private readonly setup: BankSetup,
    private readonly redis: BankRedis,
    private readonly link: RedisLink,
    private readonly keyPrefix: string,
    private readonly node: string,
    private readonly timeoutMs: number,
    private readonly afterRead: ((op: OpRequest) => Promise<void>) | undefined,
  ) {
    this.who = `bank client (redis ${kind})`;
  }

  private key(account: number): string {
    return this.keyPrefix + account;
  }

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (op.f === 'read') return this.read(signal);
    if (op.f !== 'transfer') unknownBankOp(op, this.who);
    const t = parseTransfer(op.value, this.setup, this.who);
    const refused = unsendable(this.link, signal, this.node);
    if (refused) return refused;
    const deadline = performance.now() + this.timeoutMs;
    if (this.kind === 'lua') return this.transferLua(t, signal);
    if (this.kind === 'watch') return this.transferWatch(op, t, signal, deadline);
    return this.transferNaive(op, t, signal, deadline);
  }

  /** One MGET of every account -> balances; a read has no effect, so every failure is `fail`. */
  private async read(signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const refused = unsendable(this.link, signal, node);
    if (refused) return refused;
    const ids = accountIds(this.setup);
    const r = await settle(this.redis.mget(ids.map((a) => this.key(a))), signal, this.timeoutMs);
    if (!r.ok) return { type: 'fail', error: why(r), node };
    const balances: Balances = {};
    for (const a of ids) {
      const text = r.value[a];
      if (text === null || text === undefined) {
        balances[String(a)] = null;
        continue;
      }
      const n = parseBalance(text);
      if (n === undefined) return { type: 'fail', error: `read: ${this.key(a)} holds ${JSON.stringify(text)}, not an integer balance`, node };
      balances[String(a)] = n;
    }
    return { type: 'ok', value: balances, node };
  }

  /** Parses both balances and checks the funds: a fail outcome, or the balances to write from. */
  private funds(t: Transfer, fromText: string | null | undefined, toText: string | null | undefined): OpOutcome | { from: number; to: number } {
    const node = this.node;
    for (const [a, text] of [[t.from, fromText], [t.to, toText]] as const) {
      if (text === null || text === undefined) return { type: 'fail', error: `account ${a} has no balance (was setup run?)`, node };
      if (parseBalance(text) === undefined) return { type: 'fail', error: `${this.key(a)} holds ${JSON.stringify(text)}, not an integer balance`, node };
    }
    const from = parseBalance(fromText!)!;
    const to = parseBalance(toText!)!;
    // Rule: the transfer would make `from` negative -> fail, nothing written.
    if (from < t.amount) return { type: 'fail', error: 'insufficient-funds', node };
    return { from, to };
  }

  /** Why no write may be sent now (aborted, out of time, disconnected), or undefined. Nothing written so far. */
  private mayWrite(signal: AbortSignal, deadline: number): OpOutcome | undefined {
    if (performance.now() >= deadline) return { type: 'fail', error: `no time left to write (op timeout ${this.timeoutMs} ms)`, node: this.node };
    return unsendable(this.link, signal, this.node);
  }

  private async transferNaive(op: OpRequest, t: Transfer, signal: AbortSignal, deadline: number): Promise<OpOutcome> {
    const node = this.node;
    const left = () => Math.max(1, deadline - performance.now());
    // Separate round trips on purpose: the wider the gap between read and write, the likelier a lost update.
    const rf = await settle(this.redis.get(this.key(t.from)), signal, left());
    if (!rf.ok) return { type: 'fail', error: `read ${t.from}: ${why(rf)}`, node };
    const rt = await settle(this.redis.get(this.key(t.to)), signal, left());
    if (!rt.ok) return { type: 'fail', error: `read ${t.to}: ${why(rt)}`, node };
    const f = this.funds(t, rf.value, rt.value);
    if ('type' in f) return f;
    await this.afterRead?.(op);
    const stop = this.mayWrite(signal, deadline);
    if (stop) return stop;
    const w1 = await settle(this.redis.set(this.key(t.from), String(f.from - t.amount)), signal, left());
    // Rule: the first SET not written / refused -> fail (nothing changed); sent but unanswered -> info.
    if (!w1.ok) return redisWriteFailure(w1, node);
    const w2 = await settle(this.redis.set(this.key(t.to), String(f.to + t.amount)), signal, left());
    // Rule: anything after the first SET applied -> info: the debit happened, the credit may not have.
    if (!w2.ok) return { type: 'info', error: `debited ${t.from}, credit of ${t.to} unconfirmed: ${why(w2)}`, node };
    return { type: 'ok', node };
  }

  private async transferWatch(op: OpRequest, t: Transfer, signal: AbortSignal, deadline: number): Promise<OpOutcome> {
    const node = this.node;
    const left = () => Math.max(1, deadline - performance.now());
    const [kf, kt] = [this.key(t.from), this.key(t.to)];
    const w = await settle(this.redis.watch(kf, kt), signal, left());
    if (!w.ok) return this.unwatched({ type: 'fail', error: `watch: ${why(w)}`, node });
    const r = await settle(this.redis.mget(kf, kt), signal, left());
    if (!r.ok) return this.unwatched({ type: 'fail', error: `read: ${why(r)}`, node });
    const f = this.funds(t, r.value[0], r.value[1]);
    if ('type' in f) return this.unwatched(f);
    await this.afterRead?.(op);
    const stop = this.mayWrite(signal, deadline);
    if (stop) return this.unwatched(stop);
    const x = await settle(this.redis.multi().set(kf, String(f.from - t.amount)).set(kt, String(f.to + t.amount)).exec(), signal, left());
    // Rule: not written / EXECABORT -> fail; EXEC sent but unanswered -> info.
    if (!x.ok) return redisWriteFailure(x, node);
    // Rule: nil EXEC -> a watched key changed since our read, Redis ran nothing -> fail conflict.
    if (x.value === null) return { type: 'fail', error: 'conflict', node };
    const errors = x.value.map(([e], i) => (e ? `SET ${i === 0 ? kf : kt}: ${message(e)}` : '')).filter((s) => s !== '');
    if (errors.length === 0) return { type: 'ok', node };
    // Rule: EXEC ran with an error reply inside: no rollback in Redis -> fail if both SETs were refused, else info.
    if (errors.length === 2) return { type: 'fail', error: errors.join('; '), node };
    return { type: 'info', error: `EXEC partly applied: ${errors.join('; ')}`, node };
  }

  /** Drops our watches (best effort, unawaited: the next EXEC or UNWATCH clears them anyway) and returns `out`. */
  private unwatched(out: OpOutcome): OpOutcome {
    if (this.link.notReady() === undefined) this.redis.unwatch().catch(() => undefined);
    return out;
  }

  private async transferLua(t: Transfer, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    const r = await settle(this.redis.faultlineTransfer(this.key(t.from), this.key(t.to), t.amount), signal, this.timeoutMs);
    // Rule: not written / error reply (checks precede writes) -> fail; sent but unanswered -> info.
    if (!r.ok) return redisWriteFailure(r, node);
    // Rule: 0 -> the script found too little money and wrote nothing -> fail.
    if (r.value === 0) return { type: 'fail', error: 'insufficient-funds', node };
    if (r.value === 1) return { type: 'ok', node };
    return { type: 'info', error: `transfer script answered ${JSON.stringify(r.value)}, expected 0 or 1`, node };
  }

  async close(): Promise<void> {
    closeQuietly(this.redis);
  }
}

/** Writes the starting balances to one node (the primary), after deleting every account key on every node. */
async function writeBalances(endpoints: readonly { node: string; endpoint: Endpoint }[], keyPrefix: string, setup: BankSetup): Promise<void> {
  await clearRedisKeys(endpoints, [keyPrefix], 'redis bank setup');
  const { node, endpoint } = pickEndpoint(endpoints, undefined);
  const redis = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 5000, commandTimeout: 10_000, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const args = [...initialBalances(setup)].flatMap(([a, b]) => [keyPrefix + a, String(b)]);
    await redis.mset(...args);
  } catch (e) {
    throw new Error(`redis bank setup on ${node} (${endpoint.host}:${endpoint.port}) failed: ${message(e)}`);
  } finally {
    closeQuietly(redis);
  }
}

/**
 * Bank over Redis, transferring the `kind` way (see the file comment); `setup` writes `initialBalances(setup)` to
 * the first node. One connection per worker (WATCH state is per connection), reopened after an `info`.
 */
export function redisBankClient(kind: RedisBankKind, setup: BankSetup, opts: RedisBankOptions = {}): ClientFactory {
  if (kind !== 'naive' && kind !== 'watch' && kind !== 'lua') throw new Error(`redis bank client: unknown kind ${JSON.stringify(kind)}; expected naive, watch or lua`);
  checkBankSetup(setup, `redis bank client (${kind})`);
  const keyPrefix = `${opts.prefix ?? DEFAULT_BANK_PREFIX}:acct:`;
  return {
    name: `redis-${kind}`,
    async open(ctx: ClientContext): Promise<Client> {
      const { node, endpoint } = pickEndpoint(ctx.endpoints, opts.node);
      const { redis, link } = await openHonestRedis(endpoint, ctx.opTimeoutMs);
      // Defined once per connection; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
      redis.defineCommand('faultlineTransfer', { numberOfKeys: 2, lua: TRANSFER_LUA });
      return new RedisBankClient(kind, setup, redis as BankRedis, link, keyPrefix, node, ctx.opTimeoutMs, opts.afterRead);
    },
    async setup(endpoints): Promise<void> {
      await writeBalances(endpoints, keyPrefix, setup);
    },
  };
}

/**
 * Redlock over every node in `ctx.endpoints` (3 or 5 independent Redis nodes), through the `redlock` package
 * 5.0.0-beta.2 (lock-safety.md §2, §6), so the harness tests the library people actually install, not our idea of
 * the algorithm. Two things the library does not do and this client adds, because the outcome must be honest:
 * - it returns locks whose validity window has already closed (a pause during acquisition): we check
 *   `lock.expiration` ourselves and refuse such a grant;
 * - it folds every per-node vote into one "unable to achieve a quorum" error: we read the votes to tell "certainly
 *   not ours" (fail) from "our value may sit on a quorum" (info).
 *
 * Facts from the redlock 5.0.0-beta.2 source (node_modules/redlock/dist/esm/index.js) this file relies on:
 * - One random value per `acquire` call, reused by every retry attempt; no release between attempts, so keys set
 *   by an early attempt stay until the final cleanup or their TTL (and make later attempts see "locked" there).
 * - An attempt sends the script to every node and decides as soon as a quorum (floor(N/2)+1) of votes agrees; the
 *   other votes keep arriving, and `attempts[i]` (a promise of the vote tally) settles once all are in. A vote is
 *   "for" when the script returned 1, else "against" with the error: `ResourceLockedError` (script returned 0: it
 *   wrote nothing), or whatever ioredis rejected with (EVALSHA, then EVAL after NOSCRIPT).
 * - On a failed acquire it runs the release script once on every node (retryCount 0), waits for that attempt's
 *   quorum decision, ignores its result, and throws `ExecutionError` (the acquire's attempts attached).
 * - `release` sets `lock.expiration = 0` and runs the compare-and-delete script; a node where our value is absent
 *   votes against with `ResourceLockedError`, so releasing an expired lock rejects too.
 * - Its `.d.ts` is not reachable through its `exports` map, so the API we use is typed below.
 *
 * Outcome rules (each one again next to its code). "Our value may be on a node" = some attempt's vote there was
 * "for", or an unknown outcome (timeout, connection lost mid-command).
 * - acquire ok: a quorum voted for, and `lock.expiration > Date.now()`.
 * - acquire fail: a quorum voted for but the validity already ended (released best effort; the keys expire by their
 *   TTL anyway and nobody ever uses them); or no quorum, and our value may be on fewer than a quorum of nodes
 *   (that minority cannot make the lock ours; redlock tried to delete it, else it expires). The message says which:
 *   `held` (a quorum locked by others) or `no quorum` (nodes unreachable / refusing), with every node's vote.
 * - acquire info: our value may be on a quorum (redlock's cleanup is best effort and its result unreported, so a
 *   swallowed reply can leave the lock held for us); timeout or abort; any error other than redlock's.
 * - release ok: a quorum deleted our value (wasHeld true), or fewer than a quorum can still carry it because the
 *   others deleted it or proved it absent (wasHeld false: it had expired).
 * - release fail: a quorum provably unchanged (command never sent, or an error reply). release info: otherwise.
 *
 * Timing: every ioredis command is bounded by a third of the op timeout, so a failed acquire (attempt + cleanup +
 * the remaining votes) normally completes, with every vote known, inside `ctx.opTimeoutMs`.
 */
// @ts-expect-error -- redlock 5.0.0-beta.2 ships dist/index.d.ts, but its "exports" map hides it (TS7016).
import RedlockModule from 'redlock';
import type { Redis } from 'ioredis';
import { clearRedisKeys, closeQuietly, NOT_WRITTEN, openHonestRedis, type RedisLink } from '../redis-honest.js';
import { message, settle } from '../settle.js';
import type { OpOutcome } from '../types.js';
import { DEFAULT_LOCK_PREFIX } from './redis-naive.js';
import type { LockBackend, LockContext, LockSession } from './types.js';

export interface RedlockOptions {
  /** Extra attempts inside one acquire (redlock's own default is 10; ours is 0: the workload retries). */
  retryCount?: number;
  /** Clock drift allowance as a fraction of the TTL (redlock default 0.01). */
  driftFactor?: number;
  /** Prepended to every lock name (default `faultline:lock:`); `setup` deletes every key starting with it. */
  keyPrefix?: string;
}

/** The parts of redlock 5.0.0-beta.2's API this client uses (see its dist/index.d.ts). */
interface Settings {
  driftFactor: number;
  retryCount: number;
  retryDelay: number;
  retryJitter: number;
  automaticExtensionThreshold: number;
}
interface ExecutionStats {
  readonly membershipSize: number;
  readonly quorumSize: number;
  readonly votesFor: Set<Redis>;
  readonly votesAgainst: Map<Redis, Error>;
}
interface RedlockLock {
  readonly resources: string[];
  readonly value: string;
  /** Wall-clock ms (Date.now()) until which the lock is valid; 0 after release. */
  expiration: number;
}
interface Redlock {
  acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<RedlockLock>;
  release(lock: RedlockLock, settings?: Partial<Settings>): Promise<{ attempts: ReadonlyArray<Promise<ExecutionStats>> }>;
}
type RedlockClass = new (clients: Iterable<Redis>, settings?: Partial<Settings>) => Redlock;

/** The class itself under ESM; `{ default: class }` if a loader ever hands us the CommonJS build. */
const RedlockCtor: RedlockClass = typeof RedlockModule === 'function' ? RedlockModule : (RedlockModule as { default: RedlockClass }).default;

/** The vote tallies an `ExecutionError` carries, or undefined for any other error. */
function attemptsOf(e: unknown): ReadonlyArray<Promise<ExecutionStats>> | undefined {
  const attempts = (e as { attempts?: unknown } | null)?.attempts;
  return (e as Error | null)?.name === 'ExecutionError' && Array.isArray(attempts) ? attempts : undefined;
}

/**
 * What one node's "against" vote proves:
 * - `locked`: the script ran and returned 0. Acquire: another value is there, nothing was written. Release: our
 *   value is not there (expired, or never set), nothing was deleted.
 * - `unsent`: ioredis refused to write the command (not connected): the node is unchanged.
 * - `refused`: Redis answered with an error (scripts check before they write): the node is unchanged.
 * - `unknown`: written but unanswered (timeout, connection lost mid-command) or a reply we cannot read: the script
 *   may have run.
 */
type VoteKind = 'locked' | 'unsent' | 'refused' | 'unknown';
function voteKind(e: Error): VoteKind {
  if (e.name === 'ResourceLockedError') return 'locked';
  if (e.message === NOT_WRITTEN) return 'unsent';
  if (e.name === 'ReplyError') return 'refused';
  return 'unknown';
}

class RedlockSession implements LockSession {
  /** Locks we reported as acquired and have not yet certainly released. */
  private readonly held = new Map<string, RedlockLock>();

  constructor(
    private readonly redlock: Redlock,
    private readonly nodes: ReadonlyMap<Redis, { node: string; link: RedisLink }>,
    private readonly prefix: string,
    private readonly opTimeoutMs: number,
    private readonly ttlMs: number,
  ) {}

  private name(c: Redis): string {
    return this.nodes.get(c)?.node ?? '?';
  }

  /** One node's "against" vote in words; `locked` reads differently for acquire and release. */
  private describe(c: Redis, e: Error, op: 'acquire' | 'release'): string {
    const kind = voteKind(e);
    if (kind === 'locked') return `${this.name(c)} ${op === 'acquire' ? 'locked by another holder' : 'not ours (expired)'}`;
    if (kind === 'unsent') {
      const last = this.nodes.get(c)?.link.lastError;
      return `${this.name(c)} unreachable (not connected${last ? `: ${last}` : ''})`;
    }
    if (kind === 'refused') return `${this.name(c)} refused (${e.message})`;
    return `${this.name(c)} unknown (${e.message})`;
  }

  /** Waits for every vote of every attempt, but not past `deadline` (performance.now() ms) or the signal. */
  private async tallies(attempts: ReadonlyArray<Promise<ExecutionStats>>, signal: AbortSignal, deadline: number): Promise<ExecutionStats[] | undefined> {
    if (attempts.length === 0) return undefined;
    const r = await settle(Promise.all(attempts), signal, Math.max(0, deadline - performance.now()));
    return r.ok ? r.value : undefined;
  }

  /** Best-effort release of a grant we will not use; never throws, never waits past `deadline`. */
  private async discard(lock: RedlockLock, signal: AbortSignal, deadline: number): Promise<void> {
    const p = this.redlock.release(lock, { retryCount: 0 });
    p.catch(() => undefined);
    await settle(p, signal, Math.max(0, deadline - performance.now()));
  }

  async acquire(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    // Rule: aborted before anything was sent -> fail.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const deadline = performance.now() + this.opTimeoutMs;
    const t0 = Date.now();
    const pending = this.redlock.acquire([this.prefix + lock], this.ttlMs);
    const r = await settle(pending, signal, this.opTimeoutMs);

    if (r.ok) {
      const granted = r.value;
      const now = Date.now();
      // Rule: a quorum said yes but the validity window (start + ttl - drift, wall clock) has already closed ->
      // fail. redlock 5 returns such locks as if valid (a pause or slow replies during acquisition). Our keys
      // expire on their own by their TTL and we never act on them; we also delete them now, best effort.
      if (granted.expiration <= now) {
        const late = now - granted.expiration;
        await this.discard(granted, signal, deadline);
        return { type: 'fail', error: `granted too late: the lock's validity ended ${late} ms before acquire returned (ttl ${this.ttlMs} ms, acquire took ${now - t0} ms); released it` };
      }
      // Rule: a quorum said yes within the validity window -> ok. Redlock has no fencing token.
      this.held.set(lock, granted);
      return { type: 'ok', value: { token: null } };
    }

    if (r.cause !== 'error') {
      // Rule: timeout or abort while redlock was still voting -> info: scripts were sent and may have run on a
      // quorum. Should the acquire still turn into a lock, we give it back at once.
      pending.then((late) => this.discard(late, new AbortController().signal, performance.now() + this.opTimeoutMs), () => undefined);
      return { type: 'info', error: `${r.cause}: ${message(r.error)}` };
    }

    const attempts = attemptsOf(r.error);
    // Rule: anything but redlock's quorum error (a bug, an unexpected library error) -> info: we cannot tell what
    // was sent.
    if (!attempts) return { type: 'info', error: `redlock: ${message(r.error)}` };
    const stats = await this.tallies(attempts, signal, deadline);
    // Rule: some vote still outstanding when our time is up -> info.
    if (!stats) return { type: 'info', error: `no quorum, and some votes were still outstanding after ${this.opTimeoutMs} ms` };

    // Our value may be on a node if any attempt got a "for" vote there, or an unknown outcome. Votes that prove the
    // node unchanged (locked / unsent / refused) take it off the list. Union over attempts: redlock releases
    // nothing between retries.
    const maybeOurs = new Set<Redis>();
    for (const s of stats) {
      for (const c of s.votesFor) maybeOurs.add(c);
      for (const [c, e] of s.votesAgainst) if (voteKind(e) === 'unknown') maybeOurs.add(c);
    }
    const last = stats[stats.length - 1]!;
    const quorum = last.quorumSize;
    const votes = [...[...last.votesFor].map((c) => `${this.name(c)} granted`), ...[...last.votesAgainst].map(([c, e]) => this.describe(c, e, 'acquire'))].sort();
    const tries = stats.length > 1 ? ` after ${stats.length} attempts` : '';
    // Rule: our value may sit on a quorum of nodes (for + unknown >= quorum) -> info. redlock's cleanup release
    // was best effort and its result is not reported, so we cannot claim those keys are gone.
    if (maybeOurs.size >= quorum) {
      return { type: 'info', error: `no quorum confirmed${tries}, but our value may be on ${maybeOurs.size} of ${last.membershipSize} nodes (quorum ${quorum}): ${votes.join(', ')}` };
    }
    // Rule: otherwise -> fail. At most a minority holds our value: redlock already tried to delete it there, and
    // whatever survives expires by its TTL; no minority can make the lock ours, and we never believe we hold it.
    const locked = [...last.votesAgainst.values()].filter((e) => voteKind(e) === 'locked').length;
    const why = locked >= quorum ? 'held' : 'no quorum';
    return { type: 'fail', error: `${why}: ${quorum} of ${last.membershipSize} nodes needed${tries}: ${votes.join(', ')}` };
  }

  async release(lock: string, signal: AbortSignal): Promise<OpOutcome> {
    const granted = this.held.get(lock);
    // Rule: this session never reported a grant of `lock` (or already released it) -> ok, wasHeld false.
    if (!granted) return { type: 'ok', value: { wasHeld: false } };
    // Rule: aborted before anything was sent -> fail (still held until its TTL).
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const deadline = performance.now() + this.opTimeoutMs;
    // What lock.release() does, minus retries (it would use the instance's retryCount): one attempt, the
    // workload decides whether to try again.
    const r = await settle(this.redlock.release(granted, { retryCount: 0 }), signal, this.opTimeoutMs);
    // Rule: a quorum deleted our value -> ok; what is left sits on a minority and expires by its TTL.
    if (r.ok) {
      this.held.delete(lock);
      return { type: 'ok', value: { wasHeld: true } };
    }
    // Rule: timeout / abort -> info (the deletes were sent).
    if (r.cause !== 'error') return { type: 'info', error: `${r.cause}: ${message(r.error)}` };
    const attempts = attemptsOf(r.error);
    if (!attempts) return { type: 'info', error: `redlock: ${message(r.error)}` };
    const stats = await this.tallies(attempts, signal, deadline);
    if (!stats) return { type: 'info', error: `release reached no quorum, and some votes were still outstanding after ${this.opTimeoutMs} ms` };
    const s = stats[stats.length - 1]!;
    const quorum = s.quorumSize;
    // Our value is certainly gone where the script deleted it (for) or found it absent (locked); certainly still
    // there (until its TTL) where the command was never sent or was refused; unknown elsewhere.
    let gone = s.votesFor.size;
    let stays = 0;
    for (const e of s.votesAgainst.values()) {
      const kind = voteKind(e);
      if (kind === 'locked') gone++;
      else if (kind !== 'unknown') stays++;
    }
    const votes = [...[...s.votesFor].map((c) => `${this.name(c)} released`), ...[...s.votesAgainst].map(([c, e]) => this.describe(c, e, 'release'))].sort();
    // Rule: fewer than a quorum of nodes can still carry our value -> ok, wasHeld false: we certainly do not hold
    // the lock now, and we found it no longer held by us on a quorum (its TTL ran out there).
    if (s.membershipSize - gone < quorum) {
      this.held.delete(lock);
      return { type: 'ok', value: { wasHeld: false } };
    }
    // Rule: a quorum provably unchanged (unreachable / refused) -> fail: not released, possibly still held.
    if (stays >= quorum) return { type: 'fail', error: `release reached no quorum (${quorum} of ${s.membershipSize} needed): ${votes.join(', ')}; our value stays there until its TTL` };
    // Rule: otherwise whether a quorum still carries our value depends on unanswered deletes -> info.
    return { type: 'info', error: `release outcome unknown (${quorum} of ${s.membershipSize} needed): ${votes.join(', ')}` };
  }

  async close(): Promise<void> {
    for (const c of this.nodes.keys()) closeQuietly(c);
  }
}

/** Redlock over all of `ctx.endpoints`, one honest connection per node; try-lock (retryCount 0) by default. */
export function redlockLock(opts: RedlockOptions = {}): LockBackend {
  const prefix = opts.keyPrefix ?? DEFAULT_LOCK_PREFIX;
  return {
    name: 'redlock',
    async open(ctx: LockContext): Promise<LockSession> {
      if (ctx.endpoints.length === 0) throw new Error('redlock: no endpoints to connect to');
      const commandTimeoutMs = Math.max(1, Math.floor(ctx.opTimeoutMs / 3));
      const opened = await Promise.all(ctx.endpoints.map(async ({ node, endpoint }) => ({ node, ...(await openHonestRedis(endpoint, commandTimeoutMs)) })));
      const nodes = new Map(opened.map(({ node, redis, link }) => [redis, { node, link }] as const));
      const redlock = new RedlockCtor(
        nodes.keys(),
        {
          retryCount: opts.retryCount ?? 0,
          ...(opts.driftFactor !== undefined ? { driftFactor: opts.driftFactor } : {}),
        },
      );
      // redlock requires an integer duration in ms.
      return new RedlockSession(redlock, nodes, prefix, ctx.opTimeoutMs, Math.max(1, Math.ceil(ctx.ttlMs)));
    },
    async setup(endpoints): Promise<void> {
      await clearRedisKeys(endpoints, [prefix], 'redlock setup');
    },
  };
}

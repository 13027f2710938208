/**
 * What every transactional PostgreSQL client shares: one `pg` connection per worker, `BEGIN ISOLATION LEVEL ...`,
 * the micro-ops in order, `COMMIT`, and the one place that turns how that went into an honest outcome
 * (txn-anomalies.md §1). The workload files only say which SQL a micro-op becomes.
 *
 * Outcome rules (`classifyPgFailure` is the pure part):
 * - anything that goes wrong before COMMIT is sent (connect, an error reply, our deadline, the abort signal, a lost
 *   connection) -> `fail`: a transaction opened with BEGIN commits only on COMMIT, and COMMIT is never sent on a
 *   connection we gave up on (we roll it back, or drop the connection and the server rolls back);
 * - COMMIT answered with SQLSTATE 40001 (serialization failure) or 40P01 (deadlock) -> `fail`;
 * - COMMIT answered `ROLLBACK` (the server had already aborted the transaction) -> `fail`;
 * - COMMIT sent and anything else (connection lost, FATAL from pg_terminate_backend, our deadline, the abort signal,
 *   any other error reply) -> `info`, and the client is not used again; a read-only transaction is the exception:
 *   it changes nothing whether or not it committed, so it ends as `fail`.
 *
 * Timeouts: `statement_timeout` and `lock_timeout` are startup parameters set below the op timeout (default half of
 * it), so a statement waiting on a lock normally ends with a server error (-> fail) well before the op deadline;
 * our own deadline (the op timeout, or the abort signal) bounds everything else. When less than COMMIT_RESERVE_MS
 * is left before COMMIT we roll back and `fail` rather than send a COMMIT that would most likely end as `info`.
 * `idle_in_transaction_session_timeout` ends transactions of a client that stopped talking (a paused client).
 */
import pg from 'pg';
import type { Endpoint } from '../harness/backends/types.js';
import { checkNumberOption, checkOptionKeys, WorkloadOptionsError } from './list-append/generator.js';
import { message, settle, type Settled } from './settle.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from './types.js';

/** The isolation levels PostgreSQL implements (its READ UNCOMMITTED is READ COMMITTED). */
export type PgIsolation = 'read-committed' | 'repeatable-read' | 'serializable';
/** The valid `isolation` values, for option errors. */
export const PG_ISOLATIONS: readonly PgIsolation[] = ['read-committed', 'repeatable-read', 'serializable'];

const ISOLATION_SQL: Record<PgIsolation, string> = {
  'read-committed': 'READ COMMITTED',
  'repeatable-read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/** The statement that opens every transaction at `isolation`. */
export function beginStatement(isolation: PgIsolation): string {
  return `BEGIN ISOLATION LEVEL ${ISOLATION_SQL[isolation]}`;
}

/** SQLSTATEs after which PostgreSQL has certainly rolled the transaction back, even as the reply to COMMIT. */
export const PG_ROLLED_BACK_CODES: ReadonlySet<string> = new Set(['40001', '40P01']);

/** Client knobs shared by the transactional PostgreSQL clients. */
export interface PgTxnOptions {
  /** Default `serializable`. */
  isolation?: PgIsolation;
  /** Table name (lower-case identifier); each workload has its own default, so workloads can share a database. */
  table?: string;
  /** `statement_timeout` and `lock_timeout`, ms; default half the op timeout, never more than op timeout - 1. */
  statementTimeoutMs?: number;
}

/** PgTxnOptions with the defaults filled in. */
export interface ResolvedPgTxnOptions {
  isolation: PgIsolation;
  table: string;
  statementTimeoutMs?: number;
}

/** The option names every transactional PostgreSQL client accepts. */
export const PG_TXN_OPTIONS = ['isolation', 'table', 'statementTimeoutMs'] as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates the shared client options (`extra`: further names the caller checks itself); WorkloadOptionsError if bad. */
export function resolvePgTxnOptions(who: string, options: unknown, defaultTable: string, extra: readonly string[] = []): ResolvedPgTxnOptions {
  const o = checkOptionKeys(who, options, [...PG_TXN_OPTIONS, ...extra]);
  const isolation = o.isolation ?? 'serializable';
  if (typeof isolation !== 'string' || !(PG_ISOLATIONS as readonly string[]).includes(isolation)) {
    throw new WorkloadOptionsError(`${who} option isolation must be one of ${PG_ISOLATIONS.join(', ')}, got ${JSON.stringify(isolation) ?? String(isolation)}`);
  }
  const table = o.table ?? defaultTable;
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new WorkloadOptionsError(`${who} option table must be a lower-case SQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(table) ?? String(table)}`);
  }
  const resolved: ResolvedPgTxnOptions = { isolation: isolation as PgIsolation, table };
  if (o.statementTimeoutMs !== undefined) resolved.statementTimeoutMs = checkNumberOption(who, 'statementTimeoutMs', o.statementTimeoutMs, { integer: true, min: 1 });
  return resolved;
}

/** A server error reply's SQLSTATE and severity (ERROR: the session lives on; FATAL/PANIC: it ends). */
export function pgServerError(e: unknown): { code: string; severity: string } | undefined {
  const x = e as { code?: unknown; severity?: unknown } | null | undefined;
  return typeof x?.code === 'string' && typeof x?.severity === 'string' ? { code: x.code, severity: x.severity } : undefined;
}

/** Where a transaction was when something went wrong. */
export type TxnStage = 'before-commit' | 'commit';

/** How a statement ended badly: an error (reply or connection), our deadline, the abort signal, or never sent. */
export interface PgFailure {
  cause: 'error' | 'timeout' | 'abort' | 'not-sent';
  error: unknown;
}

/** The outcome rules of this module's comment, as a pure function (also what the unit tests pin down). */
export function classifyPgFailure(stage: TxnStage, failure: PgFailure, readOnly: boolean): { type: 'fail' | 'info'; error: string } {
  const s = failure.cause === 'error' ? pgServerError(failure.error) : undefined;
  const text = `${stage === 'commit' ? 'COMMIT' : 'before COMMIT'}: ${failure.cause}: ${message(failure.error)}${s ? ` [SQLSTATE ${s.code}]` : ''}`;
  // Rule: COMMIT was never sent -> fail.
  if (stage === 'before-commit') return { type: 'fail', error: text };
  // Rule: serialization failure / deadlock, even on COMMIT -> fail (PostgreSQL rolled back).
  if (s && PG_ROLLED_BACK_CODES.has(s.code)) return { type: 'fail', error: text };
  // Rule: a read-only transaction has no effect whether or not it committed -> fail.
  if (readOnly) return { type: 'fail', error: `${text} (read-only: no effect either way)` };
  // Rule: COMMIT sent, outcome unknown -> info.
  return { type: 'info', error: text };
}

/** Runs one statement of the current transaction; rejects (and the transaction ends) if the statement does not succeed. */
export type PgQuery = <R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;

/** Returned by a transaction body to roll back on purpose (e.g. `insufficient-funds`); the outcome is `fail`. */
export class PgRollback {
  constructor(readonly error: string) {}
}

/** What a client runs between BEGIN and COMMIT; `readOnly` when it writes nothing (see the outcome rules). */
export interface PgTxnBody<T> {
  readOnly: boolean;
  run(q: PgQuery): Promise<T | PgRollback>;
}

/** Thrown by PgQuery: which statement, and how it failed. */
class StatementFailed extends Error {
  constructor(
    readonly sql: string,
    readonly failure: PgFailure,
  ) {
    super(`${failure.cause}: ${message(failure.error)}`);
  }
}

/** Below this many ms left before COMMIT we roll back instead (a COMMIT that times out would be `info`). */
export const COMMIT_RESERVE_MS = 20;

const NEVER = new AbortController().signal;

/** Server-side timeouts for an op timeout: statement/lock timeout and the idle-in-transaction limit. */
export function pgTimeouts(opTimeoutMs: number, statementTimeoutMs?: number): { statementMs: number; idleInTxnMs: number } {
  const cap = Math.max(1, Math.floor(opTimeoutMs) - 1);
  return {
    statementMs: Math.max(1, Math.min(cap, Math.floor(statementTimeoutMs ?? opTimeoutMs / 2))),
    idleInTxnMs: Math.max(1000, Math.floor(opTimeoutMs * 2)),
  };
}

/** One `pg` connection (one server session) and what we know about its end. */
class TxnConn {
  readonly client: pg.Client;
  /** The first connection-level error or end, as text; set once the session is gone or going. */
  gone?: string;
  ended = false;
  private readonly endWaiters = new Set<() => void>();

  constructor(endpoint: Endpoint, opts: { statementMs: number; idleInTxnMs: number; connectMs: number }) {
    this.client = new pg.Client({
      host: endpoint.host,
      port: endpoint.port,
      user: 'postgres',
      database: 'postgres',
      application_name: 'faultline-txn',
      statement_timeout: opts.statementMs,
      lock_timeout: opts.statementMs,
      idle_in_transaction_session_timeout: opts.idleInTxnMs,
      // Transactions lock rows in whatever order their micro-ops name them, so deadlocks are routine; find them in
      // 50 ms (40P01, a clean fail) instead of the default second, which would idle the workload.
      options: '-c deadlock_timeout=50ms',
      connectionTimeoutMillis: Math.max(1, Math.floor(opts.connectMs)),
      keepAlive: true,
    });
    this.client.on('error', (e: unknown) => {
      const s = pgServerError(e);
      this.gone ??= `connection error: ${message(e)}${s ? ` [SQLSTATE ${s.code}]` : ''}`;
    });
    this.client.on('end', () => {
      this.ended = true;
      this.gone ??= 'connection ended';
      for (const w of this.endWaiters) w();
    });
    this.client.on('notice', () => {});
  }

  /** Drops the connection at once, without waiting for the server (which rolls back an open transaction). */
  destroy(): void {
    this.gone ??= 'abandoned';
    try {
      void this.client.end().catch(() => {});
    } catch {
      // ignore
    }
    try {
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    } catch {
      // ignore
    }
  }

  /** A polite Terminate, then the socket is destroyed if the server has not hung up within `ms`. */
  async close(ms: number): Promise<void> {
    if (this.ended) return;
    try {
      void this.client.end().catch(() => {});
    } catch {
      // ignore
    }
    await new Promise<void>((resolve) => {
      if (this.ended) return resolve();
      const done = (): void => {
        clearTimeout(t);
        this.endWaiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.endWaiters.add(done);
    });
    if (!this.ended) this.destroy();
  }
}

/** One worker's session: reconnects (only) between transactions, runs each transaction with the outcome rules. */
export class PgTxnSession {
  private conn: TxnConn | undefined;
  /** Set after an `info`: the client is not used again (the harness opens a new one). */
  private poisoned: string | undefined;
  private closed = false;
  private readonly begin: string;
  private readonly timeouts: { statementMs: number; idleInTxnMs: number };

  constructor(
    private readonly endpoint: Endpoint,
    readonly node: string,
    private readonly opTimeoutMs: number,
    isolation: PgIsolation,
    statementTimeoutMs?: number,
  ) {
    this.begin = beginStatement(isolation);
    this.timeouts = pgTimeouts(opTimeoutMs, statementTimeoutMs);
  }

  /** The live connection, connecting within `ms` if there is none; a string says why there is none. */
  async connection(ms: number, signal: AbortSignal): Promise<TxnConn | string> {
    if (this.closed) return 'client closed';
    if (this.conn && !this.conn.gone) return this.conn;
    this.conn?.destroy();
    const conn = new TxnConn(this.endpoint, { ...this.timeouts, connectMs: ms });
    this.conn = conn;
    const r = await settle(conn.client.connect(), signal, Math.max(1, ms));
    if (!r.ok) {
      conn.gone ??= `connect: ${r.cause}: ${message(r.error)}`;
      conn.destroy();
      return conn.gone;
    }
    return conn;
  }

  /** Drops the connection (the server rolls back whatever it had open); the next transaction reconnects. */
  private abandon(c: TxnConn): void {
    c.destroy();
    if (this.conn === c) this.conn = undefined;
  }

  /** Ends an open, not committed transaction: ROLLBACK if the session is healthy, else drop the connection. */
  private async rollback(c: TxnConn, failure: PgFailure | undefined, leftMs: number): Promise<void> {
    const s = failure?.cause === 'error' ? pgServerError(failure.error) : undefined;
    const healthy = !c.gone && (failure === undefined || (s !== undefined && s.severity === 'ERROR'));
    if (!healthy) return this.abandon(c);
    const r = await settle(c.client.query('ROLLBACK'), NEVER, Math.max(50, Math.min(leftMs, 1000)));
    if (!r.ok) this.abandon(c);
  }

  /** BEGIN, the body, COMMIT; the outcome follows the rules in the module comment. `ok` carries the body's value. */
  async transact<T>(body: PgTxnBody<T>, signal: AbortSignal): Promise<OpOutcome> {
    const node = this.node;
    // Rule: nothing sent yet -> fail.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending', node };
    if (this.poisoned) return { type: 'fail', error: `client unusable after an unknown outcome (${this.poisoned})`, node };
    const t0 = performance.now();
    const left = (): number => this.opTimeoutMs - (performance.now() - t0);
    const c = await this.connection(left(), signal);
    if (typeof c === 'string') return { type: 'fail', error: `not connected: ${c}`, node };

    const q: PgQuery = async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => {
      if (signal.aborted) throw new StatementFailed(sql, { cause: 'not-sent', error: new Error('aborted') });
      const ms = left();
      if (ms <= 0) throw new StatementFailed(sql, { cause: 'not-sent', error: new Error(`no time left (op timeout ${this.opTimeoutMs} ms)`) });
      if (c.gone) throw new StatementFailed(sql, { cause: 'not-sent', error: new Error(c.gone) });
      const r = await settle(c.client.query<R>(sql, params), signal, ms);
      if (!r.ok) throw new StatementFailed(sql, r);
      return r.value;
    };

    let value: T;
    try {
      await q(this.begin);
      const v = await body.run(q);
      if (v instanceof PgRollback) {
        await this.rollback(c, undefined, left());
        return { type: 'fail', error: v.error, node };
      }
      value = v;
    } catch (e) {
      if (e instanceof StatementFailed) {
        await this.rollback(c, e.failure, left());
        return { ...classifyPgFailure('before-commit', e.failure, body.readOnly), node };
      }
      // A reply the body could not make sense of: nothing was committed, and the session is not trusted.
      this.abandon(c);
      return { type: 'fail', error: `before COMMIT: ${message(e)}`, node };
    }

    if (signal.aborted) {
      this.abandon(c);
      return { type: 'fail', error: 'aborted before COMMIT was sent', node };
    }
    if (left() < COMMIT_RESERVE_MS) {
      await this.rollback(c, undefined, left());
      return { type: 'fail', error: `rolled back: less than ${COMMIT_RESERVE_MS} ms left for COMMIT`, node };
    }
    const r: Settled<pg.QueryResult> = await settle(c.client.query('COMMIT'), signal, Math.max(1, left()));
    if (r.ok) {
      // Rule: COMMIT -> ok; ROLLBACK (the server had aborted the transaction) -> fail.
      if (r.value.command === 'COMMIT') return { type: 'ok', value, node };
      return { type: 'fail', error: `COMMIT answered ${String(r.value.command)}`, node };
    }
    const out = classifyPgFailure('commit', r, body.readOnly);
    const s = r.cause === 'error' ? pgServerError(r.error) : undefined;
    // After an error reply the session is fine (the transaction is over); otherwise it is not trusted.
    if (!(s && s.severity === 'ERROR')) this.abandon(c);
    if (out.type === 'info') this.poisoned = out.error;
    return { ...out, node };
  }

  /** Closes the connection (bounded); never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const c = this.conn;
    this.conn = undefined;
    await c?.close(Math.min(this.opTimeoutMs, 1000));
  }
}

/** The first endpoint: PostgreSQL is a single node. */
export function pgEndpoint(endpoints: ClientContext['endpoints'], who: string): { node: string; endpoint: Endpoint } {
  const e = endpoints[0];
  if (!e) throw new Error(`${who}: no endpoints to connect to`);
  return e;
}

/** How a workload turns one op into a transaction body (throws a descriptive Error for a malformed op). */
export type PgTxnPlanner = (op: OpRequest) => PgTxnBody<unknown>;

class PgTxnClient implements Client {
  constructor(
    private readonly session: PgTxnSession,
    private readonly plan: PgTxnPlanner,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    return this.session.transact(this.plan(op), signal);
  }

  async close(): Promise<void> {
    await this.session.close().catch(() => {});
  }
}

/**
 * A ClientFactory for a transactional workload: one PgTxnSession per worker on the first endpoint; `setup` runs
 * `prepare` once per run inside one transaction (connecting for up to 30 s while the server starts).
 */
export function pgTxnClientFactory(opts: {
  who: string;
  options: ResolvedPgTxnOptions;
  plan: PgTxnPlanner;
  prepare(q: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>): Promise<void>;
}): ClientFactory {
  return {
    name: 'postgres',
    async open(ctx: ClientContext): Promise<Client> {
      const { node, endpoint } = pgEndpoint(ctx.endpoints, opts.who);
      const session = new PgTxnSession(endpoint, node, ctx.opTimeoutMs, opts.options.isolation, opts.options.statementTimeoutMs);
      // Connect now if we can (bounded); a failure here is retried by the first transaction.
      await session.connection(ctx.opTimeoutMs, NEVER);
      return new PgTxnClient(session, opts.plan);
    },
    async setup(endpoints): Promise<void> {
      await pgSetup(pgEndpoint(endpoints, opts.who).endpoint, opts.who, opts.prepare);
    },
  };
}

/**
 * Runs `prepare` in one transaction on a fresh connection, retrying connection problems for up to `waitMs` (the
 * server may still be starting); an error reply from the server is final and reported with its SQLSTATE.
 */
export async function pgSetup(
  endpoint: Endpoint,
  who: string,
  prepare: (q: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>) => Promise<void>,
  waitMs = 30_000,
): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    const conn = new TxnConn(endpoint, { statementMs: 30_000, idleInTxnMs: 60_000, connectMs: 5000 });
    try {
      await conn.client.connect();
      await conn.client.query('BEGIN');
      await prepare((sql, params) => conn.client.query(sql, params));
      await conn.client.query('COMMIT');
      return;
    } catch (e) {
      const s = pgServerError(e);
      if (s && s.severity === 'ERROR') throw new Error(`${who} setup failed: ${message(e)} [SQLSTATE ${s.code}]`);
      if (Date.now() > until) throw new Error(`${who} setup failed: could not reach PostgreSQL at ${endpoint.host}:${endpoint.port} within ${waitMs} ms: ${message(e)}`);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await conn.close(1000);
    }
  }
}

/** Parses an integer PostgreSQL returned as text (bigint); a clear error for anything else. */
export function parsePgInt(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`unexpected ${what} from PostgreSQL: ${JSON.stringify(v) ?? String(v)} (expected an integer)`);
  return n;
}

/** A descriptive error for a malformed op handed to a client (a bug in the generator or a user scenario). */
export function badOp(who: string, op: OpRequest, expected: string): Error {
  return new Error(`${who}: cannot run op ${JSON.stringify({ f: op.f, value: op.value })}: expected ${expected}`);
}

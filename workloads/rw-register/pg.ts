/**
 * rw-register on PostgreSQL: one row per key; a write is an upsert (`INSERT ... ON CONFLICT (k) DO UPDATE SET
 * v = EXCLUDED.v`), a read selects the row (no row: null, the initial state). Writes to the same key update the same
 * row, so REPEATABLE READ orders them (first updater wins); writes to different keys never conflict, so REPEATABLE
 * READ can show write skew while SERIALIZABLE must not.
 */
import type { ClientFactory, OpRequest } from '../types.js';
import { badOp, parsePgInt, pgTxnClientFactory, resolvePgTxnOptions, type PgQuery, type PgTxnBody, type PgTxnOptions } from '../txn-pg.js';

/** The default table (`setup` drops and recreates it). */
export const PG_RW_REGISTER_TABLE = 'faultline_rw_register';

const WHO = 'pg rw-register client';

type RwMop = ['w', number, number] | ['r', number, null];

const isKey = (k: unknown): k is number => Number.isSafeInteger(k) && (k as number) >= 0;
const isValue = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Checks an rw-register op (`{f: 'txn', value: [['w', k, v] | ['r', k, null], ...]}`) and returns its micro-ops. */
export function parseRwRegisterOp(op: OpRequest, who = WHO): RwMop[] {
  const expected = "f 'txn' and value [['w', key, value] | ['r', key, null], ...] with integer keys >= 0 and integer values > 0";
  if (op.f !== 'txn' || !Array.isArray(op.value)) throw badOp(who, op, expected);
  return op.value.map((m: unknown, i: number) => {
    if (!Array.isArray(m) || m.length !== 3 || !isKey(m[1])) throw badOp(who, op, `${expected} (micro-op ${i} is ${JSON.stringify(m)})`);
    if (m[0] === 'w' && isValue(m[2])) return ['w', m[1], m[2]];
    if (m[0] === 'r' && m[2] === null) return ['r', m[1], null];
    throw badOp(who, op, `${expected} (micro-op ${i} is ${JSON.stringify(m)})`);
  });
}

/** rw-register client for PostgreSQL at the chosen isolation level (default serializable). */
export function pgRwRegisterClient(options: PgTxnOptions = {}): ClientFactory {
  const o = resolvePgTxnOptions(WHO, options, PG_RW_REGISTER_TABLE);
  const t = o.table;
  const WRITE = `INSERT INTO ${t} AS t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v`;
  const READ = `SELECT v::text AS v FROM ${t} WHERE k = $1`;
  return pgTxnClientFactory({
    who: WHO,
    options: o,
    plan(op): PgTxnBody<unknown> {
      const mops = parseRwRegisterOp(op);
      return {
        readOnly: mops.every((m) => m[0] === 'r'),
        async run(q: PgQuery) {
          const out: unknown[] = [];
          for (const [f, k, v] of mops) {
            if (f === 'w') {
              await q(WRITE, [k, v]);
              out.push([f, k, v]);
            } else {
              const r = await q<{ v: string }>(READ, [k]);
              const row = r.rows[0];
              out.push(['r', k, row === undefined ? null : parsePgInt(row.v, `value of key ${k}`)]);
            }
          }
          return out;
        },
      };
    },
    async prepare(q) {
      await q(`DROP TABLE IF EXISTS ${t}`);
      await q(`CREATE TABLE ${t} (k bigint PRIMARY KEY, v bigint NOT NULL)`);
    },
  });
}

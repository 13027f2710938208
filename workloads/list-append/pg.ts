/**
 * List-append on PostgreSQL: one row per key, the list in a `bigint[]` column. An append is an upsert that
 * concatenates (`INSERT ... ON CONFLICT (k) DO UPDATE SET v = t.v || EXCLUDED.v`), a read selects the row (no row:
 * the empty list). Why one row per key: two appends to the same key update the same row, so REPEATABLE READ's
 * first-updater-wins rule and row locks order them like a real list, while appends to different keys never
 * conflict, so REPEATABLE READ can show write skew (a row per element ordered by a sequence would let the order of
 * elements differ from the commit order, an artefact the checker would blame on PostgreSQL). Reads are O(list).
 */
import type { ClientFactory, OpRequest } from '../types.js';
import { badOp, parsePgInt, pgTxnClientFactory, resolvePgTxnOptions, type PgQuery, type PgTxnBody, type PgTxnOptions } from '../txn-pg.js';

/** The default table (`setup` drops and recreates it). */
export const PG_LIST_APPEND_TABLE = 'faultline_list_append';

const WHO = 'pg list-append client';

type AppendMop = ['append', number, number] | ['r', number, null];

const isKey = (k: unknown): k is number => Number.isSafeInteger(k) && (k as number) >= 0;
const isValue = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Checks a list-append op (`{f: 'txn', value: [['append', k, v] | ['r', k, null], ...]}`) and returns its micro-ops. */
export function parseListAppendOp(op: OpRequest, who = WHO): AppendMop[] {
  const expected = "f 'txn' and value [['append', key, value] | ['r', key, null], ...] with integer keys >= 0 and integer values > 0";
  if (op.f !== 'txn' || !Array.isArray(op.value)) throw badOp(who, op, expected);
  return op.value.map((m: unknown, i: number) => {
    if (!Array.isArray(m) || m.length !== 3 || !isKey(m[1])) throw badOp(who, op, `${expected} (micro-op ${i} is ${JSON.stringify(m)})`);
    if (m[0] === 'append' && isValue(m[2])) return ['append', m[1], m[2]];
    if (m[0] === 'r' && m[2] === null) return ['r', m[1], null];
    throw badOp(who, op, `${expected} (micro-op ${i} is ${JSON.stringify(m)})`);
  });
}

/** A read's list as PostgreSQL returned it (`array_to_json`), or [] when the key has no row. */
function parseList(v: unknown, key: number): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`unexpected list for key ${key} from PostgreSQL: ${JSON.stringify(v)}`);
  return v.map((x) => parsePgInt(x, `element of key ${key}`));
}

/** List-append client for PostgreSQL at the chosen isolation level (default serializable). */
export function pgListAppendClient(options: PgTxnOptions = {}): ClientFactory {
  const o = resolvePgTxnOptions(WHO, options, PG_LIST_APPEND_TABLE);
  const t = o.table;
  const APPEND = `INSERT INTO ${t} AS t (k, v) VALUES ($1, ARRAY[$2::bigint]) ON CONFLICT (k) DO UPDATE SET v = t.v || EXCLUDED.v`;
  const READ = `SELECT array_to_json(v) AS v FROM ${t} WHERE k = $1`;
  return pgTxnClientFactory({
    who: WHO,
    options: o,
    plan(op): PgTxnBody<unknown> {
      const mops = parseListAppendOp(op);
      return {
        readOnly: mops.every((m) => m[0] === 'r'),
        async run(q: PgQuery) {
          const out: unknown[] = [];
          for (const [f, k, v] of mops) {
            if (f === 'append') {
              await q(APPEND, [k, v]);
              out.push([f, k, v]);
            } else {
              const r = await q<{ v: unknown }>(READ, [k]);
              out.push(['r', k, parseList(r.rows[0]?.v, k)]);
            }
          }
          return out;
        },
      };
    },
    async prepare(q) {
      await q(`DROP TABLE IF EXISTS ${t}`);
      await q(`CREATE TABLE ${t} (k bigint PRIMARY KEY, v bigint[] NOT NULL)`);
    },
  });
}

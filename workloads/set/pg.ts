/**
 * Set on PostgreSQL: one row per element. An add inserts its element in a transaction of its own; a read selects
 * every element, sorted. An add that finds its element already present (it cannot, elements are unique per run)
 * gets a unique-violation error before COMMIT and ends as `fail`.
 */
import type { ClientFactory, OpRequest } from '../types.js';
import { badOp, parsePgInt, pgTxnClientFactory, resolvePgTxnOptions, type PgQuery, type PgTxnBody, type PgTxnOptions } from '../txn-pg.js';

/** The default table (`setup` drops and recreates it). */
export const PG_SET_TABLE = 'faultline_set';

const WHO = 'pg set client';

/** Set client for PostgreSQL at the chosen isolation level (default serializable); ops `add` and `read`. */
export function pgSetClient(options: PgTxnOptions = {}): ClientFactory {
  const o = resolvePgTxnOptions(WHO, options, PG_SET_TABLE);
  const t = o.table;
  const ADD = `INSERT INTO ${t} (e) VALUES ($1)`;
  const READ = `SELECT s.e::text AS e FROM ${t} s ORDER BY s.e`;

  const read: PgTxnBody<number[]> = {
    readOnly: true,
    async run(q: PgQuery) {
      const r = await q<{ e: string }>(READ);
      return r.rows.map((row) => parsePgInt(row.e, 'set element'));
    },
  };

  return pgTxnClientFactory({
    who: WHO,
    options: o,
    plan(op: OpRequest): PgTxnBody<unknown> {
      if (op.f === 'read') return read;
      if (op.f === 'add' && Number.isSafeInteger(op.value) && (op.value as number) > 0) {
        const e = op.value as number;
        return {
          readOnly: false,
          async run(q: PgQuery) {
            await q(ADD, [e]);
            return e;
          },
        };
      }
      throw badOp(WHO, op, "f 'add' with an integer element > 0, or f 'read' with value null");
    },
    async prepare(q) {
      await q(`DROP TABLE IF EXISTS ${t}`);
      await q(`CREATE TABLE ${t} (e bigint PRIMARY KEY)`);
    },
  });
}

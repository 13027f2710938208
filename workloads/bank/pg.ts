/**
 * Bank on PostgreSQL: one row per account. A transfer reads both balances with a plain SELECT (no FOR UPDATE, so
 * the isolation level alone decides what concurrent transfers can do), checks the funds, and writes both new
 * balances as values computed from what it read. At READ COMMITTED that read-modify-write loses updates and the
 * total drifts (the anomaly the bank checker is for); at REPEATABLE READ a concurrent update of the same row is a
 * serialization failure (-> fail). Rows are updated in account order, so transfers do not deadlock each other. A
 * read selects every balance in one transaction.
 */
import { checkNumberOption } from '../list-append/generator.js';
import type { ClientFactory, OpRequest } from '../types.js';
import { badOp, parsePgInt, PgRollback, pgTxnClientFactory, resolvePgTxnOptions, type PgQuery, type PgTxnBody, type PgTxnOptions } from '../txn-pg.js';
import { accountIds, BANK_DEFAULTS, initialBalances, type BankSetup } from './accounts.js';
import type { Transfer } from './generator.js';

/** The default table (`setup` drops and recreates it with the initial balances). */
export const PG_BANK_TABLE = 'faultline_bank';

/** The error of a transfer refused because `from` would go negative (nothing written). */
export const INSUFFICIENT_FUNDS = 'insufficient-funds';

const WHO = 'pg bank client';

/** Client options: isolation and table as for every PostgreSQL client, plus the bank's accounts and total. */
export type PgBankOptions = PgTxnOptions & Partial<BankSetup>;

/** Checks a transfer's value against the setup: distinct known accounts, a positive integer amount. */
export function parseTransfer(op: OpRequest, setup: BankSetup, who = WHO): Transfer {
  const expected = `value {from, to, amount}: distinct account ids in 0..${setup.accounts - 1} and an integer amount > 0`;
  const v = op.value as Partial<Transfer> | null;
  if (v === null || typeof v !== 'object') throw badOp(who, op, expected);
  const { from, to, amount } = v;
  const isAccount = (a: unknown): a is number => Number.isSafeInteger(a) && (a as number) >= 0 && (a as number) < setup.accounts;
  if (!isAccount(from) || !isAccount(to) || from === to || !Number.isSafeInteger(amount) || (amount as number) <= 0) throw badOp(who, op, expected);
  return { from, to, amount: amount as number };
}

/** Bank client for PostgreSQL at the chosen isolation level (default serializable); ops `transfer` and `read`. */
export function pgBankClient(options: PgBankOptions = {}): ClientFactory {
  const o = resolvePgTxnOptions(WHO, options, PG_BANK_TABLE, ['accounts', 'total']);
  const setup: BankSetup = {
    accounts: checkNumberOption(WHO, 'accounts', options.accounts ?? BANK_DEFAULTS.accounts, { integer: true, min: 1, max: 1_000_000 }),
    total: checkNumberOption(WHO, 'total', options.total ?? BANK_DEFAULTS.total, { integer: true, min: 0 }),
  };
  const t = o.table;
  const READ_TWO = `SELECT id, balance::text AS balance FROM ${t} WHERE id = ANY($1::int[])`;
  const UPDATE = `UPDATE ${t} SET balance = $2 WHERE id = $1`;
  const READ_ALL = `SELECT id, balance::text AS balance FROM ${t} ORDER BY id`;

  const transfer = (tr: Transfer): PgTxnBody<Transfer> => ({
    readOnly: false,
    async run(q: PgQuery) {
      const r = await q<{ id: number; balance: string }>(READ_TWO, [[tr.from, tr.to]]);
      const bal = new Map(r.rows.map((row) => [row.id, parsePgInt(row.balance, `balance of account ${row.id}`)]));
      const from = bal.get(tr.from);
      const to = bal.get(tr.to);
      if (from === undefined || to === undefined) throw new Error(`account ${from === undefined ? tr.from : tr.to} has no row in ${t} (was setup run with the same accounts?)`);
      // Rule: the transfer would make `from` negative -> roll back, fail insufficient-funds (nothing written).
      if (from - tr.amount < 0) return new PgRollback(INSUFFICIENT_FUNDS);
      // Lower account id first: two transfers between the same accounts then never deadlock on each other.
      const writes: [number, number][] = [
        [tr.from, from - tr.amount],
        [tr.to, to + tr.amount],
      ];
      if (tr.to < tr.from) writes.reverse();
      for (const w of writes) await q(UPDATE, w);
      return tr;
    },
  });

  const read: PgTxnBody<Record<string, number>> = {
    readOnly: true,
    async run(q: PgQuery) {
      const r = await q<{ id: number; balance: string }>(READ_ALL);
      const out: Record<string, number> = {};
      for (const row of r.rows) out[String(row.id)] = parsePgInt(row.balance, `balance of account ${row.id}`);
      return out;
    },
  };

  return pgTxnClientFactory({
    who: WHO,
    options: o,
    plan(op): PgTxnBody<unknown> {
      if (op.f === 'transfer') return transfer(parseTransfer(op, setup));
      if (op.f === 'read') return read;
      throw badOp(WHO, op, "f 'transfer' (value {from, to, amount}) or 'read' (value null)");
    },
    async prepare(q) {
      await q(`DROP TABLE IF EXISTS ${t}`);
      await q(`CREATE TABLE ${t} (id int PRIMARY KEY, balance bigint NOT NULL)`);
      const balances = initialBalances(setup);
      const ids = accountIds(setup);
      await q(`INSERT INTO ${t} (id, balance) SELECT * FROM unnest($1::int[], $2::bigint[])`, [ids, ids.map((a) => balances.get(a)!)]);
    },
  });
}

/**
 * The bank's fixed facts, shared by the generator, every bank client and the bank checker, so a scenario states
 * accounts and total once and every part agrees on the starting balances.
 */

/** How many accounts and how much money in all: transfers move money, so every read must sum to `total`. */
export interface BankSetup {
  /** Account ids are 0..accounts-1. */
  accounts: number;
  total: number;
}

/** Jepsen's bank defaults (txn-anomalies.md §10). */
export const BANK_DEFAULTS: Readonly<BankSetup> = Object.freeze({ accounts: 8, total: 100 });

/** Account ids 0..accounts-1. */
export function accountIds(setup: BankSetup): number[] {
  return Array.from({ length: setup.accounts }, (_, i) => i);
}

/** Starting balances: the total split evenly, the remainder going one each to the first accounts. */
export function initialBalances(setup: BankSetup): Map<number, number> {
  const base = Math.floor(setup.total / setup.accounts);
  const extra = setup.total - base * setup.accounts;
  return new Map(accountIds(setup).map((a) => [a, base + (a < extra ? 1 : 0)]));
}

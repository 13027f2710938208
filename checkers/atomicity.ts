/** The atomicity checkers with Jepsen's semantics (txn-anomalies.md §10), as one import: bank, set, counter. */
export { checkBank, type BankCheckOptions, type BankErrorType, type BankErrorGroup, type BankReadError, type TotalSource } from './bank.js';
export { checkSet, type SetCheckOptions, type StaleRead } from './set.js';
export { checkCounter, type CounterCheckOptions, type CounterRead } from './counter.js';

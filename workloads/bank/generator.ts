/**
 * The bank workload (Jepsen's `bank`, txn-anomalies.md §10): transfers of 1..maxTransfer between two distinct
 * random accounts, and reads of every balance. Transfers move money and never create it, so every read must sum to
 * the total. The generator, the clients and the checker take the same BankSetup from `.options`.
 */
import type { Rng } from '../../harness/seed.js';
import { checkNumberOption, checkOptionKeys, checkWorker } from '../list-append/generator.js';
import type { OpGenerator, OpRequest, Workload } from '../types.js';
import { BANK_DEFAULTS, type BankSetup } from './accounts.js';

/** Bank knobs: the shared setup plus how big transfers get and how often workers read. */
export interface BankWorkloadOptions extends BankSetup {
  /** Transfers move 1..maxTransfer (default 5). */
  maxTransfer: number;
  /** Probability that an op is a read of all balances (default 0.5). */
  readRatio: number;
  /** Stop each worker after this many ops; unset means run until the time limit. */
  opsPerWorker?: number;
}

/** A transfer's value; `fail` with error `insufficient-funds` when `from` would go negative. */
export interface Transfer {
  from: number;
  to: number;
  amount: number;
}

/** Jepsen's bank defaults: 8 accounts, total 100, transfers of 1..5, half the ops reads. */
export const BANK_WORKLOAD_DEFAULTS: Readonly<Omit<BankWorkloadOptions, 'opsPerWorker'>> = Object.freeze({ ...BANK_DEFAULTS, maxTransfer: 5, readRatio: 0.5 });

const VALID = ['accounts', 'total', 'maxTransfer', 'readRatio', 'opsPerWorker'] as const;

/** Validates bank options (from a scenario file) and fills in Jepsen's defaults. */
export function resolveBankOptions(options: unknown = {}): BankWorkloadOptions {
  const o = checkOptionKeys('bank', options, VALID);
  const pick = (k: keyof typeof BANK_WORKLOAD_DEFAULTS): unknown => (o[k] === undefined ? BANK_WORKLOAD_DEFAULTS[k] : o[k]);
  const resolved: BankWorkloadOptions = {
    accounts: checkNumberOption('bank', 'accounts', pick('accounts'), { integer: true, min: 2, max: 1_000_000 }),
    total: checkNumberOption('bank', 'total', pick('total'), { integer: true, min: 0 }),
    maxTransfer: checkNumberOption('bank', 'maxTransfer', pick('maxTransfer'), { integer: true, min: 1 }),
    readRatio: checkNumberOption('bank', 'readRatio', pick('readRatio'), { min: 0, max: 1 }),
  };
  if (o.opsPerWorker !== undefined) resolved.opsPerWorker = checkNumberOption('bank', 'opsPerWorker', o.opsPerWorker, { integer: true, min: 0 });
  return resolved;
}

/** One worker's op stream; pure (rng only). */
class BankGenerator implements OpGenerator {
  private emitted = 0;
  constructor(
    private readonly opts: BankWorkloadOptions,
    private readonly rng: Rng,
  ) {}

  next(): OpRequest | null {
    if (this.opts.opsPerWorker !== undefined && this.emitted >= this.opts.opsPerWorker) return null;
    this.emitted++;
    if (this.rng.chance(this.opts.readRatio)) return { f: 'read', value: null };
    const n = this.opts.accounts;
    const from = this.rng.int(0, n - 1);
    const other = this.rng.int(0, n - 2);
    const to = other >= from ? other + 1 : other;
    const amount = this.rng.int(1, this.opts.maxTransfer);
    const value: Transfer = { from, to, amount };
    return { f: 'transfer', value };
  }
}

/** The bank workload; `.options` carries accounts and total for the clients and the checker. */
export function bankWorkload(options?: Partial<BankWorkloadOptions>): Workload<BankWorkloadOptions> {
  const resolved = resolveBankOptions(options);
  return {
    name: 'bank',
    options: resolved,
    generator(worker: number, rng: Rng): OpGenerator {
      checkWorker('bank', worker);
      return new BankGenerator(resolved, rng);
    },
    finalOps(): OpRequest[] {
      return [{ f: 'read', value: null }];
    },
  };
}

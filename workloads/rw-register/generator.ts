/**
 * The rw-register workload (txn-anomalies.md §2): transactions of blind writes (`['w', k, v]`) and reads
 * (`['r', k, null]`, completed as `['r', k, v | null]`) on integer keys. Same generator as list-append (keys,
 * retirement, value scheme and their approximations are described in ../list-append/generator.ts); writes are
 * unique per key across the whole run, as the checker requires. Infers less than list-append but needs only a
 * key-value store.
 */
import { txnWorkload, type TxnGenOptions } from '../list-append/generator.js';
import type { Workload } from '../types.js';

/** rw-register uses the shared transactional generator knobs unchanged. */
export type RwRegisterOptions = TxnGenOptions;

/** The rw-register workload (Elle's defaults); throws WorkloadOptionsError for bad options. */
export function rwRegisterWorkload(options?: Partial<RwRegisterOptions>): Workload<RwRegisterOptions> {
  return txnWorkload('rw-register', 'w', options);
}

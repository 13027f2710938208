/**
 * The Elle-style transactional checker (txn-anomalies.md): list-append and rw-register histories checked for
 * dependency cycles and non-cycle anomalies against consistency models, with Elle's result fields.
 */
export { checkListAppend, checkRwRegister, checkTxns, resolveTxnOptions, type InferFn, type ResolvedTxnOptions } from './check.js';
export {
  canonicalAnomaly,
  canonicalModel,
  consistencyModelAliases,
  consistencyModelNames,
  forbiddenAnomalies,
  impliedAnomalies,
  KNOWN_ANOMALY_TYPES,
  UNKNOWN_ANOMALY_TYPES,
  violatedModels,
} from './models.js';
export { classifyCycle, type Cycle } from './cycles.js';
export type { DataEdgeKind, EdgeKindName, EdgeWhy, Inference, Mop, Txn, TxnAnomaly, TxnCheckOptions, TxnCheckResult, TxnWorkloadName } from './types.js';
export { EdgeKind } from './types.js';

/**
 * The contract between the two halves of the transactional checker (txn-anomalies.md):
 * - inference (`txns.ts`, `list-append.ts`, `rw-register.ts`): history -> transactions, data-dependency edges
 *   (ww / wr / rw) and the anomalies found by linear scans (G1a, G1b, internal, ...);
 * - analysis (`graph.ts`, `scc.ts`, `cycles.ts`, `models.ts`, `explain.ts`, `check.ts`): process and realtime
 *   edges, strongly connected components, budgeted cycle search, classification, consistency models, verdict
 *   and the human explanations.
 * Transactions are numbered densely (0..n-1) so edges can live in typed arrays: a million-txn history must check
 * in seconds and well under 4 GiB.
 */
import type { ProcessId } from '../history/types.js';
import type { Anomaly, CheckResult, Verdict } from '../result.js';

/** A micro-op as it appears in an op's value: `["append", k, v]`, `["r", k, v | [v...] | null]`, `["w", k, v]`. */
export type Mop = readonly [f: string, key: unknown, value: unknown];

/** One transaction (an invocation paired with its completion), the unit every edge and anomaly refers to. */
export interface Txn {
  /** Dense id, 0..n-1 in invocation order: the node number in the dependency graph. */
  id: number;
  /** History index naming this txn in anomalies and explanations: the completion's index, else the invocation's. */
  index: number;
  /** History index of the invocation. */
  invokeIndex: number;
  process: ProcessId;
  /** `ok`: committed; `info`: may or may not have committed (also: never completed); `fail`: certainly did not. */
  type: 'ok' | 'info' | 'fail';
  /** Completion value for `ok` (reads filled in); the invocation's value otherwise (reads not trusted). */
  mops: readonly Mop[];
  /** Positions in the history array of invocation and completion (completion = Infinity when absent). */
  invokePos: number;
  completePos: number;
  /** Nanoseconds since start, when the history records them (for realtime explanations). */
  invokeTime?: number;
  completeTime?: number;
}

/** Edge kinds as bits, so one byte per ordered pair says every reason two txns are ordered. */
export const EdgeKind = { ww: 1, wr: 2, rw: 4, process: 8, realtime: 16 } as const;
export type EdgeKindName = keyof typeof EdgeKind;
/** The data-dependency kinds (Adya's DSG); inference emits only these. */
export type DataEdgeKind = 'ww' | 'wr' | 'rw';

/** Where inference writes edges: `from` must precede `to`. Never called with from === to. */
export interface EdgeSink {
  add(from: number, to: number, kind: EdgeKindName): void;
}

/**
 * Why one edge exists, as data (for reports) and as the words of one explanation line.
 * `value` is the element/value of `from`'s side, `value2` that of `to`'s side when the edge names two values
 * (ww: T1 appended `value`, T2 appended `value2` right after). `aMop` / `bMop` index the micro-ops in each txn.
 */
export interface EdgeWhy {
  kind: EdgeKindName;
  key?: unknown;
  value?: unknown;
  value2?: unknown;
  aMop?: number;
  bMop?: number;
  /** The clause after "because" without the txn names' lead-in, e.g. `T2 observed T1's append of 1 to key y`. */
  text: string;
}

/** A non-cycle anomaly from inference, or a cycle anomaly from analysis: always names its witnesses. */
export interface TxnAnomaly extends Anomaly {
  /** e.g. `G1a`, `G-single-item-realtime`, `incompatible-order`, `cycle-search-timeout`. */
  type: string;
  /** History indices (Txn.index) of the transactions that witness it. */
  ops: number[];
  /** Human text; for cycles the "Let: ... Then: ... a contradiction!" block. */
  explanation: string;
  /** For cycles: each step as data, in cycle order (steps[i] goes from txn i to txn i+1, the last back to 0). */
  steps?: EdgeWhy[];
  key?: unknown;
}

/** What a workload-specific inference hands to the analysis. */
export interface Inference {
  txns: Txn[];
  /** Non-cycle anomalies found while inferring (G1a, G1b, internal, dirty-update, incompatible-order, ...). */
  anomalies: TxnAnomaly[];
  /** Anomaly types that make the verdict unknown rather than false (e.g. `duplicate-appends` in the invocations). */
  unknowns?: TxnAnomaly[];
  /** Explain one data edge this inference emitted (computed lazily: a million edges are never all explained). */
  explainEdge(from: number, to: number, kind: DataEdgeKind): EdgeWhy | undefined;
}

/** The workloads the transactional checker understands. */
export type TxnWorkloadName = 'list-append' | 'rw-register';

/** Options shared by both transactional checkers (names match Elle's where one exists). */
export interface TxnCheckOptions {
  /** Models the history must satisfy (default `['strict-serializable']`); aliases like `PL-2` accepted. */
  consistencyModels?: string[];
  /** Extra anomaly types to forbid on top of what the models forbid. */
  anomalies?: string[];
  /** Budget for the cycle search per SCC, in ms (default 1000); when it runs out the verdict may be `unknown`. */
  cycleSearchBudgetMs?: number;
  /** Longest value shown in explanations before it is abbreviated (default 40 characters). */
  maxValueChars?: number;
  /** rw-register version-order sources (txn-anomalies.md §3). */
  wfrKeys?: boolean;
  sequentialKeys?: boolean;
  linearizableKeys?: boolean;
}

/** What `checkListAppend` / `checkRwRegister` return: a CheckResult plus Elle's fields. */
export interface TxnCheckResult extends CheckResult {
  checker: TxnWorkloadName;
  valid: Verdict;
  anomalies: TxnAnomaly[];
  /** Sorted distinct anomaly types found. */
  anomalyTypes: string[];
  /** The weakest models the history violates. */
  not: string[];
  /** Stronger models violated as a consequence. */
  alsoNot: string[];
  /** The models the verdict was judged against. */
  consistencyModels: string[];
}

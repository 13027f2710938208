/** Shared by the list-append and rw-register inference tests: a txn history builder and an edge-collecting run. */
import type { Op, OpType, ProcessId } from '../../../checkers/history/types.js';
import { extractTxns } from '../../../checkers/txn/txns.js';
import type { EdgeSink, Inference, Mop, Txn, TxnCheckOptions } from '../../../checkers/txn/types.js';

/** Builds txn histories: `txn` records an invoke (reads as nil) and its completion; both return indexes. */
export class H {
  readonly ops: Op[] = [];
  rec(process: ProcessId, type: OpType, value: unknown): number {
    const index = this.ops.length;
    this.ops.push({ index, time: index * 1_000_000, process, type, f: 'txn', value });
    return index;
  }
  invoke(p: ProcessId, mops: Mop[]): number {
    return this.rec(p, 'invoke', mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }
  complete(p: ProcessId, type: Exclude<OpType, 'invoke'>, mops: Mop[]): number {
    return this.rec(p, type, type === 'ok' ? mops : mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }
  /** A whole txn; returns the completion's index (the txn's name in edges and anomalies). */
  txn(p: ProcessId, mops: Mop[], type: Exclude<OpType, 'invoke'> = 'ok'): number {
    this.invoke(p, mops);
    return this.complete(p, type, mops);
  }
}

/** Extract txns and run one inference, collecting its edges as `from->to kind` (history indices), sorted. */
export function inferWith(inferFn: (txns: readonly Txn[], sink: EdgeSink, opts?: TxnCheckOptions) => Inference, ops: readonly Op[], opts?: TxnCheckOptions) {
  const { txns, unknowns: extractUnknowns } = extractTxns(ops);
  const ids: [number, number, string][] = [];
  const inf = inferFn(txns, { add: (a, b, k) => ids.push([a, b, k]) }, opts);
  const edges = [...new Set(ids.map(([a, b, k]) => `${txns[a]!.index}->${txns[b]!.index} ${k}`))].sort();
  const byIndex = (i: number) => txns.findIndex((t) => t.index === i);
  return {
    txns,
    inf,
    edges,
    ids,
    unknowns: [...extractUnknowns, ...(inf.unknowns ?? [])],
    anomalies: inf.anomalies.map((a) => [a.type, a.ops] as const),
    explain: (a: number, b: number, kind: 'ww' | 'wr' | 'rw') => inf.explainEdge(byIndex(a), byIndex(b), kind),
  };
}


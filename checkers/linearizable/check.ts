/**
 * Linearizability checker entry point: pairs the history, applies Jepsen's outcome semantics, splits it into
 * independent partitions through the model, searches each within a shared budget and explains failures.
 */
import { getHeapStatistics } from 'node:v8';
import { pairHistory } from '../history/validate.js';
import type { History, PairedOp } from '../history/types.js';
import { combineVerdicts, type Anomaly, type CheckResult, type Verdict } from '../result.js';
import type { Model, ModelOp, Partition } from './model.js';
import { searchPartition, type SearchOp, type SearchOutcome } from './search.js';
import { show } from './models/value.js';

/** Knobs for one check; defaults suit CI runs. */
export interface LinearizabilityOptions {
  /** Wall-clock budget for the whole check in ms; past it the verdict is 'unknown'. Default: none. */
  timeBudgetMs?: number;
  /** Memory the memo of one partition may use, in bytes; past it 'unknown'. Default 1 GiB. */
  memoBudgetBytes?: number;
  /** Stop at the first failing partition instead of checking (and reporting) all of them. */
  firstFailure?: boolean;
  /** Seed for the memo's hash lanes (results never depend on it; timings may). */
  seed?: number;
}

/** Per-partition outcome kept in stats so reports can list partitions. */
export interface PartitionSummary {
  key: unknown;
  ops: number;
  verdict: Verdict;
  reason?: string;
  steps: number;
  memoEntries: number;
}

const DEFAULT_MEMO_BYTES = 1024 * 1024 * 1024;
/** Share of V8's heap limit past which a search gives up: states the memo keeps alive are not all in its estimate. */
const HEAP_FRACTION = 0.75;

/** Whether the heap is nearly full (checked every few thousand steps). */
function heapExhausted(): boolean {
  const s = getHeapStatistics();
  return s.used_heap_size > s.heap_size_limit * HEAP_FRACTION;
}

/** Turn a paired op into the model's view, or undefined when it never happened (fail) or is not a client op. */
export function toModelOp(p: PairedOp): ModelOp | undefined {
  if (p.outcome === 'fail') return undefined;
  if (p.process === 'nemesis') return undefined;
  const known = p.outcome === 'ok';
  const key = p.invoke.key !== undefined ? p.invoke.key : p.complete?.key;
  return {
    id: p.id,
    index: p.invoke.index,
    process: p.process,
    f: p.f,
    input: p.invoke.value,
    output: known ? p.complete!.value : undefined,
    known,
    ...(key !== undefined ? { key } : {}),
  };
}

/** Describe one op for a counterexample. */
export function describeOp(model: Model, op: ModelOp): string {
  if (model.describeOp) return model.describeOp(op);
  return op.known ? `${op.f} ${show(op.input)} -> ${show(op.output)}` : `${op.f} ${show(op.input)} (outcome unknown)`;
}

/** Check a history (ops in real-time order) against a model. Throws HistoryError for malformed histories. */
export function checkLinearizability(history: History, model: Model, options: LinearizabilityOptions = {}): CheckResult {
  return checkPaired(pairHistory(history), model, options);
}

/** Same as checkLinearizability for a history already validated and paired (the CLI pairs while parsing). */
export function checkPaired(paired: readonly PairedOp[], model: Model, options: LinearizabilityOptions = {}): CheckResult {
  const started = performance.now();
  const deadline = options.timeBudgetMs !== undefined ? started + options.timeBudgetMs : Infinity;
  const memoBytes = options.memoBudgetBytes ?? DEFAULT_MEMO_BYTES;

  const pos = new Map<number, { call: number; ret: number }>();
  const modelOps: ModelOp[] = [];
  let failed = 0;
  for (const p of paired) {
    const op = toModelOp(p);
    if (!op) {
      if (p.outcome === 'fail') failed++;
      continue;
    }
    modelOps.push(op);
    pos.set(op.id, { call: p.invokePos, ret: op.known ? p.completePos : Infinity });
  }

  const partitions: Partition[] = model.partition ? model.partition(modelOps) : [{ key: null, ops: modelOps }];
  const summaries: PartitionSummary[] = [];
  const anomalies: Anomaly[] = [];
  const verdicts: Verdict[] = [];
  let steps = 0;
  let backtracks = 0;
  let maxMemoEntries = 0;
  let maxMemoBytes = 0;
  let crashed = 0;
  let unknownReason: string | undefined;

  for (const part of partitions) {
    const searchOps: SearchOp[] = part.ops.map((op) => {
      const p = pos.get(op.id)!;
      return { op, callPos: p.call, returnPos: p.ret };
    });
    let outcome: SearchOutcome;
    if (performance.now() > deadline) {
      outcome = { result: 'unknown', reason: 'time', stats: { ops: searchOps.length, crashed: 0, steps: 0, backtracks: 0, memoEntries: 0, memoBytes: 0 } };
    } else {
      outcome = searchPartition(model, searchOps, { deadline, memoBytes, heapExhausted }, options.seed ?? 1);
    }
    const s = outcome.stats;
    steps += s.steps;
    backtracks += s.backtracks;
    crashed += s.crashed;
    maxMemoEntries = Math.max(maxMemoEntries, s.memoEntries);
    maxMemoBytes = Math.max(maxMemoBytes, s.memoBytes);
    const verdict: Verdict = outcome.result === 'ok' ? true : outcome.result === 'fail' ? false : 'unknown';
    verdicts.push(verdict);
    const summary: PartitionSummary = { key: part.key, ops: part.ops.length, verdict, steps: s.steps, memoEntries: s.memoEntries };
    if (outcome.result === 'unknown') {
      summary.reason = outcome.reason === 'time' ? 'time budget exhausted' : 'memo budget exhausted';
      unknownReason ??= summary.reason;
    }
    summaries.push(summary);
    if (outcome.result === 'fail') {
      anomalies.push(explainFailure(model, part, partitions.length > 1, outcome.witness));
      if (options.firstFailure) break;
    }
  }

  const valid = combineVerdicts(verdicts);
  const ms = performance.now() - started;
  const result: CheckResult = {
    valid,
    checker: 'linearizable',
    anomalies,
    stats: {
      ms: Math.round(ms * 1000) / 1000,
      model: model.name,
      ops: modelOps.length,
      failedOps: failed,
      crashedOps: crashed,
      partitions: partitions.length,
      partitionsChecked: summaries.length,
      steps,
      backtracks,
      maxMemoEntries,
      maxMemoBytes,
      ...(unknownReason ? { unknownReason } : {}),
      partitionResults: summaries,
    },
  };
  if (valid === 'unknown') {
    result.explanation = `Could not decide: ${unknownReason ?? 'budget exhausted'} (${summaries.filter((s) => s.verdict === 'unknown').length} of ${partitions.length} partitions undecided). Raise --budget to search longer.`;
  } else if (valid === false) {
    result.explanation = anomalies.map((a) => a.explanation).join('\n\n');
  }
  return result;
}

function explainFailure(model: Model, part: Partition, showKey: boolean, w: Extract<SearchOutcome, { result: 'fail' }>['witness']): Anomaly {
  const where = showKey ? `Partition ${show(part.key)}: ` : '';
  const fmt = (op: ModelOp) => `#${op.index} process ${String(op.process)} ${describeOp(model, op)}`;
  const lines = [
    `${where}no order of the ops is consistent with both real time and the ${model.name} model.`,
    `The longest linearizable prefix found has ${w.prefix.length} of ${part.ops.length} ops` +
      (w.prefix.length > 0 ? `, ending with ${fmt(w.prefix[w.prefix.length - 1]!)}` : '') +
      `; the state is then ${model.describe(w.state)}.`,
    w.impossible
      ? `${fmt(w.impossible)} can never be placed: it is impossible in the initial state, and no op invoked before it completed could produce a state in which it is possible. Ops that could come next at this point:`
      : `${fmt(w.blocking)} completed before any other remaining op could be placed, and none of the ops that could come next leads to a valid order:`,
    ...w.next.map(({ op, legal }) => `  ${fmt(op)}: ${legal ? `possible here, but every order after it fails` : `impossible in state ${model.describe(w.state)}`}`),
  ];
  return {
    type: 'nonlinearizable',
    ops: w.next.map(({ op }) => op.index),
    explanation: lines.join('\n'),
    partition: part.key,
    blocking: w.blocking.index,
    prefix: w.prefix.map((op) => op.index),
    state: model.describe(w.state),
    next: w.next.map(({ op, legal }) => ({ index: op.index, process: op.process, op: describeOp(model, op), legal })),
  };
}

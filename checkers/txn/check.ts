/**
 * The transactional checkers end to end (txn-anomalies.md §7): history → transactions → inferred dependencies and
 * non-cycle anomalies → session orders the requested models need → SCCs → budgeted cycle search → explanations →
 * verdict. Pure apart from the clock used for the cycle-search budget and the timings in `stats`.
 */
import type { History } from '../history/types.js';
import type { Verdict } from '../result.js';
import { CYCLE_SPECS, searchCycles, type CycleExistsHit, type CycleSearchTimeout, type FoundCycle } from './cycles.js';
import { explainCycle } from './explain.js';
import { describeTxn } from './format.js';
import { assertDenseIds, DATA_KINDS, edgeCounts, explainSessionEdge, GraphBuilder, kindNames, processOrder, realtimeOrder } from './graph.js';
import { inferListAppend } from './list-append.js';
import { canonicalModel, cycleExistsChecks, forbiddenAnomalies, requiredSessionEdges, violatedModels } from './models.js';
import { inferRwRegister } from './rw-register.js';
import { componentLabels, nontrivialComponents } from './scc.js';
import { extractTxns } from './txns.js';
import { EdgeKind, type EdgeKindName, type EdgeSink, type Inference, type Txn, type TxnAnomaly, type TxnCheckOptions, type TxnCheckResult, type TxnWorkloadName } from './types.js';

/** A workload's inference: transactions in, edges to the sink, non-cycle anomalies and edge explanations out. */
export type InferFn = (txns: readonly Txn[], sink: EdgeSink, opts: TxnCheckOptions) => Inference;

const DEFAULT_MODELS = ['strict-serializable'];
const DEFAULT_BUDGET_MS = 1000;
/** Txns named by anomalies that stand for a whole component (cycle-exists, timeouts). */
const MAX_COMPONENT_OPS = 100;

/** Check a list-append history (txn ops of `append` / `r` micro-ops) against the requested consistency models. */
export function checkListAppend(history: History, opts: TxnCheckOptions = {}): TxnCheckResult {
  return checkTxns('list-append', history, inferListAppend, opts);
}

/** Check an rw-register history (txn ops of `w` / `r` micro-ops) against the requested consistency models. */
export function checkRwRegister(history: History, opts: TxnCheckOptions = {}): TxnCheckResult {
  return checkTxns('rw-register', history, inferRwRegister, opts);
}

/** Options after validation, with defaults filled in. */
export interface ResolvedTxnOptions {
  models: string[];
  forbidden: Set<string>;
  budgetMs: number;
  maxValueChars: number | undefined;
}

/** Validate options; throws an Error naming the bad option and what was expected (the CLI makes it a usage error). */
export function resolveTxnOptions(opts: TxnCheckOptions): ResolvedTxnOptions {
  const rawModels = opts.consistencyModels ?? DEFAULT_MODELS;
  if (!Array.isArray(rawModels)) throw new TypeError(`consistencyModels: expected a list of model names such as ["serializable"], got ${JSON.stringify(rawModels)}`);
  const models = [...new Set(rawModels.map((m) => canonicalModel(m)))];
  const anomalies = opts.anomalies ?? [];
  if (!Array.isArray(anomalies)) throw new TypeError(`anomalies: expected a list of anomaly types such as ["G1c"], got ${JSON.stringify(anomalies)}`);
  const budgetMs = opts.cycleSearchBudgetMs ?? DEFAULT_BUDGET_MS;
  if (typeof budgetMs !== 'number' || !(budgetMs >= 0)) throw new RangeError(`cycleSearchBudgetMs: expected a non-negative number of milliseconds, got ${JSON.stringify(budgetMs)}`);
  const maxValueChars = opts.maxValueChars;
  if (maxValueChars !== undefined && (typeof maxValueChars !== 'number' || !(maxValueChars > 0))) {
    throw new RangeError(`maxValueChars: expected a positive number of characters, got ${JSON.stringify(maxValueChars)}`);
  }
  return { models, forbidden: forbiddenAnomalies(models, anomalies), budgetMs, maxValueChars };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

/** The whole check with a given inference: what `checkListAppend` and `checkRwRegister` share. */
export function checkTxns(checker: TxnWorkloadName, history: History, infer: InferFn, opts: TxnCheckOptions = {}): TxnCheckResult {
  const r = resolveTxnOptions(opts);
  const timings: Record<string, number> = {};
  const start = performance.now();

  let t0 = performance.now();
  const { txns, unknowns: extractUnknowns } = extractTxns(history);
  assertDenseIds(txns);
  timings.extract = ms(t0);

  t0 = performance.now();
  const builder = new GraphBuilder(txns.length);
  const inference = infer(txns, builder, opts);
  timings.infer = ms(t0);

  t0 = performance.now();
  const need = requiredSessionEdges(r.forbidden);
  const graph = builder.freeze({
    ...(need.process ? { procNext: processOrder(txns) } : {}),
    ...(need.realtime ? { realtime: realtimeOrder(txns) } : {}),
  });
  timings.graph = ms(t0);

  // Only the edge kinds some search or proof can use: a read-committed check never looks at rw edges.
  const specs = CYCLE_SPECS.filter((s) => r.forbidden.has(s.type));
  const checks = cycleExistsChecks(r.models);
  const built = DATA_KINDS | (need.process ? EdgeKind.process : 0) | (need.realtime ? EdgeKind.realtime : 0);
  let mask = 0;
  for (const s of specs) mask |= s.allowed;
  for (const c of checks) mask |= c.mask;
  mask &= built;

  t0 = performance.now();
  const labels = mask ? componentLabels(graph, mask) : undefined;
  const sccs = labels ? nontrivialComponents(graph, mask, labels) : [];
  timings.scc = ms(t0);

  t0 = performance.now();
  const search = searchCycles(graph, sccs, { searchTypes: r.forbidden, cycleExists: checks, budgetMs: r.budgetMs, mask });
  timings.cycles = ms(t0);

  t0 = performance.now();
  const explainer = {
    describeTxn: (t: Txn) => describeTxn(t, r.maxValueChars),
    explainEdge: (from: number, to: number, kind: EdgeKindName) =>
      kind === 'process' || kind === 'realtime' ? explainSessionEdge(txns[from]!, txns[to]!, kind) : inference.explainEdge(from, to, kind),
  };
  const cycleAnomalies = search.cycles.map((c) => cycleAnomaly(c, txns, explainer));
  const existsAnomalies = search.cycleExists.map((h) => cycleExistsAnomaly(h, txns));
  const timeoutAnomalies = search.timeouts.map((t) => timeoutAnomaly(t, txns, r.budgetMs));
  timings.explain = ms(t0);

  const unreported: Record<string, number> = {};
  const inferred = inference.anomalies.filter((a) => {
    if (r.forbidden.has(a.type)) return true;
    unreported[a.type] = (unreported[a.type] ?? 0) + 1;
    return false;
  });
  const unknowns = [...extractUnknowns, ...(inference.unknowns ?? []), ...timeoutAnomalies];
  const ok = txns.filter((t) => t.type === 'ok').length;
  if (ok === 0) {
    unknowns.push({ type: 'empty-transaction-graph', ops: [], explanation: `No transaction completed ok (${txns.length} txn ops in the history), so there is nothing to check.` });
  }
  const severity = (type: string) => {
    const i = CYCLE_SPECS.findIndex((s) => s.type === type);
    return i < 0 ? CYCLE_SPECS.length : i;
  };
  cycleAnomalies.sort((a, b) => severity(a.type) - severity(b.type));
  const anomalies: TxnAnomaly[] = [...cycleAnomalies, ...existsAnomalies, ...inferred, ...unknowns];

  const anomalyTypes = [...new Set(anomalies.map((a) => a.type))].sort();
  // Cycles, proofs and inferred anomalies were all kept only when forbidden; unknowns never count as violations.
  const forbiddenFound = [...cycleAnomalies, ...existsAnomalies, ...inferred];
  const valid: Verdict = forbiddenFound.length > 0 ? false : unknowns.length > 0 ? 'unknown' : true;
  const { not, alsoNot } = violatedModels(forbiddenFound.map((a) => a.type));
  timings.total = ms(start);

  const counts = { total: txns.length, ok, info: 0, fail: 0 };
  for (const t of txns) if (t.type !== 'ok') counts[t.type]++;
  const largest = sccs.reduce((m, c) => Math.max(m, c.length), 0);
  return {
    valid,
    checker,
    anomalies,
    anomalyTypes,
    not,
    alsoNot,
    consistencyModels: r.models,
    stats: {
      txns: counts,
      edges: edgeCounts(graph),
      sccs: sccs.length,
      largestScc: largest,
      searchedEdgeKinds: kindNames(mask),
      cycleSearchTimeouts: search.timeouts.length,
      ...(Object.keys(unreported).length > 0 ? { unreportedAnomalyTypes: unreported } : {}),
      ms: timings,
    },
    explanation: summarize(valid, r.models, anomalies, not, alsoNot, counts),
  };
}

function cycleAnomaly(c: FoundCycle, txns: readonly Txn[], explainer: Parameters<typeof explainCycle>[2]): TxnAnomaly {
  const { explanation, steps } = explainCycle(c.cycle, txns, explainer);
  return {
    type: c.type,
    ops: c.cycle.nodes.map((v) => txns[v]!.index),
    explanation,
    steps,
    sccSize: c.sccSize,
    ...(c.fallback ? { foundAfterTimeout: true } : {}),
  };
}

function componentOps(ids: readonly number[], txns: readonly Txn[]): number[] {
  return ids.slice(0, MAX_COMPONENT_OPS).map((v) => txns[v]!.index);
}

function cycleExistsAnomaly(h: CycleExistsHit, txns: readonly Txn[]): TxnAnomaly {
  const listed = h.members.length > MAX_COMPONENT_OPS ? ` (the first ${MAX_COMPONENT_OPS} are listed)` : '';
  const shape =
    h.shape === 'any'
      ? `are strongly connected by ${h.subgraph.join(', ')} edges, so they contain a cycle of those edges`
      : `contain a cycle of ${h.subgraph.filter((k) => k !== 'rw').join(', ')} edges closed by exactly one rw edge`;
  return {
    type: h.type,
    ops: componentOps(h.members, txns),
    explanation:
      `These ${h.members.length} transactions${listed} ${shape}, which ${h.model} forbids. ` +
      'The search for a concrete cycle did not produce one (usually because it ran out of time).',
    not: [h.model],
    subgraph: h.subgraph,
    sccSize: h.sccSize,
  };
}

function timeoutAnomaly(t: CycleSearchTimeout, txns: readonly Txn[], budgetMs: number): TxnAnomaly {
  return {
    type: 'cycle-search-timeout',
    ops: componentOps(t.sample, txns),
    explanation:
      `The cycle search in a component of ${t.sccSize} transactions ran out of its ${budgetMs} ms budget while looking for ${t.searched}` +
      `${t.notSearched.length > 0 ? `; not searched: ${t.notSearched.join(', ')}` : ''}. Raise the budget to search longer.`,
    searched: t.searched,
    notSearched: t.notSearched,
    sccSize: t.sccSize,
  };
}

/** A short summary: verdict, models ruled out, anomaly types with counts, and the first explanation. */
function summarize(valid: Verdict, models: string[], anomalies: TxnAnomaly[], not: string[], alsoNot: string[], counts: { total: number; ok: number }): string {
  const byType = new Map<string, number>();
  for (const a of anomalies) byType.set(a.type, (byType.get(a.type) ?? 0) + 1);
  const list = [...byType].map(([t, n]) => `${t} ×${n}`).join(', ');
  const target = models.length > 0 ? models.join(', ') : 'the requested anomaly types';
  if (valid === true) return `No anomaly forbidden by ${target} among ${counts.ok} committed of ${counts.total} transactions.`;
  const first = anomalies[0]!;
  const also = alsoNot.length === 0 ? '' : alsoNot.length <= 3 ? ` (so also not ${alsoNot.join(', ')})` : ` (so also not ${alsoNot.length} stronger models)`;
  const head = valid === false ? `${not.length > 0 ? `Not ${not.join(', ')}${also}` : 'Forbidden anomalies'}: found ${list}.` : `Could not decide ${target}: ${list}.`;
  return `${head}\n\n${first.type}:\n${first.explanation}`;
}

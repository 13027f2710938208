/**
 * `set`: every acknowledged add survives, and nothing appears that nobody added (Jepsen's set checker, §10).
 *
 * History: `{f:"add", value: element}` and `{f:"read", value:null}` whose ok completion carries the elements as an
 * array (or a `Set`). Elements compare by content (canonical JSON). The **final read** is the last ok read in the
 * history; against it:
 * - `lost`: elements of ok adds missing from it. An ok add that completed only after the final read was invoked
 *   may legitimately be missing (the read may have taken effect first): it is counted in
 *   `stats.concurrentWithFinalRead`, not lost. (Jepsen counts it lost; the harness's quiet final reads make the
 *   two agree.)
 * - `unexpected`: elements no client ever tried to add;
 * - `recovered`: elements whose adds were all info or fail that appear anyway (info adds that took effect). An
 *   element whose every add *failed* is counted here too, as Jepsen does, but is also listed in
 *   `stats.failedButPresent` because a `fail` promises no effect; with `failedAddsAreErrors` it is an
 *   `unexpected-failed-add` anomaly.
 * Set-full style, per acknowledged element: a read invoked after its ok add completed that misses it (while the
 * final read has it) is a stale read, counted always and an anomaly only with `linearizable`.
 * Valid iff nothing is lost or unexpected (and, when asked, no stale read or failed add that appeared); `unknown`
 * when no read completed ok or some add or read value is malformed.
 */
import type { History, PairedOp } from './history/types.js';
import { canonical, show } from './linearizable/models/value.js';
import { abbreviate, isClient, pairOrExplain, preview } from './mutex/common.js';
import { malformedAnomaly, plural } from './malformed.js';
import type { Anomaly, CheckResult, Verdict } from './result.js';

/** Knobs of the set checker. */
export interface SetCheckOptions {
  /** The store claims linearizability: a read that misses an element acknowledged before it began is an error. */
  linearizable?: boolean;
  /** Elements named per anomaly before "and N more". Default 20. */
  maxElements?: number;
  /** Treat an element whose every add failed but which the final read holds as an error. Default false (Jepsen). */
  failedAddsAreErrors?: boolean;
}

/** One element as the checker tracks it: the value and every add of it. */
interface Element {
  key: string;
  value: unknown;
  adds: PairedOp[];
  /** Position where the earliest ok add completed (Infinity: no ok add). */
  knownPos: number;
  okAdd?: PairedOp;
  info: boolean;
  fail: boolean;
}

interface Read {
  pair: PairedOp;
  keys: Set<string>;
}

/** One element a read missed after it was acknowledged, for the stale-read anomaly. */
export interface StaleRead {
  element: unknown;
  /** History index of the ok add's completion. */
  add: number;
  /** History index of the first read (its completion) invoked after the add completed that missed the element. */
  read: number;
  /** How many reads invoked after the add completed missed it. */
  misses: number;
}

const idx = (p: PairedOp) => p.complete?.index ?? p.invoke.index;

/** Elements of a read value, or undefined when it is not a collection. */
function elementsOf(v: unknown): readonly unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return undefined;
}

/** Index of the first position in sorted `a` greater than `x`. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Check the final ok read against every add: nothing acknowledged lost, nothing unexpected. */
export function checkSet(history: History, opts: SetCheckOptions = {}): CheckResult {
  const maxElements = opts.maxElements ?? 20;
  if (!Number.isInteger(maxElements) || maxElements < 1) throw new TypeError(`checkSet: opts.maxElements ${preview(opts.maxElements)}: expected a positive integer`);
  const linearizable = opts.linearizable ?? false;
  const pairing = pairOrExplain(history);
  if (pairing.error !== undefined) {
    return { valid: 'unknown', checker: 'set', anomalies: [], stats: { okReads: 0, malformed: 1 }, explanation: `Cannot check the set: the history is malformed: ${pairing.error}` };
  }

  const elements = new Map<string, Element>();
  const reads: Read[] = [];
  const malformed: { index: number; problem: string }[] = [];
  const adds = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const readCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  for (const p of pairing.paired) {
    if (!isClient(p)) continue;
    if (p.f === 'add') {
      adds.invoked++;
      adds[p.outcome]++;
      const value = p.invoke.value;
      if (value === null || value === undefined) {
        malformed.push({ index: p.invoke.index, problem: 'add of null: expected the element to add as the invocation value' });
        continue;
      }
      const key = canonical(value);
      let e = elements.get(key);
      if (!e) elements.set(key, (e = { key, value, adds: [], knownPos: Infinity, info: false, fail: false }));
      e.adds.push(p);
      if (p.outcome === 'info') e.info = true;
      else if (p.outcome === 'fail') e.fail = true;
      else if (p.completePos < e.knownPos) {
        e.knownPos = p.completePos;
        e.okAdd = p;
      }
    } else if (p.f === 'read') {
      readCounts.invoked++;
      readCounts[p.outcome]++;
      if (p.outcome !== 'ok') continue;
      const items = elementsOf(p.complete!.value);
      if (!items) {
        malformed.push({ index: idx(p), problem: `read value ${preview(p.complete!.value)}: expected the elements as an array` });
        continue;
      }
      reads.push({ pair: p, keys: new Set(items.map(canonical)) });
    }
  }

  const baseStats = { adds, reads: readCounts, attempted: elements.size, malformed: malformed.length, linearizable };
  const malformedAnomalies = malformed.length > 0 ? [malformedAnomaly(malformed)] : [];
  if (reads.length === 0) {
    return {
      valid: 'unknown',
      checker: 'set',
      anomalies: malformedAnomalies,
      stats: { ...baseStats, finalRead: null },
      explanation: `No read completed ok${readCounts.ok > 0 ? ' with a readable value' : ''} (${plural(readCounts.invoked, 'read')} invoked), so the final state of the set is unknown.`,
    };
  }
  // Reads are in invocation order; the final read is the one that completed last.
  const final = reads.reduce((a, b) => (b.pair.completePos > a.pair.completePos ? b : a));
  const finalIndex = idx(final.pair);

  const lost: Element[] = [];
  const concurrent: Element[] = [];
  const recovered: Element[] = [];
  const failedButPresent: Element[] = [];
  const unexpected: { key: string; value: unknown }[] = [];
  for (const e of elements.values()) {
    const present = final.keys.has(e.key);
    if (e.okAdd) {
      if (!present) (e.knownPos < final.pair.invokePos ? lost : concurrent).push(e);
    } else if (present) {
      recovered.push(e);
      if (e.fail && !e.info) failedButPresent.push(e);
    }
  }
  const finalValues = elementsOf(final.pair.complete!.value)!;
  const seenUnexpected = new Set<string>();
  for (const v of finalValues) {
    const k = canonical(v);
    if (!elements.has(k) && !seenUnexpected.has(k)) {
      seenUnexpected.add(k);
      unexpected.push({ key: k, value: v });
    }
  }

  // Stale reads: for each acknowledged element the final read holds, count the reads invoked after its ok add
  // completed that hold it; fewer than all of them means some read missed it.
  const invokePositions = reads.map((r) => r.pair.invokePos);
  const holding = new Map<string, number>();
  for (const r of reads) {
    for (const k of r.keys) {
      const e = elements.get(k);
      if (e && e.knownPos < r.pair.invokePos) holding.set(k, (holding.get(k) ?? 0) + 1);
    }
  }
  const stale: { e: Element; misses: number }[] = [];
  for (const e of elements.values()) {
    if (!e.okAdd || !final.keys.has(e.key)) continue;
    const after = reads.length - upperBound(invokePositions, e.knownPos);
    const misses = after - (holding.get(e.key) ?? 0);
    if (misses > 0) stale.push({ e, misses });
  }
  stale.sort((a, b) => a.e.knownPos - b.e.knownPos);
  const staleDetails: StaleRead[] = stale.slice(0, maxElements).map(({ e, misses }) => {
    const from = upperBound(invokePositions, e.knownPos);
    const missed = reads.slice(from).find((r) => !r.keys.has(e.key))!;
    return { element: e.value, add: idx(e.okAdd!), read: idx(missed.pair), misses };
  });

  const byAdd = (a: Element, b: Element) => a.adds[0]!.invokePos - b.adds[0]!.invokePos;
  lost.sort(byAdd);
  recovered.sort(byAdd);
  failedButPresent.sort(byAdd);
  const list = (values: readonly unknown[]) => abbreviate(values.map(show), maxElements);
  const addOps = (es: readonly Element[]) => es.slice(0, maxElements).flatMap((e) => e.adds.map(idx));
  const sortOps = (ops: number[]) => [...new Set(ops)].sort((a, b) => a - b);

  const anomalies: Anomaly[] = [];
  if (lost.length > 0) {
    anomalies.push({
      type: 'lost',
      ops: sortOps([...addOps(lost), finalIndex]),
      explanation:
        `${plural(lost.length, 'element')} acknowledged by an ok add ${lost.length === 1 ? 'is' : 'are'} missing from the final read #${finalIndex}: ` +
        `${list(lost.map((e) => e.value))} (added ok at ${abbreviate(lost.map((e) => `#${idx(e.okAdd!)}`), maxElements)}). The store lost acknowledged writes.`,
      count: lost.length,
      elements: lost.slice(0, maxElements).map((e) => e.value),
      finalRead: finalIndex,
    });
  }
  if (unexpected.length > 0) {
    anomalies.push({
      type: 'unexpected',
      ops: [finalIndex],
      explanation: `The final read #${finalIndex} holds ${plural(unexpected.length, 'element')} that no client ever tried to add: ${list(unexpected.map((u) => u.value))}.`,
      count: unexpected.length,
      elements: unexpected.slice(0, maxElements).map((u) => u.value),
      finalRead: finalIndex,
    });
  }
  if (linearizable && stale.length > 0) {
    anomalies.push({
      type: 'stale-read',
      ops: sortOps(staleDetails.flatMap((s) => [s.add, s.read])),
      explanation:
        `${plural(stale.length, 'acknowledged element')} went missing from a read invoked after ${stale.length === 1 ? 'its' : 'their'} ok add completed, ` +
        `though the final read #${finalIndex} holds ${stale.length === 1 ? 'it' : 'them'}: ` +
        `${abbreviate(staleDetails.map((s) => `${show(s.element)} (added ok at #${s.add}, missing from read #${s.read}${s.misses > 1 ? ` and ${s.misses - 1} later` : ''})`), maxElements)}. ` +
        `A linearizable set never hides an acknowledged element.`,
      count: stale.length,
      elements: staleDetails.map((s) => s.element),
      staleReads: staleDetails,
    });
  }
  if (opts.failedAddsAreErrors && failedButPresent.length > 0) {
    anomalies.push({
      type: 'unexpected-failed-add',
      ops: sortOps([...addOps(failedButPresent), finalIndex]),
      explanation:
        `The final read #${finalIndex} holds ${plural(failedButPresent.length, 'element')} whose every add failed: ${list(failedButPresent.map((e) => e.value))}. ` +
        `A fail must mean the add certainly did not happen; the client probably reports as fail what should be info.`,
      count: failedButPresent.length,
      elements: failedButPresent.slice(0, maxElements).map((e) => e.value),
      finalRead: finalIndex,
    });
  }
  anomalies.push(...malformedAnomalies);

  const errors = anomalies.length - malformedAnomalies.length;
  const valid: Verdict = errors > 0 ? false : malformed.length > 0 ? 'unknown' : true;
  const okElements = [...elements.values()].filter((e) => e.okAdd).length;
  const notes: string[] = [];
  if (recovered.length > 0) notes.push(`${plural(recovered.length, 'element')} whose adds were info or fail appeared (recovered).`);
  if (failedButPresent.length > 0 && !opts.failedAddsAreErrors) {
    notes.push(
      `Of those, ${plural(failedButPresent.length, 'element')} had only failed adds (${list(failedButPresent.map((e) => e.value))}), ` +
        `counted as recovered as Jepsen does, though a fail should mean no effect.`,
    );
  }
  if (concurrent.length > 0) notes.push(`${plural(concurrent.length, 'ok add')} completed after the final read began and ${concurrent.length === 1 ? 'is' : 'are'} missing from it; not counted as lost.`);
  if (!linearizable && stale.length > 0) notes.push(`${plural(stale.length, 'acknowledged element')} went missing from some later read before reappearing (stale reads; an error only with linearizable).`);
  const head =
    valid === true
      ? `The final read #${finalIndex} (${plural(final.keys.size, 'element')}) holds every one of the ${plural(okElements, 'acknowledged element')} and nothing unexpected.`
      : anomalies.map((a) => a.explanation).join('\n');
  return {
    valid,
    checker: 'set',
    anomalies,
    stats: {
      ...baseStats,
      okElements,
      finalRead: finalIndex,
      finalSize: final.keys.size,
      lost: lost.length,
      unexpected: unexpected.length,
      recovered: recovered.length,
      failedButPresent: { count: failedButPresent.length, elements: failedButPresent.slice(0, maxElements).map((e) => e.value), ops: addOps(failedButPresent) },
      concurrentWithFinalRead: concurrent.length,
      staleElements: stale.length,
      stable: okElements - lost.length - concurrent.length - stale.length,
    },
    explanation: [head, ...notes].join('\n'),
  };
}

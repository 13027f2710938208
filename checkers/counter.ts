/**
 * `counter`: a grow-only counter never reads less than what was surely added, nor more than what may have been
 * (Jepsen's counter checker, txn-anomalies.md §10).
 *
 * History: `{f:"add", value: n}` (n a non-negative integer, from the invocation) and `{f:"read"}` whose ok
 * completion carries the count. The counter starts at 0. Every ok read must lie in
 * - lower = the sum of ok adds that completed before the read was invoked (they certainly took effect first), and
 * - upper = the sum of all adds that did not fail (ok, info, or never completed) invoked before the read completed
 *   (any of them may have taken effect in time; a `fail` certainly did not).
 * So an info add counts in the upper bound only, and an add concurrent with the read counts in upper, not lower.
 * A negative, fractional or non-numeric add, or a read value that is not an integer, is reported as `malformed-op`
 * and keeps the verdict from being `true` (the bounds around it cannot be trusted).
 */
import type { History, PairedOp } from './history/types.js';
import { isClient, pairOrExplain, preview } from './mutex/common.js';
import { malformedAnomaly, plural } from './malformed.js';
import type { Anomaly, CheckResult, Verdict } from './result.js';

/** Knobs of the counter checker. */
export interface CounterCheckOptions {
  /** Out-of-bounds reads reported as anomalies (all are counted in stats.errors). Default 100. */
  maxReported?: number;
}

/** One ok read judged against its bounds: what it returned and what it could have returned. */
export interface CounterRead {
  /** History index of the read's ok completion. */
  index: number;
  invokeIndex: number;
  value: number;
  lower: number;
  upper: number;
}

const idx = (p: PairedOp) => p.complete?.index ?? p.invoke.index;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The bounds of every ok read in one sweep over the history, in completion order. */
function boundReads(historyLength: number, adds: readonly { pair: PairedOp; n: number }[], reads: readonly { pair: PairedOp; value: number }[]): CounterRead[] {
  // Per history position: what the upper and lower sums gain there, and which read starts or ends there.
  const upperGain = new Float64Array(historyLength);
  const lowerGain = new Float64Array(historyLength);
  for (const { pair, n } of adds) {
    if (pair.outcome !== 'fail') upperGain[pair.invokePos]! += n;
    if (pair.outcome === 'ok') lowerGain[pair.completePos]! += n;
  }
  const startsAt = new Map<number, number>();
  const endsAt = new Map<number, number>();
  reads.forEach((r, i) => {
    startsAt.set(r.pair.invokePos, i);
    endsAt.set(r.pair.completePos, i);
  });
  const lowerAtStart = new Float64Array(reads.length);
  const out: CounterRead[] = [];
  let upper = 0;
  let lower = 0;
  for (let pos = 0; pos < historyLength; pos++) {
    upper += upperGain[pos]!;
    lower += lowerGain[pos]!;
    const s = startsAt.get(pos);
    if (s !== undefined) lowerAtStart[s] = lower;
    const e = endsAt.get(pos);
    if (e !== undefined) {
      const r = reads[e]!;
      out.push({ index: idx(r.pair), invokeIndex: r.pair.invoke.index, value: r.value, lower: lowerAtStart[e]!, upper });
    }
  }
  return out;
}

function outOfBounds(r: CounterRead): Anomaly {
  const below = r.value < r.lower;
  return {
    type: 'out-of-bounds',
    ops: [r.invokeIndex, r.index],
    explanation: below
      ? `Read #${r.index} returned ${r.value}, but adds summing to ${r.lower} had completed ok before it was invoked at #${r.invokeIndex}: ` +
        `the counter went backwards or lost increments (allowed range ${r.lower}..${r.upper}).`
      : `Read #${r.index} returned ${r.value}, but all adds not known to have failed and invoked before it completed sum to only ${r.upper}: ` +
        `the counter counted something nobody added, or an add that failed (allowed range ${r.lower}..${r.upper}).`,
    direction: below ? 'below' : 'above',
    value: r.value,
    lower: r.lower,
    upper: r.upper,
    invokeIndex: r.invokeIndex,
  };
}

/** Check every ok read of a grow-only counter against the range the adds around it allow. */
export function checkCounter(history: History, opts: CounterCheckOptions = {}): CheckResult {
  const maxReported = opts.maxReported ?? 100;
  if (!Number.isInteger(maxReported) || maxReported < 0) throw new TypeError(`checkCounter: opts.maxReported ${preview(opts.maxReported)}: expected a non-negative integer`);
  const pairing = pairOrExplain(history);
  if (pairing.error !== undefined) {
    return { valid: 'unknown', checker: 'counter', anomalies: [], stats: { okReads: 0, malformed: 1 }, explanation: `Cannot check the counter: the history is malformed: ${pairing.error}` };
  }
  const adds: { pair: PairedOp; n: number }[] = [];
  const reads: { pair: PairedOp; value: number }[] = [];
  const malformed: { index: number; problem: string }[] = [];
  const addCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const readCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  for (const p of pairing.paired) {
    if (!isClient(p)) continue;
    if (p.f === 'add') {
      addCounts.invoked++;
      addCounts[p.outcome]++;
      const n = p.invoke.value;
      if (!isCount(n) || n < 0) {
        const what = isCount(n) ? 'a negative add (this counter only grows)' : `add of ${preview(n)}`;
        malformed.push({ index: p.invoke.index, problem: `${what}: expected a non-negative integer` });
      } else adds.push({ pair: p, n });
    } else if (p.f === 'read') {
      readCounts.invoked++;
      readCounts[p.outcome]++;
      if (p.outcome !== 'ok') continue;
      const v = p.complete!.value;
      if (!isCount(v)) malformed.push({ index: idx(p), problem: `read value ${preview(v)}: expected the count as an integer` });
      else reads.push({ pair: p, value: v });
    }
  }

  const judged = boundReads(history.length, adds, reads);
  const bad = judged.filter((r) => r.value < r.lower || r.value > r.upper);
  const anomalies: Anomaly[] = bad.slice(0, maxReported).map(outOfBounds);
  if (malformed.length > 0) anomalies.push(malformedAnomaly(malformed));

  let valid: Verdict;
  let explanation: string;
  if (bad.length > 0) {
    valid = false;
    const below = bad.filter((r) => r.value < r.lower).length;
    explanation =
      `${plural(bad.length, 'ok read')} of ${judged.length} fell outside the range the adds allow (${below} below, ${bad.length - below} above)` +
      `${bad.length > maxReported ? `; the first ${maxReported} are reported` : ''}. First: ${anomalies[0]?.explanation ?? `read #${bad[0]!.index}`}`;
  } else if (malformed.length > 0) {
    valid = 'unknown';
    explanation = anomalies[anomalies.length - 1]!.explanation;
  } else if (judged.length === 0) {
    valid = 'unknown';
    explanation = `No read completed ok (${plural(readCounts.invoked, 'read')} invoked), so the counter was never observed.`;
  } else {
    valid = true;
    explanation = `All ${plural(judged.length, 'ok read')} lay between the sum of adds surely done before them and the sum of adds that may have been.`;
  }
  return {
    valid,
    checker: 'counter',
    anomalies,
    stats: {
      adds: addCounts,
      reads: readCounts,
      okReads: judged.length,
      errors: bad.length,
      reported: Math.min(bad.length, maxReported),
      malformed: malformed.length,
      finalRead: judged.length > 0 ? judged[judged.length - 1] : null,
    },
    explanation,
  };
}

/**
 * `overlap`: did two clients believe they held the same lock at the same time, whatever the lock server thought?
 *
 * A process's belief interval on lock L runs from its acquire `ok` to its next release *invocation* on L (once it
 * starts releasing it no longer acts under the lock). A process that never invokes that release (it got an `info`
 * and the worker dropped the client, or the run ended) believed until the completion of its last op; if that op
 * never completed, until the end of the history. Intervals are compared by position in the history (real-time
 * order), so back-to-back holders (one's release invoked before the other's acquire completed) do not overlap.
 */
import type { History, PairedOp, ProcessId } from '../history/types.js';
import type { Anomaly, CheckResult } from '../result.js';
import { isClient, keyOf, lockId, nsToMs, pairOrExplain, push, showLock } from './common.js';

/** Knobs of the overlap checker. */
export interface OverlapOptions {
  /** Overlapping pairs reported as anomalies (all are counted in stats.overlappingPairs). Default 100. */
  maxPairs?: number;
}

/** How a belief interval ended. */
export type IntervalEnd = 'release' | 'last-op' | 'in-flight';

/** One process's belief that it held a lock. */
export interface BeliefInterval {
  process: ProcessId;
  lock: unknown;
  /** History index of the acquire's ok. */
  acquireOk: number;
  /** History index of the record that ended it (release invoke or last completion); null when open at the end. */
  end: number | null;
  endedBy: IntervalEnd;
  /** Positions in the history array: end is Infinity while open at the end of the history. */
  startPos: number;
  endPos: number;
  startTime?: number;
  endTime?: number;
}

/** Every belief interval in the history, per process and lock (exported for reports and tests). */
export function beliefIntervals(paired: readonly PairedOp[]): BeliefInterval[] {
  const byProcess = new Map<ProcessId, PairedOp[]>();
  for (const p of paired) if (isClient(p)) push(byProcess, p.process, p);
  const out: BeliefInterval[] = [];
  for (const [process, ops] of byProcess) {
    const open = new Map<string, BeliefInterval>();
    for (const p of ops) {
      const id = lockId(keyOf(p));
      if (p.f === 'acquire' && p.outcome === 'ok' && p.complete && !open.has(id)) {
        open.set(id, {
          process,
          lock: keyOf(p) ?? null,
          acquireOk: p.complete.index,
          end: null,
          endedBy: 'in-flight',
          startPos: p.completePos,
          endPos: Infinity,
          ...(p.complete.time !== undefined ? { startTime: p.complete.time } : {}),
        });
      } else if (p.f === 'release') {
        const b = open.get(id);
        if (!b) continue;
        open.delete(id);
        b.end = p.invoke.index;
        b.endedBy = 'release';
        b.endPos = p.invokePos;
        if (p.invoke.time !== undefined) b.endTime = p.invoke.time;
        out.push(b);
      }
    }
    const last = ops[ops.length - 1]!;
    for (const b of open.values()) {
      if (last.complete) {
        b.end = last.complete.index;
        b.endedBy = 'last-op';
        b.endPos = last.completePos;
        if (last.complete.time !== undefined) b.endTime = last.complete.time;
      }
      out.push(b);
    }
  }
  return out.sort((a, b) => a.startPos - b.startPos);
}

function describeEnd(b: BeliefInterval): string {
  switch (b.endedBy) {
    case 'release':
      return `its release invoke #${b.end}`;
    case 'last-op':
      return `the completion #${b.end} of its last op (it never released)`;
    case 'in-flight':
      return 'the end of the history (its last op never completed)';
  }
}

/** Report every pair of processes that believed they held the same lock at once. */
export function checkOverlap(history: History, opts: OverlapOptions = {}): CheckResult {
  const maxPairs = opts.maxPairs ?? 100;
  const pairing = pairOrExplain(history);
  if (pairing.error !== undefined) {
    return {
      valid: 'unknown',
      checker: 'overlap',
      anomalies: [],
      stats: { intervals: 0, overlappingPairs: 0, reportedPairs: 0, malformed: 1 },
      explanation: `Cannot compute belief intervals: the history is malformed: ${pairing.error}`,
    };
  }
  let lastTime: number | undefined;
  for (const op of history) if (op.time !== undefined && (lastTime === undefined || op.time > lastTime)) lastTime = op.time;

  const intervals = beliefIntervals(pairing.paired);
  const byLock = new Map<string, BeliefInterval[]>();
  for (const b of intervals) push(byLock, lockId(b.lock), b);

  const anomalies: Anomaly[] = [];
  let pairs = 0;
  let maxOverlapMs: number | null = null;
  for (const list of byLock.values()) {
    // Sorted by start: every interval starting before `a` ends overlaps it, and nothing after the first that does not.
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      for (let j = i + 1; j < list.length && list[j]!.startPos < a.endPos; j++) {
        const b = list[j]!;
        if (b.process === a.process) continue;
        pairs++;
        const endFirst = a.endPos <= b.endPos ? a : b;
        const tEnd = endFirst.endPos === Infinity ? lastTime : endFirst.endTime;
        const overlapMs = b.startTime !== undefined && tEnd !== undefined ? nsToMs(Math.max(0, tEnd - b.startTime)) : undefined;
        if (overlapMs !== undefined && (maxOverlapMs === null || overlapMs > maxOverlapMs)) maxOverlapMs = overlapMs;
        if (anomalies.length >= maxPairs) continue;
        const ops = [...new Set([a.acquireOk, b.acquireOk, a.end, b.end].filter((x): x is number => x !== null))].sort((x, y) => x - y);
        const until = endFirst.end !== null ? `#${endFirst.end}` : 'the end of the history';
        anomalies.push({
          type: 'overlap',
          ops,
          explanation:
            `Processes ${String(a.process)} and ${String(b.process)} both believed they held lock ${showLock(a.lock)} at the same time: ` +
            `process ${String(a.process)} from its acquire ok #${a.acquireOk} until ${describeEnd(a)}, ` +
            `process ${String(b.process)} from its acquire ok #${b.acquireOk} until ${describeEnd(b)}. ` +
            `Both held it from #${b.acquireOk} to ${until}${overlapMs !== undefined ? ` (${overlapMs} ms)` : ''}.`,
          lock: a.lock,
          processes: [a.process, b.process],
          intervals: [a, b].map((x) => ({ process: x.process, acquireOk: x.acquireOk, end: x.end, endedBy: x.endedBy })),
          ...(overlapMs !== undefined ? { overlapMs } : {}),
        });
      }
    }
  }
  const count = (e: IntervalEnd) => intervals.filter((b) => b.endedBy === e).length;
  const result: CheckResult = {
    valid: pairs === 0,
    checker: 'overlap',
    anomalies,
    stats: {
      locks: byLock.size,
      intervals: intervals.length,
      endedByRelease: count('release'),
      endedByLastOp: count('last-op'),
      openAtEnd: count('in-flight'),
      overlappingPairs: pairs,
      reportedPairs: anomalies.length,
      maxOverlapMs,
    },
  };
  if (pairs > 0) {
    result.explanation = `${pairs} pair${pairs === 1 ? '' : 's'} of processes believed they held the same lock at the same time${pairs > anomalies.length ? ` (first ${anomalies.length} reported)` : ''}.`;
  }
  return result;
}

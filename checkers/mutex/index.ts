/**
 * The lock checkers (lock-safety.md §1), each a pure function from a lock-workload history to a CheckResult:
 * - `mutex`: the lock service's acquire/release answers fit one lock per key (linearizability, mutex model);
 * - `overlap`: no two clients believed they held a lock at once;
 * - `fencing`: the resource never accepted a stale token, and grants carried growing tokens;
 * - `lost-update`: the resource's read-modify-writes stayed serial (no lost updates or elements).
 */
import type { History } from '../history/types.js';
import { combineVerdicts, type Anomaly, type CheckResult } from '../result.js';
import { checkFencing, type FencingOptions } from './fencing.js';
import { checkLostUpdates, type LostUpdateOptions } from './lost-update.js';
import { checkMutexLinearizable, type MutexCheckOptions } from './mutex.js';
import { checkOverlap, type OverlapOptions } from './overlap.js';

export { checkMutexLinearizable, type MutexCheckOptions, type MutexLockSummary } from './mutex.js';
export { checkOverlap, beliefIntervals, type OverlapOptions, type BeliefInterval, type IntervalEnd } from './overlap.js';
export { checkFencing, NO_TOKENS, type FencingOptions } from './fencing.js';
export { checkLostUpdates, type LostUpdateOptions, type LostUpdateLockSummary } from './lost-update.js';

/** Names of the lock checkers, as they appear in CheckResult.checker. */
export type LockCheckerName = 'mutex' | 'overlap' | 'fencing' | 'lost-update';

/** Options for every lock checker, by checker name. */
export interface LockCheckOptions {
  mutex?: MutexCheckOptions;
  overlap?: OverlapOptions;
  fencing?: FencingOptions;
  'lost-update'?: LostUpdateOptions;
}

/** The lock checkers by name (each takes the history and its own options). */
export const LOCK_CHECKERS = Object.freeze({
  mutex: checkMutexLinearizable,
  overlap: checkOverlap,
  fencing: checkFencing,
  'lost-update': checkLostUpdates,
} satisfies Record<LockCheckerName, (history: History) => CheckResult>);

/** All four results, combined: `results` has each checker's own result; anomalies carry a `checker` field. */
export interface LocksResult extends CheckResult {
  checker: 'locks';
  results: Record<LockCheckerName, CheckResult>;
}

/** Run all four lock checkers; the verdict is false if any is false, else unknown if any is unknown. */
export function checkLocks(history: History, opts: LockCheckOptions = {}): LocksResult {
  const results: Record<LockCheckerName, CheckResult> = {
    mutex: checkMutexLinearizable(history, opts.mutex),
    overlap: checkOverlap(history, opts.overlap),
    fencing: checkFencing(history, opts.fencing),
    'lost-update': checkLostUpdates(history, opts['lost-update']),
  };
  const entries = Object.entries(results) as [LockCheckerName, CheckResult][];
  const anomalies: Anomaly[] = entries.flatMap(([name, r]) => r.anomalies.map((a) => ({ ...a, checker: name })));
  const word = (r: CheckResult) => (r.valid === true ? 'valid' : r.valid === false ? 'INVALID' : 'unknown');
  return {
    valid: combineVerdicts(entries.map(([, r]) => r.valid)),
    checker: 'locks',
    anomalies,
    stats: Object.fromEntries(entries.map(([name, r]) => [name, r.stats])),
    explanation: entries.map(([name, r]) => `${name}: ${word(r)}${r.explanation ? ` (${r.explanation.split('\n')[0]})` : ''}`).join('\n'),
    results,
  };
}

/**
 * Which checkers judge a run, by name, and how their verdicts combine (false beats unknown beats true).
 */
import type { History } from '../checkers/history/types.js';
import { checkLinearizability } from '../checkers/linearizable/check.js';
import type { ModelOptions } from '../checkers/linearizable/model.js';
import { createModel, modelNames } from '../checkers/linearizable/models/index.js';
import { combineVerdicts, type CheckResult, type Verdict } from '../checkers/result.js';
import { checkFencing, checkLostUpdates, checkMutexLinearizable, checkOverlap } from '../checkers/mutex/index.js';

/** The lock checkers (checkers/mutex/): mutex linearizability, belief overlap, fencing order, lost updates. */
export const LOCK_CHECKER_NAMES = ['mutex', 'overlap', 'fencing', 'lost-update'] as const;
export type LockCheckerName = (typeof LOCK_CHECKER_NAMES)[number];

/**
 * A checker a scenario asks for: a built-in one by name, or the user's own pure function. `expect` states this
 * checker's own expected verdict when it differs from the scenario's (e.g. the lock overlaps, yet fencing keeps the
 * resource consistent); the run is as expected only if every such checker matches too.
 */
export type CheckerSpec = (
  | { checker: 'linearizable'; model: string; options?: ModelOptions; timeBudgetMs?: number }
  | { checker: LockCheckerName; timeBudgetMs?: number }
  | { checker: 'custom'; name: string; check: (history: History) => CheckResult | Promise<CheckResult> }
) & { expect?: 'valid' | 'invalid' };

export const CHECKER_NAMES = ['linearizable', ...LOCK_CHECKER_NAMES, 'custom'] as const;

/** All four lock checkers, for scenarios: `checkers: lockCheckers()` (optionally with per-checker expectations). */
export function lockCheckers(expect: Partial<Record<LockCheckerName, 'valid' | 'invalid'>> = {}): CheckerSpec[] {
  return LOCK_CHECKER_NAMES.map((checker) => ({ checker, ...(expect[checker] ? { expect: expect[checker] } : {}) }));
}

function runLockChecker(name: LockCheckerName, history: History, timeBudgetMs: number): CheckResult {
  switch (name) {
    case 'mutex':
      return checkMutexLinearizable(history, { timeBudgetMs });
    case 'overlap':
      return checkOverlap(history);
    case 'fencing':
      return checkFencing(history);
    case 'lost-update':
      return checkLostUpdates(history);
  }
}

/** Throws with the valid choices when a spec names an unknown checker or model (called before the run starts). */
export function validateCheckers(specs: readonly CheckerSpec[]): void {
  for (const s of specs) {
    if (s.checker === 'linearizable') {
      createModel(s.model, s.options); // throws ModelConfigError listing models/options
    } else if ((LOCK_CHECKER_NAMES as readonly string[]).includes(s.checker)) {
      // no options to validate
    } else if (s.checker === 'custom') {
      if (typeof s.check !== 'function') throw new Error(`custom checker ${JSON.stringify(s.name)} needs a check(history) function`);
    } else {
      throw new Error(`unknown checker ${JSON.stringify((s as { checker: unknown }).checker)}; valid: ${CHECKER_NAMES.join(', ')} (linearizable models: ${modelNames().join(', ')})`);
    }
  }
}

/** Runs every checker on the history. A checker that throws yields `unknown` with the error as its explanation. */
export async function runCheckers(specs: readonly CheckerSpec[], history: History): Promise<{ valid: Verdict; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  for (const s of specs) {
    try {
      if (s.checker === 'linearizable') {
        results.push(checkLinearizability(history, createModel(s.model, s.options), { timeBudgetMs: s.timeBudgetMs ?? 60_000 }));
      } else if (s.checker !== 'custom') {
        results.push(runLockChecker(s.checker, history, s.timeBudgetMs ?? 60_000));
      } else {
        results.push(await s.check(history));
      }
    } catch (err) {
      const name = s.checker === 'custom' ? s.name : s.checker;
      results.push({ valid: 'unknown', checker: name, anomalies: [], stats: {}, explanation: `checker failed: ${(err as Error).message}` });
    }
  }
  return { valid: combineVerdicts(results.map((r) => r.valid)), results };
}

/**
 * Which checkers judge a run, by name, and how their verdicts combine (false beats unknown beats true).
 */
import type { History } from '../checkers/history/types.js';
import { checkLinearizability } from '../checkers/linearizable/check.js';
import type { ModelOptions } from '../checkers/linearizable/model.js';
import { createModel, modelNames } from '../checkers/linearizable/models/index.js';
import { combineVerdicts, type CheckResult, type Verdict } from '../checkers/result.js';
import { checkFencing, checkLostUpdates, checkMutexLinearizable, checkOverlap } from '../checkers/mutex/index.js';
import { canonicalModel, checkListAppend, checkRwRegister } from '../checkers/txn/index.js';
import type { TxnCheckOptions } from '../checkers/txn/types.js';
import { checkBank, type BankCheckOptions } from '../checkers/bank.js';
import { checkSet, type SetCheckOptions } from '../checkers/set.js';
import { checkCounter } from '../checkers/counter.js';

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
  | { checker: 'list-append'; options?: TxnCheckOptions }
  | { checker: 'rw-register'; options?: TxnCheckOptions }
  | { checker: 'bank'; options?: BankCheckOptions }
  | { checker: 'set'; options?: SetCheckOptions }
  | { checker: 'counter' }
  | { checker: 'custom'; name: string; check: (history: History) => CheckResult | Promise<CheckResult> }
) & { expect?: 'valid' | 'invalid' };

/** The Elle-style transactional checkers (checkers/txn/): dependency cycles and non-cycle anomalies. */
export const TXN_CHECKER_NAMES = ['list-append', 'rw-register'] as const;
export type TxnCheckerName = (typeof TXN_CHECKER_NAMES)[number];

/** The atomicity checkers with Jepsen's semantics: conservation of money, lost set elements, counter bounds. */
export const ATOMICITY_CHECKER_NAMES = ['bank', 'set', 'counter'] as const;

export const CHECKER_NAMES = ['linearizable', ...LOCK_CHECKER_NAMES, ...TXN_CHECKER_NAMES, ...ATOMICITY_CHECKER_NAMES, 'custom'] as const;

/**
 * How a checker's result is named in verdict lines and reports: a transactional checker judged against explicit
 * models carries them (`list-append (serializable)`), so one scenario can check one history against two models.
 */
export function checkerLabel(spec: CheckerSpec): string {
  if (spec.checker === 'custom') return spec.name;
  if ((TXN_CHECKER_NAMES as readonly string[]).includes(spec.checker)) {
    const models = (spec as { options?: TxnCheckOptions }).options?.consistencyModels;
    return models && models.length > 0 ? `${spec.checker} (${models.join(', ')})` : spec.checker;
  }
  return spec.checker;
}

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
    } else if ((LOCK_CHECKER_NAMES as readonly string[]).includes(s.checker) || s.checker === 'counter') {
      // no options to validate
    } else if (s.checker === 'list-append' || s.checker === 'rw-register') {
      for (const m of s.options?.consistencyModels ?? []) canonicalModel(m); // throws listing the valid models
    } else if (s.checker === 'bank' || s.checker === 'set') {
      // options are checked by the checker itself
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
      } else if (s.checker === 'list-append' || s.checker === 'rw-register') {
        const r = s.checker === 'list-append' ? checkListAppend(history, s.options) : checkRwRegister(history, s.options);
        results.push({ ...r, checker: checkerLabel(s) });
      } else if (s.checker === 'bank') {
        results.push(checkBank(history, s.options));
      } else if (s.checker === 'set') {
        results.push(checkSet(history, s.options));
      } else if (s.checker === 'counter') {
        results.push(checkCounter(history));
      } else if (s.checker !== 'custom') {
        results.push(runLockChecker(s.checker, history, s.timeBudgetMs ?? 60_000));
      } else {
        results.push(await s.check(history));
      }
    } catch (err) {
      const name = checkerLabel(s);
      results.push({ valid: 'unknown', checker: name, anomalies: [], stats: {}, explanation: `checker failed: ${(err as Error).message}` });
    }
  }
  return { valid: combineVerdicts(results.map((r) => r.valid)), results };
}

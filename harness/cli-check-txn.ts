/**
 * `faultline check --checker list-append|rw-register|bank|set|counter`: the transactional and atomicity checkers
 * on a history file. Options are validated here so a typo is a usage error listing the valid choices, not a
 * silently ignored flag.
 */
import { readHistory } from '../checkers/history/io.js';
import type { Op } from '../checkers/history/types.js';
import type { CheckResult } from '../checkers/result.js';
import { canonicalModel, consistencyModelNames } from '../checkers/txn/index.js';
import type { TxnCheckOptions, TxnCheckResult } from '../checkers/txn/types.js';
import { runCheckers, TXN_CHECKER_NAMES, type CheckerSpec } from './checkers.js';
import { parseDuration, UsageError, verdictWord } from './cli-values.js';

/** The checkers this module serves, for the CLI's `--checker` choices. */
export const TXN_CLI_CHECKERS = [...TXN_CHECKER_NAMES, 'bank', 'set', 'counter'] as const;

/** Flags of `faultline check` that these checkers read. */
export interface TxnCheckFlags {
  checker: string;
  format?: string;
  budget?: string;
  consistencyModels?: string[];
  anomalies?: string[];
  total?: string;
  accounts?: string;
  negativeBalances?: boolean;
  opt: Record<string, unknown>;
  json?: boolean;
  maxAnomalies?: string;
}

/** `--opt` keys each checker understands (the rest of its options have their own flags). */
const OPT_KEYS: Record<string, readonly string[]> = {
  'list-append': ['maxValueChars'],
  'rw-register': ['maxValueChars', 'wfrKeys', 'sequentialKeys', 'linearizableKeys'],
  bank: [],
  set: ['linearizable'],
  counter: [],
};

/** Split `a,b` lists given once or repeated (`--consistency-models a --consistency-models b`). */
export function collectList(text: string, acc: string[] = []): string[] {
  return [...acc, ...text.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} expects a non-negative integer; got ${JSON.stringify(text)}`);
  return n;
}

function checkOptKeys(checker: string, opt: Record<string, unknown>): void {
  const valid = OPT_KEYS[checker] ?? [];
  const bad = Object.keys(opt).filter((k) => !valid.includes(k));
  if (bad.length > 0) {
    throw new UsageError(`--opt ${bad.join(', ')} is not an option of --checker ${checker}; ${valid.length > 0 ? `valid: ${valid.join(', ')}` : 'it takes no --opt'}`);
  }
}

function onlyFor(flag: string, given: unknown, checker: string, allowed: readonly string[]): void {
  if (given !== undefined && !allowed.includes(checker)) throw new UsageError(`${flag} applies to --checker ${allowed.join('|')}, not ${checker}`);
}

/** Turn validated flags into the checker spec the harness runs (the same path a scenario's checkers take). */
export function txnSpecFromFlags(flags: TxnCheckFlags): CheckerSpec {
  const c = flags.checker;
  checkOptKeys(c, flags.opt);
  onlyFor('--consistency-models', flags.consistencyModels, c, TXN_CHECKER_NAMES);
  onlyFor('--anomalies', flags.anomalies, c, TXN_CHECKER_NAMES);
  onlyFor('--total', flags.total, c, ['bank']);
  onlyFor('--accounts', flags.accounts, c, ['bank']);
  onlyFor('--negative-balances', flags.negativeBalances, c, ['bank']);
  if (c === 'list-append' || c === 'rw-register') {
    const options: TxnCheckOptions = { ...(flags.opt as TxnCheckOptions) };
    if (flags.consistencyModels) {
      for (const m of flags.consistencyModels) {
        try {
          canonicalModel(m);
        } catch {
          throw new UsageError(`unknown consistency model ${JSON.stringify(m)}; valid: ${consistencyModelNames().join(', ')}`);
        }
      }
      options.consistencyModels = flags.consistencyModels;
    }
    if (flags.anomalies) options.anomalies = flags.anomalies;
    if (flags.budget !== undefined) options.cycleSearchBudgetMs = parseDuration('--budget', flags.budget);
    return { checker: c, options };
  }
  if (flags.budget !== undefined) throw new UsageError(`--budget does not apply to --checker ${c} (it runs in linear time)`);
  if (c === 'bank') {
    return {
      checker: 'bank',
      options: {
        ...(flags.total !== undefined ? { total: positiveInt('--total', flags.total) } : {}),
        ...(flags.accounts !== undefined ? { accounts: positiveInt('--accounts', flags.accounts) } : {}),
        ...(flags.negativeBalances ? { negativeBalances: true } : {}),
      },
    };
  }
  if (c === 'set') return { checker: 'set', options: flags.opt };
  if (c === 'counter') return { checker: 'counter' };
  throw new UsageError(`unknown checker ${JSON.stringify(c)}; valid: ${TXN_CLI_CHECKERS.join(', ')}`);
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The human summary: verdict, models ruled out, then each anomaly type with its first few explanations. */
export function formatTxnResult(r: CheckResult, file: string, maxPerType: number): string {
  const lines = [`${verdictWord(r.valid)}: ${r.checker} (${file})`];
  const t = r as Partial<TxnCheckResult>;
  if (t.consistencyModels) lines.push(`  checked against: ${t.consistencyModels.join(', ')}`);
  if (t.not && t.not.length > 0) lines.push(`  not: ${t.not.join(', ')}${t.alsoNot && t.alsoNot.length > 0 ? ` (so also not: ${t.alsoNot.join(', ')})` : ''}`);
  const byType = new Map<string, typeof r.anomalies>();
  for (const a of r.anomalies) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
  if (byType.size > 0) lines.push(`  anomalies: ${[...byType].map(([type, as]) => `${type} ×${as.length}`).join(', ')}`);
  for (const [type, as] of byType) {
    lines.push('', `${type} (${plural(as.length, 'instance')}${as.length > maxPerType ? `, first ${maxPerType} shown; --json for all` : ''}):`);
    for (const a of as.slice(0, maxPerType)) {
      lines.push(`  ops ${a.ops.join(', ')}`);
      lines.push(...a.explanation.split('\n').map((l) => `    ${l}`));
    }
  }
  if (byType.size === 0 && r.valid !== true && r.explanation) lines.push('', r.explanation);
  return `${lines.join('\n')}\n`;
}

/**
 * Run one transactional or atomicity checker on a file; resolves to the verdict for the exit code. `afterCheck`
 * sees the history and result (`check --report` writes the HTML report from them).
 */
export async function runTxnCheck(
  file: string,
  flags: TxnCheckFlags,
  afterCheck?: (ops: Op[], results: CheckResult[]) => Promise<unknown>,
): Promise<CheckResult['valid']> {
  const spec = txnSpecFromFlags(flags);
  const maxPerType = flags.maxAnomalies !== undefined ? positiveInt('--max-anomalies', flags.maxAnomalies) : 3;
  const parseStart = performance.now();
  const { ops } = await readHistory(file, flags.format);
  const parseMs = performance.now() - parseStart;
  const { results } = await runCheckers([spec], ops);
  const r = results[0]!;
  r.stats = { ...r.stats, parseMs: Math.round(parseMs), historyOps: ops.length };
  process.stdout.write(flags.json ? `${JSON.stringify(r, null, 2)}\n` : formatTxnResult(r, file, maxPerType));
  await afterCheck?.(ops, results);
  return r.valid;
}

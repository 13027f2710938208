/**
 * `bank`: money moves between accounts but is never created or destroyed (Jepsen's bank test, txn-anomalies.md §10).
 *
 * History: `{f:"transfer", value:{from, to, amount}}` (never checked: a transfer's outcome says nothing about the
 * totals, so `info` transfers are harmless) and `{f:"read", value:null}` whose ok completion carries the balances as
 * `{"<account>": balance}`, an array of `[account, balance]` pairs, a `Map`, or edn-data's wrapped map
 * `{map: [[account, balance], ...]}`. Account ids compare by text, so `0` and `"0"` (EDN map keys arrive as strings)
 * are the same account.
 *
 * Every ok read of a client is checked on its own, and every rule it breaks is counted (a read may break several):
 * - `unexpected-key`: an account outside `accounts` (only when `accounts` is given);
 * - `nil-balance`: a balance that is null or not a finite number;
 * - `wrong-total`: the balances (all of them, unexpected accounts included) do not sum exactly to `total`; not
 *   checked for a read with a nil balance, whose sum is undefined;
 * - `negative-value`: a negative balance, unless `negativeBalances`.
 * Errors are grouped per type with count, first, worst and last (wrong-total also lowest and highest sum): one
 * anomaly per type, not one per read. Reads whose value is not a balance map are reported as `malformed-op` and
 * keep the verdict from being `true`.
 */
import type { History, PairedOp, ProcessId } from './history/types.js';
import { canonical } from './linearizable/models/value.js';
import { abbreviate, isClient, pairOrExplain, preview } from './mutex/common.js';
import { malformedAnomaly, plural } from './malformed.js';
import type { Anomaly, CheckResult, Verdict } from './result.js';

/** Knobs of the bank checker: what the scenario set up, so reads can be held to it. */
export interface BankCheckOptions {
  /** Known accounts: a count n (ids 0..n-1) or the ids; without it unexpected accounts are not checked. */
  accounts?: readonly number[] | number;
  /** Money in the bank; without it the sum of the first ok read is taken (and the result says so). */
  total?: number;
  /** Allow negative balances (some banks permit overdrafts). Default false. */
  negativeBalances?: boolean;
}

/** The rules an ok read can break, in the order they are reported. */
export type BankErrorType = 'unexpected-key' | 'nil-balance' | 'wrong-total' | 'negative-value';

const ERROR_TYPES: readonly BankErrorType[] = ['unexpected-key', 'nil-balance', 'wrong-total', 'negative-value'];

/** One ok read breaking one rule, with what it saw, so a reviewer can find and judge it. */
export interface BankReadError {
  type: BankErrorType;
  /** History index of the read's ok completion (where the balances are). */
  index: number;
  invokeIndex: number;
  process: ProcessId;
  /** How bad it is (larger is worse): unknown accounts, nil balances, |sum - total|, or minus the lowest balance. */
  badness: number;
  /** unexpected-key: the unknown accounts. */
  unexpected?: string[];
  /** nil-balance: the accounts whose balance is missing or not a number, with what was read. */
  nils?: Record<string, unknown>;
  /** wrong-total: the sum of the read's balances. */
  total?: number;
  /** negative-value: the accounts with a negative balance. */
  negative?: Record<string, number>;
}

/** All reads breaking one rule, summarized the way a reviewer scans them: how many, first, worst, last. */
export interface BankErrorGroup {
  count: number;
  first: BankReadError;
  worst: BankReadError;
  last: BankReadError;
  /** wrong-total only: the reads with the lowest and highest sums. */
  lowest?: BankReadError;
  highest?: BankReadError;
}

/** Where the total the reads are held to came from. */
export type TotalSource = 'option' | 'first-read' | 'none';

interface Balances {
  entries: [string, unknown][];
}

/** Text of an account id: numbers and strings by their text (EDN map keys arrive as strings), anything else as JSON. */
function accountKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  return canonical(k);
}

const isPair = (x: unknown): x is [unknown, unknown] => Array.isArray(x) && x.length === 2;

/** The balances of a read value, or what was wrong with it. */
function balancesOf(v: unknown): Balances | { problem: string } {
  const expected = 'expected the balances as {"<account>": balance, ...} or [[account, balance], ...]';
  let raw: [unknown, unknown][];
  if (v instanceof Map) raw = [...v.entries()];
  else if (Array.isArray(v)) {
    if (!v.every(isPair)) return { problem: `read value ${preview(v)}: ${expected}` };
    raw = v;
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    // edn-data's wrapped form of a map: {map: [[k, v], ...]}.
    if (keys.length === 1 && keys[0] === 'map' && Array.isArray(o.map) && o.map.every(isPair)) raw = o.map;
    else raw = Object.entries(o);
  } else return { problem: `read value ${preview(v)}: ${expected}` };
  const seen = new Set<string>();
  const entries: [string, unknown][] = [];
  for (const [k, b] of raw) {
    const key = accountKey(k);
    if (seen.has(key)) return { problem: `read value ${preview(v)}: account ${key} appears twice; ${expected}` };
    seen.add(key);
    entries.push([key, b]);
  }
  return { entries };
}

const isBalance = (b: unknown): b is number => typeof b === 'number' && Number.isFinite(b);

function validateOptions(opts: BankCheckOptions): { accounts: Set<string> | null; total: number | undefined; negativeBalances: boolean } {
  const { accounts, total, negativeBalances } = opts;
  let known: Set<string> | null = null;
  if (typeof accounts === 'number') {
    if (!Number.isInteger(accounts) || accounts < 0) throw new TypeError(`checkBank: opts.accounts ${preview(accounts)}: expected a count of accounts (a non-negative integer) or an array of account ids`);
    known = new Set(Array.from({ length: accounts }, (_, i) => String(i)));
  } else if (Array.isArray(accounts)) {
    const bad = accounts.find((a) => typeof a !== 'number' && typeof a !== 'string');
    if (bad !== undefined) throw new TypeError(`checkBank: opts.accounts contains ${preview(bad)}: expected account ids (numbers)`);
    known = new Set(accounts.map(accountKey));
  } else if (accounts !== undefined) {
    throw new TypeError(`checkBank: opts.accounts ${preview(accounts)}: expected a count of accounts or an array of account ids`);
  }
  if (total !== undefined && !isBalance(total)) throw new TypeError(`checkBank: opts.total ${typeof total === 'number' ? String(total) : preview(total)}: expected the bank's total as a finite number`);
  if (negativeBalances !== undefined && typeof negativeBalances !== 'boolean') throw new TypeError(`checkBank: opts.negativeBalances ${preview(negativeBalances)}: expected true or false`);
  return { accounts: known, total, negativeBalances: negativeBalances ?? false };
}

const idx = (p: PairedOp) => p.complete?.index ?? p.invoke.index;

/** What one read saw, in a few words, for the explanation of its error type. */
function describe(e: BankReadError, total: number | undefined): string {
  switch (e.type) {
    case 'unexpected-key':
      return `account${e.unexpected!.length === 1 ? '' : 's'} ${abbreviate(e.unexpected!, 5)}`;
    case 'nil-balance':
      return abbreviate(Object.entries(e.nils!).map(([a, b]) => `account ${a} = ${b === undefined ? 'missing' : preview(b)}`), 5);
    case 'wrong-total':
      return `sum ${e.total}${total !== undefined ? `, off by ${e.total! - total > 0 ? '+' : ''}${e.total! - total}` : ''}`;
    case 'negative-value':
      return abbreviate(Object.entries(e.negative!).map(([a, b]) => `account ${a} = ${b}`), 5);
  }
}

const WHAT: Record<BankErrorType, (n: number, total: number | undefined, accounts: number) => string> = {
  'unexpected-key': (n, _t, k) => `${plural(n, 'ok read')} named accounts outside the ${k} known ones`,
  'nil-balance': (n) => `${plural(n, 'ok read')} had a missing or non-numeric balance`,
  'wrong-total': (n, t) => `${plural(n, 'ok read')} did not sum to the total ${t}, so money was created or destroyed (a lost update, or a read that saw half a transfer)`,
  'negative-value': (n) => `${plural(n, 'ok read')} showed a negative balance, which the bank forbids (negativeBalances is off)`,
};

function groupAnomaly(type: BankErrorType, g: BankErrorGroup, total: number | undefined, accounts: number, totalNote: string): Anomaly {
  const at = (e: BankReadError) => `#${e.index} (${describe(e, total)})`;
  let text = `${WHAT[type](g.count, total, accounts)}: first at ${at(g.first)}, worst at ${at(g.worst)}, last at ${at(g.last)}.`;
  const ops = [g.first.index, g.worst.index, g.last.index];
  if (g.lowest && g.highest) {
    text += ` Sums ranged from ${g.lowest.total} (#${g.lowest.index}) to ${g.highest.total} (#${g.highest.index}).`;
    ops.push(g.lowest.index, g.highest.index);
  }
  if (type === 'wrong-total' && totalNote) text += ` ${totalNote}`;
  return { type, ops: [...new Set(ops)].sort((a, b) => a - b), explanation: text, ...g };
}

/** Hold every ok read to the bank's invariants; one anomaly per kind of error, with its first, worst and last read. */
export function checkBank(history: History, opts: BankCheckOptions = {}): CheckResult {
  const o = validateOptions(opts);
  const pairing = pairOrExplain(history);
  if (pairing.error !== undefined) {
    return {
      valid: 'unknown',
      checker: 'bank',
      anomalies: [],
      stats: { reads: 0, okReads: 0, malformed: 1 },
      explanation: `Cannot check the bank: the history is malformed: ${pairing.error}`,
    };
  }
  const reads = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const transfers = { invoked: 0, ok: 0, fail: 0, info: 0 };
  const okReads: { pair: PairedOp; balances: Balances }[] = [];
  const malformed: { index: number; problem: string }[] = [];
  for (const p of pairing.paired) {
    if (!isClient(p)) continue;
    if (p.f === 'transfer') {
      transfers.invoked++;
      transfers[p.outcome]++;
    } else if (p.f === 'read') {
      reads.invoked++;
      reads[p.outcome]++;
      if (p.outcome !== 'ok') continue;
      const b = balancesOf(p.complete!.value);
      if ('problem' in b) malformed.push({ index: idx(p), problem: b.problem });
      else okReads.push({ pair: p, balances: b });
    }
  }
  // Paired ops are in invocation order; a read's value is judged where it completed.
  okReads.sort((a, b) => a.pair.completePos - b.pair.completePos);

  let total = o.total;
  let totalSource: TotalSource = total !== undefined ? 'option' : 'none';
  let totalNote = '';
  if (total === undefined) {
    const first = okReads.find((r) => r.balances.entries.every(([, b]) => isBalance(b)));
    if (first) {
      total = first.balances.entries.reduce((s, [, b]) => s + (b as number), 0);
      totalSource = 'first-read';
      totalNote = `No total was given: ${total} is the sum of the first ok read #${idx(first.pair)}, so that read cannot show a wrong total.`;
    }
  }

  const groups = new Map<BankErrorType, BankErrorGroup>();
  const record = (e: BankReadError) => {
    const g = groups.get(e.type);
    if (!g) {
      groups.set(e.type, { count: 1, first: e, worst: e, last: e, ...(e.type === 'wrong-total' ? { lowest: e, highest: e } : {}) });
      return;
    }
    g.count++;
    g.last = e;
    if (e.badness > g.worst.badness) g.worst = e;
    if (g.lowest && e.total! < g.lowest.total!) g.lowest = e;
    if (g.highest && e.total! > g.highest.total!) g.highest = e;
  };
  for (const { pair, balances } of okReads) {
    const base = { index: idx(pair), invokeIndex: pair.invoke.index, process: pair.process };
    const { entries } = balances;
    if (o.accounts) {
      const unexpected = entries.map(([a]) => a).filter((a) => !o.accounts!.has(a));
      if (unexpected.length > 0) record({ type: 'unexpected-key', ...base, badness: unexpected.length, unexpected });
    }
    const nils = entries.filter(([, b]) => !isBalance(b));
    if (nils.length > 0) record({ type: 'nil-balance', ...base, badness: nils.length, nils: Object.fromEntries(nils) });
    else if (total !== undefined) {
      const sum = entries.reduce((s, [, b]) => s + (b as number), 0);
      if (sum !== total) record({ type: 'wrong-total', ...base, badness: Math.abs(sum - total), total: sum });
    }
    if (!o.negativeBalances) {
      const negative = entries.filter((e): e is [string, number] => isBalance(e[1]) && e[1] < 0);
      if (negative.length > 0) record({ type: 'negative-value', ...base, badness: -Math.min(...negative.map(([, b]) => b)), negative: Object.fromEntries(negative) });
    }
  }

  const accountCount = o.accounts?.size ?? 0;
  const anomalies: Anomaly[] = [];
  for (const t of ERROR_TYPES) {
    const g = groups.get(t);
    if (g) anomalies.push(groupAnomaly(t, g, total, accountCount, totalNote));
  }
  if (malformed.length > 0) anomalies.push(malformedAnomaly(malformed));

  let valid: Verdict;
  let explanation: string;
  const errorCount = [...groups.values()].reduce((s, g) => s + g.count, 0);
  if (reads.ok === 0) {
    valid = 'unknown';
    explanation = `No read completed ok (${plural(reads.invoked, 'read')} invoked), so no balances were ever observed.`;
  } else if (groups.size > 0) {
    valid = false;
    explanation = anomalies.map((a) => a.explanation).join('\n');
  } else if (malformed.length > 0) {
    valid = 'unknown';
    explanation = anomalies.map((a) => a.explanation).join('\n');
  } else {
    valid = true;
    explanation =
      `All ${plural(okReads.length, 'ok read')} ${total !== undefined ? `summed to ${total}` : 'had numeric balances'}` +
      `${o.accounts ? `, named only the ${accountCount} known accounts` : ''}${o.negativeBalances ? '' : ' and showed no negative balance'}.` +
      (totalNote ? ` ${totalNote}` : '');
  }
  return {
    valid,
    checker: 'bank',
    anomalies,
    stats: {
      reads: reads.invoked,
      okReads: reads.ok,
      failedReads: reads.fail,
      infoReads: reads.info,
      transfers,
      total: total ?? null,
      totalSource,
      accounts: o.accounts ? accountCount : null,
      errorReads: errorCount,
      errors: Object.fromEntries(ERROR_TYPES.map((t) => [t, groups.get(t)?.count ?? 0])),
      malformed: malformed.length,
    },
    explanation,
  };
}

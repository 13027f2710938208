/**
 * Checker benchmark: generated histories with recorded seeds, each case in a fresh process so peak RSS is the
 * case's own. Prints one JSON document on stdout; progress lines go to stderr.
 *
 *   npm run bench                       all cases
 *   npm run bench -- --quick            the smaller cases only
 *   npm run bench -- --filter cas       cases whose name contains "cas"
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism, totalmem } from 'node:os';
import { checkLinearizability } from '../checkers/linearizable/check.js';
import { createModel } from '../checkers/linearizable/models/index.js';
import type { Op } from '../checkers/history/types.js';
import { simulateHistory, type SimKind } from '../test/support/simulate.js';

/** One benchmark case: how to make the history and how to check it. */
interface Case {
  name: string;
  kind: SimKind | 'hard-unknown';
  clients: number;
  ops: number;
  crashRate: number;
  keys?: number;
  seed: number;
  budgetMs: number;
  initial?: unknown;
  appends?: boolean;
}

/** What one case measured. */
interface CaseResult {
  name: string;
  seed: number;
  ops: number;
  verdict: boolean | 'unknown';
  ms: number;
  peakRssMB: number;
  steps: number;
  backtracks: number;
  partitions: number;
  budgetMs: number;
  genMs: number;
}

const SEED = 20261122;

function cases(): Case[] {
  const out: Case[] = [];
  for (const kind of ['register', 'cas-register'] as const)
    for (const clients of [5, 10, 20, 50])
      for (const ops of [1_000, 10_000, 100_000])
        for (const crashRate of [0, 0.05])
          out.push({ name: `${kind} c=${clients} n=${ops} crash=${crashRate * 100}%`, kind, clients, ops, crashRate, seed: SEED, budgetMs: 30_000 });
  // kv as Jepsen's independent registers (get/put/cas per key), then with string appends, the harder case.
  for (const keys of [10, 100])
    for (const crashRate of [0, 0.05])
      out.push({ name: `kv keys=${keys} c=50 n=100000 crash=${crashRate * 100}%`, kind: 'kv', clients: 50, ops: 100_000, crashRate, keys, seed: SEED, budgetMs: 30_000, initial: '', appends: false });
  for (const keys of [10, 100])
    out.push({ name: `kv+append keys=${keys} c=10 n=10000 crash=5%`, kind: 'kv', clients: 10, ops: 10_000, crashRate: 0.05, keys, seed: SEED, budgetMs: 30_000, initial: '', appends: true });
  // Long, realistic: 10 clients, 500k ops (1M records), 1% crashed.
  out.push({ name: 'register c=10 n=500000 crash=1%', kind: 'register', clients: 10, ops: 500_000, crashRate: 0.01, seed: SEED, budgetMs: 60_000 });
  // A history built to exhaust any budget: measures how promptly 'unknown' comes back.
  out.push({ name: 'budget 2s on an exponential history', kind: 'hard-unknown', clients: 40, ops: 0, crashRate: 0, seed: SEED, budgetMs: 2_000 });
  return out;
}

/** 40 overlapping writes of distinct values while one reader sees 5, then 3, then 5 again: invalid, but every
 * subset of the other writes is a distinct configuration, so no search can finish and it must stop at the budget. */
function hardHistory(writers: number): Op[] {
  const h: Op[] = [];
  const push = (process: number, type: Op['type'], f: string, value: unknown) => h.push({ index: h.length, process, type, f, value });
  for (let p = 0; p < writers; p++) push(p, 'invoke', 'write', p);
  for (const v of [5, 3, 5]) {
    push(writers, 'invoke', 'read', null);
    push(writers, 'ok', 'read', v);
  }
  for (let p = 0; p < writers; p++) push(p, 'ok', 'write', p);
  return h;
}

function runCase(c: Case): CaseResult {
  const g0 = performance.now();
  const history =
    c.kind === 'hard-unknown'
      ? hardHistory(c.clients)
      : simulateHistory({ kind: c.kind, seed: c.seed, clients: c.clients, ops: c.ops, crashRate: c.crashRate, keys: c.keys, appends: c.appends });
  const genMs = performance.now() - g0;
  const model = createModel(c.kind === 'hard-unknown' ? 'register' : c.kind, c.initial !== undefined ? { initial: c.initial } : {});
  const r = checkLinearizability(history, model, { timeBudgetMs: c.budgetMs });
  const s = r.stats as Record<string, number>;
  return {
    name: c.name,
    seed: c.seed,
    ops: history.length,
    verdict: r.valid,
    ms: Math.round(s.ms! * 10) / 10,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    steps: s.steps!,
    backtracks: s.backtracks!,
    partitions: s.partitions!,
    budgetMs: c.budgetMs,
    genMs: Math.round(genMs),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const caseArg = args.indexOf('--case');
  if (caseArg >= 0) {
    process.stdout.write(JSON.stringify(runCase(JSON.parse(args[caseArg + 1]!) as Case)));
    return;
  }
  const quick = args.includes('--quick');
  const filterAt = args.indexOf('--filter');
  const filter = filterAt >= 0 ? args[filterAt + 1] : undefined;
  const selected = cases().filter((c) => (!quick || c.ops <= 10_000) && (!filter || c.name.includes(filter)));
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  for (const c of selected) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=4096', self, '--case', JSON.stringify(c)], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const r = JSON.parse(out) as CaseResult;
    results.push(r);
    process.stderr.write(`${r.name}: ${r.verdict} in ${r.ms} ms, peak RSS ${r.peakRssMB} MB\n`);
  }
  const target = results.find((r) => r.name === 'cas-register c=50 n=10000 crash=5%');
  const regTarget = results.find((r) => r.name === 'register c=50 n=10000 crash=5%');
  const budget = results.find((r) => r.name.startsWith('budget'));
  const summary = {
    machine: { cpus: availableParallelism(), memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
    targets: {
      'register 50 clients x 10k ops, 5% crashed < 1000 ms': regTarget ? { ms: regTarget.ms, verdict: regTarget.verdict, met: regTarget.verdict === true && regTarget.ms < 1000 } : null,
      'cas-register 50 clients x 10k ops, 5% crashed < 1000 ms': target ? { ms: target.ms, verdict: target.verdict, met: target.verdict === true && target.ms < 1000 } : null,
      'no case over 2 GiB RSS': { maxPeakRssMB: Math.max(0, ...results.map((r) => r.peakRssMB)), met: results.every((r) => r.peakRssMB < 2048) },
      'exhausted budget returns unknown within 10%': budget ? { budgetMs: budget.budgetMs, ms: budget.ms, verdict: budget.verdict, met: budget.verdict === 'unknown' && budget.ms <= budget.budgetMs * 1.1 } : null,
    },
    cases: results,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main();

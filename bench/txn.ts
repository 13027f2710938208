/**
 * Transactional checker benchmark: strict-serializable list-append histories of 10k, 100k and 1M txns (1–5 micro-ops,
 * 100 live keys retiring after 32 appends, 50 processes) checked by `checkListAppend` against the default model
 * (strict-serializable, which adds realtime and process edges) and against serializable. Each (size, model) case
 * runs in a fresh child process, so its peak RSS (`process.resourceUsage().maxRSS`, history included) is its own.
 * Prints one JSON document on stdout; progress lines go to stderr.
 *
 *   node --import tsx bench/txn.ts            10k, 100k and 1M txns
 *   node --import tsx bench/txn.ts --quick    10k and 100k only
 *
 * Targets (txn-anomalies.md §12, issue brief): at least 200k txn/s, and under 4 GiB peak RSS at 1M txns.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkListAppend } from '../checkers/txn/index.js';
import { generateBigListAppend } from '../test/support/txn-sim.js';

/** One measured case: how to generate the history and which model to check it against. */
interface Case {
  txns: number;
  model: 'strict-serializable' | 'serializable';
  keys: number;
  processes: number;
  minMops: number;
  maxMops: number;
  maxWritesPerKey: number;
  seed: number;
}

/** What one case measured. */
interface CaseResult extends Case {
  /** Checking time alone (ms), and the checker's own per-phase timings. */
  ms: number;
  txnPerSec: number;
  peakRssMB: number;
  genMs: number;
  historyOps: number;
  verdict: boolean | 'unknown';
  anomalyTypes: string[];
  phasesMs: unknown;
  edges: unknown;
  sccs: unknown;
}

const SEED = 20261122;
const GiB = 1024;

function cases(quick: boolean): Case[] {
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const out: Case[] = [];
  for (const txns of sizes) {
    for (const model of ['strict-serializable', 'serializable'] as const) {
      out.push({ txns, model, keys: 100, processes: 50, minMops: 1, maxMops: 5, maxWritesPerKey: 32, seed: SEED });
    }
  }
  return out;
}

function runCase(c: Case): CaseResult {
  const g0 = performance.now();
  const history = generateBigListAppend({ seed: c.seed, txns: c.txns, processes: c.processes, keys: c.keys, minMops: c.minMops, maxMops: c.maxMops, maxWritesPerKey: c.maxWritesPerKey });
  const genMs = performance.now() - g0;
  const t0 = performance.now();
  const r = checkListAppend(history, { consistencyModels: [c.model] });
  const ms = performance.now() - t0;
  const stats = r.stats as Record<string, unknown>;
  return {
    ...c,
    ms: Math.round(ms),
    txnPerSec: Math.round(c.txns / (ms / 1000)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    genMs: Math.round(genMs),
    historyOps: history.length,
    verdict: r.valid,
    anomalyTypes: r.anomalyTypes,
    phasesMs: stats.ms,
    edges: stats.edges,
    sccs: stats.sccs,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--case');
  if (at >= 0) {
    process.stdout.write(JSON.stringify(runCase(JSON.parse(args[at + 1]!) as Case)));
    return;
  }
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length > 0) {
    process.stderr.write(`bench/txn.ts: unknown argument ${JSON.stringify(unknown[0])}: expected --quick or nothing\n`);
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  const failed: (Case & { error: string })[] = [];
  for (const c of cases(args.includes('--quick'))) {
    let out: string;
    try {
      // A heap limit above the 4 GiB target, so a case that misses it is measured rather than killed.
      out = execFileSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', self, '--case', JSON.stringify(c)], {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    } catch (err) {
      // One broken case (a crash, running out of memory) is reported, and the others still run.
      const error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      failed.push({ ...c, error });
      process.stderr.write(`txn ${c.txns} ${c.model}: FAILED: ${error}\n`);
      continue;
    }
    const r = JSON.parse(out) as CaseResult;
    results.push(r);
    process.stderr.write(`txn ${r.txns} ${r.model}: ${String(r.verdict)} in ${r.ms} ms (${r.txnPerSec} txn/s), peak RSS ${r.peakRssMB} MB, generated in ${r.genMs} ms\n`);
  }
  const largest = Math.max(0, ...results.map((r) => r.txns));
  const atLargest = results.filter((r) => r.txns === largest);
  const summary = {
    machine: { cpus: availableParallelism(), memoryGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
    history: { generator: 'generateBigListAppend (test/support/txn-sim.ts): strict-serializable, each txn applied at its completion', seed: SEED },
    targets: {
      [`>= 200k txn/s at ${largest} txns`]: atLargest.map((r) => ({ model: r.model, txnPerSec: r.txnPerSec, met: r.txnPerSec >= 200_000 })),
      [`< 4 GiB peak RSS at ${largest} txns`]: atLargest.map((r) => ({ model: r.model, peakRssMB: r.peakRssMB, met: r.peakRssMB < 4 * GiB })),
      'every history judged valid (they are strict-serializable by construction)': { met: results.every((r) => r.verdict === true) },
      'every case ran': { met: failed.length === 0 },
    },
    cases: results,
    ...(failed.length > 0 ? { failed } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

main();

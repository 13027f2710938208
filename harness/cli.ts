#!/usr/bin/env node
/**
 * The `faultline` command. Validates every flag and file at the edge and maps outcomes to exit codes:
 * 0 valid, 1 invalid, 2 unknown, 64 usage or input error.
 */
import { Command, CommanderError, Option } from 'commander';
import { readHistory, writeHistory, HISTORY_FORMATS } from '../checkers/history/io.js';
import { HistoryError } from '../checkers/history/types.js';
import { checkPaired } from '../checkers/linearizable/check.js';
import { ModelConfigError, type ModelOptions } from '../checkers/linearizable/model.js';
import { createModel, MODELS, modelNames } from '../checkers/linearizable/models/index.js';
import type { CheckResult } from '../checkers/result.js';
import { parseBytes, parseDuration, UsageError, verdictWord } from './cli-values.js';
import { runCommand, listCommand, doctorCommand, proxyCommand, type RunFlags } from './cli-run.js';
import { PROGRESS_MODES } from './progress.js';
import { LOCK_CHECKER_NAMES, runCheckers, type LockCheckerName } from './checkers.js';
import { collectList, runTxnCheck, TXN_CLI_CHECKERS } from './cli-check-txn.js';
import { reportCommand, writeCheckReport, type ReportFlags } from './cli-report.js';

/** Exit codes shared by every subcommand (DESIGN.md). */
export const EXIT = { valid: 0, invalid: 1, unknown: 2, usage: 64, harness: 70 } as const;

function parseJsonOption(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${flag} expects JSON, e.g. ${flag} '""' or ${flag} 0 or ${flag} null; got ${JSON.stringify(text)}`);
  }
}

/** `--opt key=value`: the value is JSON when it parses as JSON, else a plain string. */
function collectOpt(text: string, acc: Record<string, unknown>): Record<string, unknown> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--opt expects key=value (e.g. --opt nilReadAny=true); got ${JSON.stringify(text)}`);
  const key = text.slice(0, eq);
  const raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    /* a plain string */
  }
  return { ...acc, [key]: value };
}

function exitCodeFor(r: CheckResult): number {
  return r.valid === true ? EXIT.valid : r.valid === false ? EXIT.invalid : EXIT.unknown;
}

interface CheckFlags {
  checker: string;
  model?: string;
  format?: string;
  budget?: string;
  memo?: string;
  initial?: string;
  opt: Record<string, unknown>;
  firstFailure?: boolean;
  json?: boolean;
  consistencyModels?: string[];
  anomalies?: string[];
  total?: string;
  accounts?: string;
  negativeBalances?: boolean;
  maxAnomalies?: string;
  /** Also write an HTML report of the history and verdict to this file. */
  report?: string;
}

/** `--checker mutex|overlap|fencing|lost-update|locks`: the lock checkers on a lock history. */
async function runLockCheck(file: string, flags: CheckFlags): Promise<number> {
  if (flags.model !== undefined) throw new UsageError(`--model applies to --checker linearizable only, not ${flags.checker}`);
  const timeBudgetMs = flags.budget !== undefined ? parseDuration('--budget', flags.budget) : undefined;
  const { ops } = await readHistory(file, flags.format);
  const names = flags.checker === 'locks' ? LOCK_CHECKER_NAMES : [flags.checker as LockCheckerName];
  const { valid, results } = await runCheckers(names.map((checker) => ({ checker, ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}) })), ops);
  if (flags.report !== undefined) await writeCheckReport(flags.report, ops, results, file);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(names.length === 1 ? results[0] : { valid, results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${verdictWord(r.valid)}: ${r.checker} (${file})\n`);
      if (r.valid !== true && r.explanation) process.stdout.write(`${r.explanation}\n\n`);
    }
  }
  return exitCodeFor({ valid } as CheckResult);
}

async function runCheck(file: string, flags: CheckFlags): Promise<number> {
  if ((TXN_CLI_CHECKERS as readonly string[]).includes(flags.checker)) {
    if (flags.model !== undefined) throw new UsageError(`--model applies to --checker linearizable only, not ${flags.checker}`);
    const report = flags.report;
    const valid = await runTxnCheck(file, flags, report !== undefined ? (ops, results) => writeCheckReport(report, ops, results, file) : undefined);
    return exitCodeFor({ valid } as CheckResult);
  }
  if (flags.checker !== 'linearizable') return runLockCheck(file, flags);
  if (flags.model === undefined) throw new UsageError(`--checker linearizable needs --model <name>; models: ${modelNames().join(', ')}`);
  const modelOptions: ModelOptions = { ...flags.opt };
  if (flags.initial !== undefined) modelOptions.initial = parseJsonOption('--initial', flags.initial);
  const model = createModel(flags.model, modelOptions);
  const timeBudgetMs = flags.budget !== undefined ? parseDuration('--budget', flags.budget) : undefined;
  const memoBudgetBytes = flags.memo !== undefined ? parseBytes('--memo', flags.memo) : undefined;
  const parseStart = performance.now();
  const { paired, ops } = await readHistory(file, flags.format);
  const parseMs = performance.now() - parseStart;
  const result = checkPaired(paired, model, { timeBudgetMs, memoBudgetBytes, firstFailure: flags.firstFailure });
  result.stats.parseMs = Math.round(parseMs * 1000) / 1000;
  result.stats.historyOps = ops.length;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const s = result.stats;
    const parts = `${model.name} model, ${s.ops} client ops (${s.crashedOps} with unknown outcome, ${s.failedOps} failed) in ${s.partitions} partition${s.partitions === 1 ? '' : 's'}`;
    process.stdout.write(`${verdictWord(result.valid)}: ${file} is ${result.valid === true ? '' : result.valid === false ? 'not ' : 'not known to be '}linearizable (${parts}; checked in ${Number(s.ms).toFixed(0)} ms)\n`);
    if (result.explanation) process.stdout.write(`\n${result.explanation}\n`);
  }
  if (flags.report !== undefined) await writeCheckReport(flags.report, ops, [result], file);
  return exitCodeFor(result);
}

async function runConvert(file: string, out: string | undefined, from: string | undefined, to: 'jsonl' | 'edn'): Promise<number> {
  const { ops } = await readHistory(file, from);
  if (out === undefined) {
    const { opToEdnLine } = await import('../checkers/history/edn.js');
    const { opToJsonLine } = await import('../checkers/history/jsonl.js');
    const line = to === 'edn' ? opToEdnLine : opToJsonLine;
    for (const op of ops) process.stdout.write(`${line(op)}\n`);
  } else {
    await writeHistory(out, ops, to);
    process.stderr.write(`wrote ${ops.length} ops to ${out}\n`);
  }
  return 0;
}

/** Build the command tree; exported so tests can drive it in-process. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('faultline')
    .description('Chaos and correctness harness: record Jepsen-compatible histories and check them.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('check')
    .description('check a history: linearizability against a model, the lock checkers, transactional isolation (list-append, rw-register) or atomicity (bank, set, counter)')
    .argument('<file>', 'history file (JSONL, or Jepsen EDN: one map per line, [process type f value] tuples, or one vector)')
    .addOption(new Option('-c, --checker <name>', 'which checker judges the history (locks = all four lock checkers)').choices(['linearizable', ...LOCK_CHECKER_NAMES, 'locks', ...TXN_CLI_CHECKERS]).default('linearizable'))
    .option('-m, --model <name>', `model for --checker linearizable: ${modelNames().join(', ')}`)
    .addOption(new Option('-f, --format <format>', 'history format (default: by extension, else sniffed)').choices([...HISTORY_FORMATS]))
    .option('-b, --budget <duration>', 'give up with UNKNOWN after this long, e.g. 10s, 500ms, 2m (list-append/rw-register: per cycle search, default 1s)')
    .option('--consistency-models <models>', 'list-append/rw-register: models to check against, comma-separated (default strict-serializable), e.g. serializable,snapshot-isolation', collectList)
    .option('--anomalies <types>', 'list-append/rw-register: extra anomaly types to forbid, comma-separated, e.g. G2-item', collectList)
    .option('--total <n>', 'bank: the money in all accounts (default: the sum of the first read, stated in the result)')
    .option('--accounts <n>', 'bank: number of accounts (ids 0..n-1); reads naming others are errors')
    .option('--negative-balances', 'bank: allow negative balances')
    .option('--max-anomalies <n>', 'list-append/rw-register/bank/set/counter: anomalies shown per type in text output (default 3)')
    .option('--memo <size>', 'memo memory per partition before giving up, e.g. 512mb, 2gb (default 1gb)')
    .option('--initial <json>', 'initial state as JSON, e.g. \'""\' for kv appends, 0 or null for registers')
    .option('--opt <key=value>', 'model or checker option (repeatable), e.g. --opt nilReadAny=true, --opt wfrKeys=true', collectOpt, {})
    .option('--first-failure', 'stop at the first failing partition instead of reporting all')
    .option('--json', 'print the full CheckResult as JSON (stats.ms = checking time, parsing excluded)')
    .option('--report <file>', 'also write a self-contained HTML report (timeline, anomalies) of the history to this file, e.g. report.html')
    .action(async (file: string, flags: CheckFlags) => setExit(await runCheck(file, flags)));

  program
    .command('models')
    .description('list the built-in models and their options')
    .action(() => {
      for (const name of modelNames()) {
        const m = MODELS[name]!;
        process.stdout.write(`${name}\n  ${m.summary}\n`);
        for (const o of m.options) process.stdout.write(`  --opt ${o.name}: ${o.doc}\n`);
      }
      setExit(0);
    });

  program
    .command('export')
    .description("convert a JSONL history to Jepsen's history.edn (stdout unless -o)")
    .argument('<file>', 'history file')
    .option('-o, --out <file>', 'output file')
    .addOption(new Option('-f, --format <format>', 'input format').choices([...HISTORY_FORMATS]))
    .action(async (file: string, o: { out?: string; format?: string }) => setExit(await runConvert(file, o.out, o.format, 'edn')));

  program
    .command('import')
    .description("convert a Jepsen history.edn to faultline's JSONL (stdout unless -o)")
    .argument('<file>', 'history file')
    .option('-o, --out <file>', 'output file')
    .addOption(new Option('-f, --format <format>', 'input format').choices([...HISTORY_FORMATS]))
    .action(async (file: string, o: { out?: string; format?: string }) => setExit(await runConvert(file, o.out, o.format, 'jsonl')));

  program
    .command('run')
    .description('run a scenario end to end: start the system, inject faults, record the history, check it')
    .argument('<scenario>', 'a built-in scenario (see `faultline list`) or a scenario file such as ./my-scenario.ts')
    .option('-s, --seed <n>', 'the seed that determines ops, nemesis schedule and toxics (default: random, printed)')
    .option('-t, --time-limit <duration>', 'length of the workload phase, e.g. 30s, 2m')
    .option('-c, --clients <n>', 'concurrent client workers')
    .option('--op-limit <n>', 'stop after this many client ops')
    .option('--op-timeout <duration>', 'an op unanswered after this long is recorded as info (unknown)')
    .option('-n, --nemesis <faults>', 'faults instead of the scenario\'s: none, or e.g. kill:leader,pause:one,link-down:client:minority')
    .addOption(new Option('-p, --provisioner <name>', 'how backends are started').choices(['local', 'containers']).default('local'))
    .option('--store <dir>', 'where run directories go (default ./store or $FAULTLINE_STORE)')
    .addOption(new Option('--progress <mode>', 'progress display').choices([...PROGRESS_MODES]).default('auto'))
    .addOption(new Option('--fsync <policy>', 'fsync the history: never (page cache; survives a killed harness), interval, always').choices(['never', 'interval', 'always']).default('never'))
    .addOption(new Option('--client-mode <mode>', 'async workers in the harness, or one OS process per client (needed for pause:client)').choices(['async', 'process']))
    .option('--json', 'print the outcome as JSON')
    .action(async (ref: string, flags: RunFlags) => setExit(await runCommand(ref, flags)));

  program
    .command('report')
    .description('rebuild report.html and junit.xml of a run directory, or with --index the suite index.html and junit.xml of a store')
    .argument('[run-dir]', 'a run directory, e.g. store/register-redis/2026-01-01T00-00-00.000Z-seed1 or store/latest')
    .option('--index [store]', 'write <store>/index.html (every run, filters, per-scenario trend) and <store>/junit.xml, rendering missing reports (default store: ./store or $FAULTLINE_STORE)')
    .option('--json', 'print the written paths (and with --index the runs) as JSON')
    .action(async (runDir: string | undefined, flags: ReportFlags) => setExit(await reportCommand(runDir, flags)));

  program
    .command('list')
    .description('list the built-in scenarios')
    .action(async () => setExit(await listCommand()));

  program
    .command('doctor')
    .description('report which backends and tools are installed, with versions, and how to install the rest')
    .option('--install', 'install missing Debian packages (needs root)')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { install?: boolean; json?: boolean }) => setExit(await doctorCommand(flags)));

  program
    .command('proxy')
    .description("run faultline's Toxiproxy-compatible fault proxy server in the foreground")
    .option('--host <host>', 'address for the HTTP API and proxies', '127.0.0.1')
    .option('--port <port>', 'HTTP API port', '8474')
    .option('-s, --seed <n>', 'seed for jitter and toxicity', '0')
    .action(async (flags: { host: string; port: string; seed: string }) => setExit(await proxyCommand(flags)));

  return program;
}

/** Run the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT.usage; // commander already printed the problem
    }
    if (err instanceof HistoryError || err instanceof ModelConfigError || err instanceof UsageError || (err as Error)?.name === 'ScenarioError') {
      process.stderr.write(`faultline: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL((await import('node:fs')).realpathSync(process.argv[1])).href;
if (invokedDirectly) {
  // Exit only once stdout has drained: on a pipe, writes are asynchronous and process.exit would cut a long --json.
  const exitAfterFlush = (code: number) => process.stdout.write('', () => process.exit(code));
  main(process.argv.slice(2)).then(
    (code) => exitAfterFlush(code),
    (err: unknown) => {
      process.stderr.write(`faultline: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(EXIT.harness);
    },
  );
}

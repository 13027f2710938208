/**
 * The harness subcommands of the CLI: `run`, `list`, `doctor` and `proxy`. Flags are validated here, at the edge;
 * the run itself lives in run.ts.
 */
import { relative } from 'node:path';
import { loadScenario, scenarioNames, BUILTIN_SCENARIOS, isScenarioFile } from '../scenarios/index.js';
import type { RunDefaults } from '../scenarios/define.js';
import { parseDuration, UsageError, verdictWord } from './cli-values.js';
import { killAllLiveProcesses } from './backends/process.js';
import type { ProvisionerName } from './backends/types.js';
import { parseNemesisFlag } from './faults/fault-parse.js';
import type { NemesisSpec } from './faults/schedule.js';
import type { FsyncPolicy } from './history-recorder.js';
import type { ProgressMode } from './progress.js';
import { runScenario, type RunOutcome } from './run.js';
import { randomSeed } from './seed.js';
import { defaultStoreRoot } from './store.js';

/** Raw `faultline run` flags as commander hands them over. */
export interface RunFlags {
  seed?: string;
  timeLimit?: string;
  clients?: string;
  opLimit?: string;
  opTimeout?: string;
  nemesis?: string;
  provisioner: ProvisionerName;
  store?: string;
  progress: ProgressMode;
  fsync: FsyncPolicy;
  clientMode?: 'async' | 'process';
  json?: boolean;
}

function parseIntFlag(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} expects a whole number, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** `faultline run`: resolves to the exit code (0 as expected, 1 unexpected, 2 unknown, 70 harness failure). */
export async function runCommand(ref: string, flags: RunFlags): Promise<number> {
  const seed = flags.seed !== undefined ? parseIntFlag('--seed', flags.seed, 0) : randomSeed();
  const overrides: Partial<RunDefaults> & { nemesis?: NemesisSpec | null } = {};
  const reproduceFlags: string[] = [];
  if (flags.timeLimit !== undefined) {
    overrides.timeLimitMs = Math.round(parseDuration('--time-limit', flags.timeLimit));
    if (overrides.timeLimitMs < 1) throw new UsageError('--time-limit must be positive');
    reproduceFlags.push('--time-limit', flags.timeLimit);
  }
  if (flags.clients !== undefined) {
    overrides.clients = parseIntFlag('--clients', flags.clients, 1, 1000);
    reproduceFlags.push('--clients', String(overrides.clients));
  }
  if (flags.opLimit !== undefined) {
    overrides.opLimit = parseIntFlag('--op-limit', flags.opLimit, 1);
    reproduceFlags.push('--op-limit', String(overrides.opLimit));
  }
  if (flags.opTimeout !== undefined) {
    overrides.opTimeoutMs = Math.round(parseDuration('--op-timeout', flags.opTimeout));
    if (overrides.opTimeoutMs < 1) throw new UsageError('--op-timeout must be positive');
    reproduceFlags.push('--op-timeout', flags.opTimeout);
  }
  const scenario = await loadScenario(ref);
  if (flags.nemesis !== undefined) {
    const faults = parseNemesisFlag(flags.nemesis);
    overrides.nemesis = faults === null ? null : { ...(scenario.nemesis ?? {}), faults };
    if (faults && !scenario.backend && faults.some((f) => f.kind !== 'link')) {
      throw new UsageError(`--nemesis: ${scenario.name} runs a custom system; only link-* faults apply to it`);
    }
    reproduceFlags.push('--nemesis', flags.nemesis);
  }
  if (flags.provisioner !== 'local') reproduceFlags.push('--provisioner', flags.provisioner);
  if (flags.clientMode !== undefined) {
    overrides.clientMode = flags.clientMode;
    reproduceFlags.push('--client-mode', flags.clientMode);
  }
  const effectiveNemesis = overrides.nemesis === null ? undefined : (overrides.nemesis ?? scenario.nemesis);
  const wantsClientPause = effectiveNemesis?.faults.some((f) => f.kind === 'pause' && f.scope === 'client');
  if (wantsClientPause && (overrides.clientMode ?? scenario.defaults.clientMode) !== 'process') {
    throw new UsageError('pause:client freezes client processes: add --client-mode process');
  }

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nfaultline: ${sig}: stopping the workload, healing faults, tearing down and checking what was recorded (${sig} again kills everything now)\n`);
      controller.abort();
    } else {
      killAllLiveProcesses();
      process.stderr.write(`faultline: ${sig} again: killed every backend process; the history on disk is still checkable\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const storeRoot = flags.store ?? defaultStoreRoot();
  let outcome: RunOutcome;
  try {
    if (!flags.json) process.stderr.write(`faultline: running ${scenario.name} with seed ${seed}${scenario.description ? ` — ${scenario.description}` : ''}\n`);
    outcome = await runScenario({
      scenario,
      scenarioRef: isScenarioFile(ref) ? ref : scenario.name,
      seed,
      overrides,
      storeRoot,
      provisioner: flags.provisioner,
      progress: flags.json ? 'none' : flags.progress,
      fsync: flags.fsync,
      signal: controller.signal,
      log: (line) => process.stderr.write(`${line}\n`),
      reproduceFlags,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    return controller.signal.aborted ? 130 : outcome.exitCode;
  }
  const s = outcome.stats;
  const shownDir = relative(process.cwd(), outcome.runDir) || '.';
  const expectation = outcome.verdict === 'unknown' ? '' : outcome.exitCode === 0 ? ' (as expected)' : outcome.exitCode === 1 ? ` (expected ${outcome.expected.toUpperCase()})` : '';
  const lines = [
    `${verdictWord(outcome.verdict)}${expectation}: ${scenario.name}, seed ${seed}${outcome.interrupted ? ' (interrupted)' : ''}`,
    `  ${s.invoked} ops (ok ${s.ok}, fail ${s.fail}, info ${s.info}) at ${s.opsPerSec} ops/s, ${s.faults} fault${s.faults === 1 ? '' : 's'}; checked in ${s.checkMs} ms`,
  ];
  if (outcome.results.length > 1) {
    // One line per checker, with its own expectation where the scenario states one.
    const expects = scenario.checkers.map((c) => c.expect);
    lines.push(`  checkers: ${outcome.results.map((r, i) => `${r.checker} ${verdictWord(r.valid)}${expects[i] ? ` (expected ${expects[i]!.toUpperCase()})` : ''}`).join(', ')}`);
  }
  if (outcome.error) lines.push(`  error: ${outcome.error}`);
  for (const r of outcome.results) if (r.valid !== true && r.explanation) lines.push('', r.explanation.split('\n').slice(0, 30).join('\n'));
  lines.push(`  run directory: ${shownDir}`, `  reproduce:     ${outcome.reproduce}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return controller.signal.aborted ? 130 : outcome.exitCode;
}

/** `faultline list`. */
export async function listCommand(): Promise<number> {
  for (const name of scenarioNames()) {
    const s = await BUILTIN_SCENARIOS[name]!();
    process.stdout.write(`${name}\n  ${s.description ?? ''}\n`);
  }
  return 0;
}

/** `faultline doctor [--install] [--json]`: exit 0 when everything is present, 70 when something is missing. */
export async function doctorCommand(flags: { install?: boolean; json?: boolean }): Promise<number> {
  const { diagnose, formatDoctorReport, installMissing } = await import('./doctor.js');
  let report = await diagnose();
  if (flags.install) {
    const installed = await installMissing(report);
    process.stderr.write(installed.length ? `installed: ${installed.join(' ')}\n` : 'nothing to install\n');
    report = await diagnose();
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctorReport(report)}\n`);
  const missing = report.tools.some((t) => !t.present && !t.optional);
  return missing ? 70 : 0;
}

/** `faultline proxy`: serves until SIGINT/SIGTERM. */
export async function proxyCommand(flags: { host: string; port: string; seed: string }): Promise<number> {
  const { startProxyServer } = await import('./faults/proxy-server.js');
  const port = parseIntFlag('--port', flags.port, 0, 65535);
  const seed = parseIntFlag('--seed', flags.seed, 0);
  const server = await startProxyServer({ host: flags.host, port, seed, log: (l: string) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`faultline fault proxy: Toxiproxy API on ${server.url} (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

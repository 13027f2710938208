/**
 * `faultline report <run-dir>` (rebuild report.html and junit.xml of one run), `faultline report --index [store]`
 * (the suite index and suite JUnit), and the `--report <file>` option of `faultline check` (a report for a bare
 * history file). Renderers are imported lazily so the other commands do not load them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Op } from '../checkers/history/types.js';
import type { CheckResult } from '../checkers/result.js';
import { RunDirError } from '../reports/summary.js';
import { UsageError } from './cli-values.js';
import { defaultStoreRoot } from './store.js';

/** Raw `faultline report` flags. */
export interface ReportFlags {
  /** `--index` alone means the default store. */
  index?: string | boolean;
  json?: boolean;
}

const shown = (p: string) => relative(process.cwd(), p) || '.';

/** `faultline report`: resolves to the exit code (0 written, 64 not a run directory or store). */
export async function reportCommand(runDir: string | undefined, flags: ReportFlags): Promise<number> {
  try {
    if (flags.index !== undefined && flags.index !== false) {
      if (runDir !== undefined) throw new UsageError('give either a run directory or --index <store>, not both');
      const store = typeof flags.index === 'string' ? flags.index : defaultStoreRoot();
      const { writeSuiteIndex } = await import('../reports/index-html.js');
      const out = await writeSuiteIndex(store, { log: (line) => process.stderr.write(`faultline: ${line}\n`) });
      const unexpected = out.runs.filter((r) => !r.asExpected).length;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ indexPath: out.indexPath, junitPath: out.junitPath, runs: out.runs }, null, 2)}\n`);
      } else {
        process.stdout.write(`${out.runs.length} run${out.runs.length === 1 ? '' : 's'} (${unexpected} not as expected)\n  index: ${shown(out.indexPath)}\n  junit: ${shown(out.junitPath)}\n`);
      }
      return 0;
    }
    if (runDir === undefined) throw new UsageError('report needs a run directory (store/<scenario>/<time>-seed<n>) or --index <store>');
    const { assertRunDir } = await import('../reports/summary.js');
    assertRunDir(runDir);
    const { writeRunReport } = await import('../reports/html/render.js');
    const { writeRunJUnit } = await import('../reports/junit.js');
    const reportPath = await writeRunReport(runDir);
    const junitPath = await writeRunJUnit(runDir);
    if (flags.json) process.stdout.write(`${JSON.stringify({ reportPath, junitPath }, null, 2)}\n`);
    else process.stdout.write(`  report: ${shown(reportPath)}\n  junit:  ${shown(junitPath)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RunDirError) throw new UsageError(err.message);
    throw err;
  }
}

/** Renders a report for a bare history file checked by `faultline check` and writes it to `out`. */
export async function writeCheckReport(out: string, ops: readonly Op[], results: CheckResult[], historyFile: string, reproduce?: string): Promise<string> {
  const { reportDataFromHistory } = await import('../reports/run-data.js');
  const { renderReport } = await import('../reports/html/render.js');
  const data = reportDataFromHistory([...ops], results, { source: resolve(historyFile), ...(reproduce ? { reproduce } : {}) });
  const file = resolve(out);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderReport(data));
  process.stderr.write(`faultline: wrote report ${shown(file)}\n`);
  return file;
}


/**
 * Progress of a run: a live bar on a terminal, a plain line every few seconds in CI logs, nothing when asked.
 */
import cliProgress from 'cli-progress';

/** Counters the run loop updates as ops complete. */
export interface RunCounters {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
  faults: number;
}

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'none'];

/** Shows the workload phase; `log` prints a line without garbling the bar. */
export interface Progress {
  start(totalMs: number): void;
  update(elapsedMs: number, c: RunCounters): void;
  log(line: string): void;
  stop(): void;
}

const summary = (elapsedMs: number, c: RunCounters) => {
  const rate = elapsedMs > 0 ? Math.round((c.invoked * 1000) / elapsedMs) : 0;
  return `${c.invoked} ops (ok ${c.ok}, fail ${c.fail}, info ${c.info}), ${rate} ops/s, ${c.faults} fault${c.faults === 1 ? '' : 's'}`;
};

/** Picks the bar on a TTY (unless CI is set) and plain lines elsewhere. */
export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  const resolved = mode === 'auto' ? (stream.isTTY && !process.env.CI ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { start() {}, update() {}, log() {}, stop() {} };
  if (resolved === 'lines') {
    let last = 0;
    let total = 0;
    return {
      start(t) {
        total = t;
      },
      update(elapsedMs, c) {
        if (elapsedMs - last < 5000) return;
        last = elapsedMs;
        stream.write(`[${(elapsedMs / 1000).toFixed(0)}s/${(total / 1000).toFixed(0)}s] ${summary(elapsedMs, c)}\n`);
      },
      log(line) {
        stream.write(`${line}\n`);
      },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { stream, format: '{bar} {elapsed}s/{totals}s | {summary}', hideCursor: true, clearOnComplete: false, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(t) {
      bar = multi.create(Math.max(1, Math.round(t / 1000)), 0, { elapsed: 0, totals: Math.round(t / 1000), summary: '' });
    },
    update(elapsedMs, c) {
      bar?.update(Math.round(elapsedMs / 1000), { elapsed: Math.round(elapsedMs / 1000), summary: summary(elapsedMs, c) });
    },
    log(line) {
      if (bar) multi.log(`${line}\n`);
      else stream.write(`${line}\n`);
    },
    stop() {
      if (bar) multi.stop();
      bar = undefined;
    },
  };
}

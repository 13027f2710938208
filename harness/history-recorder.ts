/**
 * Appends every operation to `history.jsonl` as it happens, so a run that crashes, is interrupted or is SIGKILLed
 * still leaves a history the checkers can read. Records are handed to the kernel (write(2)) within a few
 * milliseconds; `fsync` adds durability against power loss for users who ask for it.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { opToJsonLine } from '../checkers/history/jsonl.js';
import type { Op, OpType, ProcessId } from '../checkers/history/types.js';

/** When the recorder calls fsync: never (page cache only: survives a killed harness), every flush, or about once a second. */
export type FsyncPolicy = 'never' | 'always' | 'interval';

/** The fields a worker or the nemesis supplies; the recorder assigns `index` and `time`. */
export interface OpRecord {
  process: ProcessId;
  type: OpType;
  f: string;
  value: unknown;
  key?: string | number;
  error?: string;
  node?: string;
  [field: string]: unknown;
}

/** Streams ops to a JSONL file with increasing indices and monotonic nanosecond times. */
export class HistoryRecorder {
  private fd: number | undefined;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastFsync = 0;
  private nextIndex = 0;
  /** Ops recorded so far, for progress reporting. */
  count = 0;

  private constructor(
    readonly file: string,
    private readonly startNs: bigint,
    private readonly fsync: FsyncPolicy,
    private readonly flushMs: number,
    /** Every recorded op is also passed here (the run loop keeps counters and the nemesis log). */
    private readonly onOp?: (op: Op) => void,
  ) {}

  /** Creates (truncates) the file. `startNs` is the run's time origin from `process.hrtime.bigint()`. */
  static open(file: string, opts: { startNs: bigint; fsync?: FsyncPolicy; flushMs?: number; onOp?: (op: Op) => void }): HistoryRecorder {
    const r = new HistoryRecorder(file, opts.startNs, opts.fsync ?? 'never', opts.flushMs ?? 5, opts.onOp);
    r.fd = openSync(file, 'w');
    return r;
  }

  /** Nanoseconds since run start. */
  now(): number {
    return Number(process.hrtime.bigint() - this.startNs);
  }

  /** Appends one op and returns it with its index and time. Throws once closed (a bug in the caller). */
  record(rec: OpRecord): Op {
    if (this.fd === undefined) throw new Error(`history recorder for ${this.file} is closed`);
    const op: Op = { index: this.nextIndex++, time: this.now(), ...rec };
    const line = `${opToJsonLine(op)}\n`;
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    this.count++;
    this.onOp?.(op);
    if (this.bufferedBytes >= 64 * 1024 || this.fsync === 'always') this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.flushMs);
    return op;
  }

  /** Writes buffered lines now (synchronously: nothing is lost if the process dies right after). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fd === undefined || this.buffer.length === 0) return;
    const data = this.buffer.join('');
    this.buffer = [];
    this.bufferedBytes = 0;
    writeSync(this.fd, data);
    const now = Date.now();
    if (this.fsync === 'always' || (this.fsync === 'interval' && now - this.lastFsync >= 1000)) {
      fsyncSync(this.fd);
      this.lastFsync = now;
    }
  }

  /** Flushes, fsyncs and closes. Idempotent. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    try {
      fsyncSync(this.fd);
    } catch {
      /* fsync is best effort at close (e.g. on filesystems that do not support it) */
    }
    closeSync(this.fd);
    this.fd = undefined;
  }
}

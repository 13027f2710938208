/**
 * Line-level file plumbing shared by the JSONL and EDN readers and writers: streaming lines in with 1-based line
 * numbers, streaming lines out with backpressure, and turning fs errors into HistoryErrors that name the file.
 */
import { createReadStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { HistoryError, type Op } from './types.js';

/** One line of a text file, without its line terminator. */
export interface SourceLine {
  text: string;
  /** 1-based. */
  line: number;
}

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, expected a history file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a parent of this path is not a directory',
  EMFILE: 'too many open files',
};

/** Turn an fs error into a HistoryError naming the file, so users see "x.jsonl: no such file", not a stack. */
export function fsError(err: unknown, file: string, action: 'read' | 'write'): Error {
  if (err instanceof HistoryError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined) {
    const problem = FS_PROBLEMS[code] ?? `cannot ${action} (${code}: ${(err as Error).message})`;
    return new HistoryError(action === 'write' ? `cannot write history: ${problem}` : problem, { file });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Fail early and clearly when `file` is missing or is a directory, before any stream is opened. */
async function checkReadable(file: string): Promise<void> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw new HistoryError(FS_PROBLEMS.EISDIR, { file });
  } catch (err) {
    throw fsError(err, file, 'read');
  }
}

/**
 * Stream the lines of a UTF-8 file with 1-based numbers, holding one line at a time (never the whole file);
 * a leading byte-order mark is dropped. Breaking out of the loop closes the file.
 */
export async function* readLines(file: string): AsyncGenerator<SourceLine> {
  await checkReadable(file);
  const input = createReadStream(file, { encoding: 'utf8' });
  // readline does not always forward input errors to its iterator; remember them and rethrow after the loop.
  let streamError: unknown;
  input.on('error', (err) => {
    streamError = err;
  });
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of rl) {
      line++;
      yield { text: line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, line };
    }
  } catch (err) {
    throw fsError(err, file, 'read');
  } finally {
    rl.close();
    input.destroy();
  }
  if (streamError !== undefined) throw fsError(streamError, file, 'read');
}

/** Split an in-memory string into the same numbered lines `readLines` gives, for tests and small inputs. */
export function splitLines(text: string): SourceLine[] {
  const parts = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((t, i) => ({ text: t, line: i + 1 }));
}

/** Writes text lines to a stream, waiting for 'drain' when the stream's buffer is full (backpressure). */
export class LineSink {
  private failure: unknown;

  constructor(
    private readonly out: Writable,
    private readonly file?: string,
  ) {
    out.on('error', (err) => {
      this.failure = err;
    });
  }

  /** Open `file` for writing (truncating, or appending with `append`), failing with a HistoryError naming it. */
  static async open(file: string, append = false): Promise<LineSink> {
    let out: WriteStream;
    try {
      // Open first so a bad path fails here with a clear message rather than later as a stream 'error'.
      const fh = await open(file, append ? 'a' : 'w');
      out = fh.createWriteStream({ encoding: 'utf8' });
    } catch (err) {
      throw fsError(err, file, 'write');
    }
    return new LineSink(out, file);
  }

  /** Append one line (a newline is added); resolves once the stream can take more. */
  async writeLine(line: string): Promise<void> {
    this.check();
    if (!this.out.write(`${line}\n`)) await this.wait('drain');
    this.check();
  }

  /** Flush and close the stream. */
  async close(): Promise<void> {
    this.check();
    const finished = this.wait('finish');
    this.out.end();
    await finished;
    this.check();
  }

  private async wait(event: 'drain' | 'finish'): Promise<void> {
    try {
      await once(this.out, event);
    } catch (err) {
      throw this.file !== undefined ? fsError(err, this.file, 'write') : err;
    }
  }

  private check(): void {
    if (this.failure === undefined) return;
    throw this.file !== undefined ? fsError(this.failure, this.file, 'write') : this.failure;
  }
}

/** Writes ops one line each in some format, waiting when the disk is slower than the producer. */
export class OpLineWriter {
  constructor(
    private readonly sink: LineSink,
    private readonly toLine: (op: Op) => string,
  ) {}

  /** Open `file` (truncate, or append with `append`) for writing ops formatted by `toLine`. */
  static async open(file: string, toLine: (op: Op) => string, append = false): Promise<OpLineWriter> {
    return new OpLineWriter(await LineSink.open(file, append), toLine);
  }

  /** Write one op; resolves when the stream can take more (backpressure). */
  write(op: Op): Promise<void> {
    return this.sink.writeLine(this.toLine(op));
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    return this.sink.close();
  }
}

/** Write a whole history (sync or async iterable, so it can be generated lazily), closing the file either way. */
export async function writeOpLines(file: string, ops: Iterable<Op> | AsyncIterable<Op>, toLine: (op: Op) => string): Promise<void> {
  const w = await OpLineWriter.open(file, toLine);
  try {
    for await (const op of ops) await w.write(op);
  } catch (err) {
    await w.close().catch(() => undefined);
    throw err;
  }
  await w.close();
}

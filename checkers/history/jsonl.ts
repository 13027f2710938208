/**
 * `history.jsonl`: one JSON object per line, the format the recorder writes and every faultline tool reads.
 * Reading streams line by line so a million-op history never becomes one giant string.
 */
import { OpLineWriter, readLines, splitLines, writeOpLines, type SourceLine } from './lines.js';
import { HistoryError, type Op, type PairedOp } from './types.js';
import { HistoryBuilder } from './validate.js';

/** What every reader returns: the ops in file order and the invocation/completion pairs built from them. */
export interface ReadHistoryResult {
  ops: Op[];
  paired: PairedOp[];
}

/** One decoded record before validation, with the line it came from. */
export interface RawRecord {
  raw: unknown;
  line: number;
}

/** Decode one JSONL line; blank lines give undefined; bad JSON throws a HistoryError at file:line. */
export function parseJsonlLine(text: string, line: number, file?: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HistoryError(`expected one JSON object per line: ${(err as Error).message}`, { file, line });
  }
}

/** Stream the decoded records of a JSONL file (skipping blank lines), for callers that validate differently. */
export async function* readJsonlRecords(file: string): AsyncGenerator<RawRecord> {
  for await (const { text, line } of readLines(file)) {
    const raw = parseJsonlLine(text, line, file);
    if (raw !== undefined) yield { raw, line };
  }
}

function build(lines: Iterable<SourceLine>, builder: HistoryBuilder, file?: string): void {
  for (const { text, line } of lines) {
    const raw = parseJsonlLine(text, line, file);
    if (raw !== undefined) builder.add(raw, line);
  }
}

/** Read, validate and pair a JSONL history file; errors name file:line and what was expected. */
export async function readJsonlHistory(file: string): Promise<ReadHistoryResult> {
  const builder = new HistoryBuilder(file);
  for await (const { raw, line } of readJsonlRecords(file)) builder.add(raw, line);
  return { ops: builder.ops, paired: builder.finish() };
}

/** Same as readJsonlHistory for an in-memory string (tests, small inputs); `file` only labels errors. */
export function parseJsonlString(text: string, file?: string): ReadHistoryResult {
  const builder = new HistoryBuilder(file);
  build(splitLines(text), builder, file);
  return { ops: builder.ops, paired: builder.finish() };
}

/** The fields every op line starts with, in this order, so files read the same in any tool; extras follow. */
export const OP_FIELD_ORDER = ['index', 'time', 'process', 'type', 'f', 'key', 'value', 'error', 'node'] as const;

const KNOWN_FIELDS: ReadonlySet<string> = new Set(OP_FIELD_ORDER);

/**
 * The op's fields in canonical order (index, time, process, type, f, key?, value, error?, node?, extras), leaving
 * out undefined ones; `value` is always present (null when absent). Shared by the JSONL and EDN writers.
 */
export function orderedFields(op: Op): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const k of OP_FIELD_ORDER) {
    const v = k === 'value' && op.value === undefined ? null : op[k];
    if (v !== undefined) out.push([k, v]);
  }
  for (const k of Object.keys(op)) {
    if (!KNOWN_FIELDS.has(k) && op[k] !== undefined) out.push([k, op[k]]);
  }
  return out;
}

/** One op as one JSON line (no newline), fields in canonical order. */
export function opToJsonLine(op: Op): string {
  const parts: string[] = [];
  for (const [k, v] of orderedFields(op)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(v);
    } catch (err) {
      throw new HistoryError(`cannot write op ${op.index} field "${k}" as JSON: ${(err as Error).message}`);
    }
    // Built by hand (not JSON.stringify(object)) so an extra field named "__proto__" is written like any other.
    if (json !== undefined) parts.push(`${JSON.stringify(k)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}

/** Appends ops to a JSONL file one line each (the recorder keeps one open for a run). */
export const JsonlWriter = {
  open: (file: string, append = false): Promise<OpLineWriter> => OpLineWriter.open(file, opToJsonLine, append),
};

/** Write a whole history (sync or async iterable, so it can be generated lazily) as a JSONL file. */
export function writeJsonlHistory(file: string, ops: Iterable<Op> | AsyncIterable<Op>): Promise<void> {
  return writeOpLines(file, ops, opToJsonLine);
}

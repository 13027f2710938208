/**
 * One entry point for history files whatever their format, so the CLI and harness need not care whether a
 * history came from faultline (JSONL) or Jepsen/Knossos (EDN).
 */
import { extname } from 'node:path';
import { parseEdnString, readEdnHistory, writeEdnHistory } from './edn.js';
import { parseJsonlString, readJsonlHistory, writeJsonlHistory, type ReadHistoryResult } from './jsonl.js';
import { readLines } from './lines.js';
import { HistoryError, type Op } from './types.js';

/** The history file formats faultline reads and writes. */
export type HistoryFormat = 'jsonl' | 'edn';

/** Valid format names, for flags and error messages. */
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['jsonl', 'edn'];

const EXTENSIONS: Record<string, HistoryFormat> = { '.edn': 'edn', '.jsonl': 'jsonl', '.json': 'jsonl', '.ndjson': 'jsonl' };

/** Check a user-supplied format name (e.g. `--format`), with an error listing the valid ones. */
export function parseHistoryFormat(name: string): HistoryFormat {
  const f = name.trim().toLowerCase();
  if ((HISTORY_FORMATS as readonly string[]).includes(f)) return f as HistoryFormat;
  throw new HistoryError(`unknown history format ${JSON.stringify(name)}: expected one of ${HISTORY_FORMATS.join(', ')}`);
}

/** The format implied by a file's extension, if it has a known one. */
export function formatFromExtension(file: string): HistoryFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

/**
 * Guess the format from the first non-blank line: `{"` is JSONL; `{:`, `[`, `(`, `#` or a `;` comment is EDN.
 * An empty file counts as (empty) JSONL.
 */
export function sniffFormat(firstLine: string, file?: string, line?: number): HistoryFormat {
  const t = firstLine.trimStart();
  if (t.startsWith(';') || t.startsWith('[') || t.startsWith('(') || t.startsWith('#')) return 'edn';
  if (t.startsWith('{')) {
    const next = t.slice(1).trimStart()[0];
    if (next === '"' || next === '}') return 'jsonl';
    if (next === ':' || next === undefined) return 'edn';
  }
  throw new HistoryError(
    `cannot tell the history format from ${JSON.stringify(t.slice(0, 20))}: expected a JSON object per line ({"process": ...}) or EDN ({:process ...}); pass a format, one of ${HISTORY_FORMATS.join(', ')}`,
    { file, line },
  );
}

/** Decide a file's format: explicit name, else extension, else sniffing its first non-blank line. */
export async function detectHistoryFormat(file: string, format?: string): Promise<HistoryFormat> {
  if (format !== undefined) return parseHistoryFormat(format);
  const byExt = formatFromExtension(file);
  if (byExt !== undefined) return byExt;
  for await (const { text, line } of readLines(file)) {
    if (text.trim() !== '') return sniffFormat(text, file, line);
  }
  return 'jsonl';
}

/** Read, validate and pair a history in either format (see detectHistoryFormat). */
export async function readHistory(file: string, format?: string): Promise<ReadHistoryResult> {
  return (await detectHistoryFormat(file, format)) === 'edn' ? readEdnHistory(file) : readJsonlHistory(file);
}

/** Parse an in-memory history in the given format (tests, small inputs). */
export function parseHistoryString(text: string, format: string, file?: string): ReadHistoryResult {
  return parseHistoryFormat(format) === 'edn' ? parseEdnString(text, file) : parseJsonlString(text, file);
}

/** Write a history in the given format, else the one its extension implies, else JSONL. */
export async function writeHistory(file: string, ops: Iterable<Op> | AsyncIterable<Op>, format?: string): Promise<void> {
  const f = format !== undefined ? parseHistoryFormat(format) : (formatFromExtension(file) ?? 'jsonl');
  return f === 'edn' ? writeEdnHistory(file, ops) : writeJsonlHistory(file, ops);
}

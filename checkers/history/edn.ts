/**
 * Jepsen `history.edn` import and export, so faultline histories can be checked by Elle/Knossos and Jepsen's
 * histories by faultline. Accepted input (streamed line by line, errors at file:line):
 * - one op map per line: `{:index 0, :type :invoke, :process 0, :f :write, :value 3}`;
 * - old tuple lines `[process type f value]`, e.g. `[0 :invoke :read nil]` (vectors or lists);
 * - a whole-file vector or list of maps or tuples spanning many lines (Knossos' data files);
 * - `;` comments, blank lines, commas, `#_` discards.
 * Values map to JSON data: keywords and symbols become strings (`:read` -> "read"), vectors, lists and sets become
 * arrays, maps become objects (keyword and string keys by name; other keys by `String` for numbers, booleans and
 * nil, and by `JSON.stringify` for collections), nil becomes null, `123N` a number when safe (else its digits as
 * a string), characters one-character strings. Tags are dropped and the tagged value kept: `#jepsen.history.Op{..}`
 * and `#error {..}` yield the map, `#object[Cls 0x1f "x"]` yields ["Cls", "0x1f", "x"], `#inst "..."` and
 * `#uuid "..."` the string.
 */
import { parseEDNString, toEDNString, toKeyword, toSymbol, type EDNVal } from 'edn-data';
import { EdnScanner, type EdnForm } from './edn-scan.js';
import { orderedFields, type RawRecord, type ReadHistoryResult } from './jsonl.js';
import { OpLineWriter, readLines, splitLines, writeOpLines, type SourceLine } from './lines.js';
import { HistoryError, type Op, type SourcePos } from './types.js';
import { HistoryBuilder } from './validate.js';

// edn-data's default (wrapped) output keeps every EDN type distinguishable: a map is {map: pairs}, a tagged value
// {tag, val}, a keyword {key}. With mapAs:'object' a real map with :tag and :val keys would look like a tagged
// value, and map keys that are not keywords or strings would be mangled, so the conversion is done here instead.
// #inst is kept as its string instead of becoming a Date.
const PARSE_OPTIONS = { tagHandlers: { inst: (val: unknown) => val } };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isMap = (v: unknown): v is { map: [unknown, unknown][] } => isObject(v) && Array.isArray(v.map);
const isList = (v: unknown): v is { list: unknown[] } => isObject(v) && Array.isArray(v.list);
const isTagged = (v: unknown): v is { tag: string; val: unknown } => isObject(v) && typeof v.tag === 'string' && 'val' in v;

/** Set a field even when it is named "__proto__", so decoded objects match what JSON.parse builds. */
function setField(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function keyToString(k: unknown): string {
  const j = ednToJson(k);
  if (typeof j === 'string') return j;
  return j === null || typeof j !== 'object' ? String(j) : JSON.stringify(j);
}

/** Turn a value from edn-data's wrapped form into plain JSON data (see the module comment for the mapping). */
export function ednToJson(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(ednToJson);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v.map) setField(out, keyToString(k), ednToJson(val));
    return out;
  }
  if (isTagged(v)) return ednToJson(v.val);
  const w = v as Partial<Record<'set' | 'list', unknown[]> & Record<'key' | 'sym' | 'char', string>>;
  if (Array.isArray(w.set)) return w.set.map(ednToJson);
  if (Array.isArray(w.list)) return w.list.map(ednToJson);
  if (typeof w.key === 'string') return w.key;
  if (typeof w.sym === 'string') return w.sym;
  if (typeof w.char === 'string') return w.char;
  return String(v);
}

function preview(text: string): string {
  const t = text.trim();
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

/** Parse one scanned record into a raw op record: a map as is, a 4-tuple as {process, type, f, value}. */
export function decodeEdnForm(form: EdnForm, file?: string): unknown {
  const pos: SourcePos = { file, line: form.line };
  let v: unknown;
  try {
    v = parseEDNString(form.text, PARSE_OPTIONS);
  } catch (err) {
    throw new HistoryError(`invalid EDN: ${(err as Error).message}`, pos);
  }
  while (isTagged(v)) v = v.val;
  if (isMap(v)) return ednToJson(v);
  if (Array.isArray(v) || isList(v)) {
    const items = Array.isArray(v) ? v : v.list;
    if (items.length !== 4) {
      throw new HistoryError(`expected a tuple [process type f value] of 4 elements, got ${items.length}: ${preview(form.text)}`, pos);
    }
    const [process, type, f, value] = items.map(ednToJson);
    return { process, type, f, value };
  }
  throw new HistoryError(`expected an op map like {:process 0, :type :invoke, :f :read, :value nil} or a tuple [process type f value], got ${preview(form.text)}`, pos);
}

function* decodeLines(lines: Iterable<SourceLine>, scanner: EdnScanner, file?: string): Generator<RawRecord> {
  for (const { text, line } of lines) {
    for (const form of scanner.feed(text, line)) yield { raw: decodeEdnForm(form, file), line: form.line };
  }
}

/** Stream the decoded records of an EDN file (any accepted form), for callers that validate differently. */
export async function* readEdnRecords(file: string): AsyncGenerator<RawRecord> {
  const scanner = new EdnScanner(file);
  for await (const l of readLines(file)) yield* decodeLines([l], scanner, file);
  scanner.end();
}

/** Read, validate and pair a Jepsen EDN history file; errors name file:line and what was expected. */
export async function readEdnHistory(file: string): Promise<ReadHistoryResult> {
  const builder = new HistoryBuilder(file);
  for await (const { raw, line } of readEdnRecords(file)) builder.add(raw, line);
  return { ops: builder.ops, paired: builder.finish() };
}

/** Same as readEdnHistory for an in-memory string (tests, small inputs); `file` only labels errors. */
export function parseEdnString(text: string, file?: string): ReadHistoryResult {
  const builder = new HistoryBuilder(file);
  const scanner = new EdnScanner(file);
  for (const { raw, line } of decodeLines(splitLines(text), scanner, file)) builder.add(raw, line);
  scanner.end();
  return { ops: builder.ops, paired: builder.finish() };
}

// Conservative: names that read back as the same keyword in edn-data and in Clojure. Others are written as strings.
const KEYWORD_NAME = /^[A-Za-z_*!?<>=][\w*!?<>=+\-.]*(?:\/[A-Za-z_*!?<>=][\w*!?<>=+\-.]*)?$/;

/** `:name` when `name` is a safe keyword, else a string literal: both read back as the same string. */
export function keywordOrString(name: string): string {
  return KEYWORD_NAME.test(name) ? toEDNString(toKeyword(name)) : toEDNString(name);
}

/**
 * Turn JSON data into edn-data's EDNVal so toEDNString can print it: strings stay strings (never keywords),
 * arrays become vectors, objects maps with string keys, null nil. Like JSON, undefined fields are left out and
 * non-finite numbers become nil; -0 is written as -0.0 so it reads back as -0.
 */
export function jsonToEdn(v: unknown): EDNVal {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return Object.is(v, -0) ? toSymbol('-0.0') : v;
  }
  if (Array.isArray(v)) return v.map(jsonToEdn);
  if (v instanceof Date) return v;
  if (v instanceof Map) return { map: [...v].map(([k, x]): [EDNVal, EDNVal] => [jsonToEdn(k), jsonToEdn(x)]) };
  if (v instanceof Set) return { set: [...v].map(jsonToEdn) };
  if (typeof v === 'object') {
    const pairs: [EDNVal, EDNVal][] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) pairs.push([k, jsonToEdn(x)]);
    return { map: pairs };
  }
  return null;
}

/** One op as a Jepsen-style EDN map line, fields in canonical order; type, f and string processes as keywords. */
export function opToEdnLine(op: Op): string {
  const parts: string[] = [];
  for (const [k, v] of orderedFields(op)) {
    const asKeyword = (k === 'type' || k === 'f' || k === 'process') && typeof v === 'string';
    parts.push(`${keywordOrString(k)} ${asKeyword ? keywordOrString(v) : toEDNString(jsonToEdn(v))}`);
  }
  return `{${parts.join(', ')}}`;
}

/** Appends ops to an EDN file one map per line. */
export const EdnWriter = {
  open: (file: string, append = false): Promise<OpLineWriter> => OpLineWriter.open(file, opToEdnLine, append),
};

/** Write a whole history (sync or async iterable) as a Jepsen `history.edn`. */
export function writeEdnHistory(file: string, ops: Iterable<Op> | AsyncIterable<Op>): Promise<void> {
  return writeOpLines(file, ops, opToEdnLine);
}

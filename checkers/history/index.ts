/** The public history API: the op schema, validation and pairing, and JSONL/EDN reading and writing. */
export * from './types.js';
export * from './validate.js';
export * from './jsonl.js';
export * from './edn.js';
export * from './io.js';
export { readLines, splitLines, LineSink, OpLineWriter, writeOpLines, type SourceLine } from './lines.js';
export { EdnScanner, type EdnForm } from './edn-scan.js';

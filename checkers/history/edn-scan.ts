/**
 * Finds where each EDN record starts and ends while lines stream in, because edn-data parses whole strings and
 * is lax about malformed input (unbalanced brackets, unterminated strings and odd maps parse silently to
 * something wrong). The scanner checks that structure, reports file:line, and hands edn-data one record at a
 * time, so only one record is ever buffered.
 *
 * Records are the top-level forms, except that a top-level vector or list whose first element is a collection
 * or a tagged form (Knossos' `[{:process 0 ...}\n {...}]`) is a container: its elements are the records, each
 * with its own line. A top-level vector or list starting with anything else is a record itself (a tuple such
 * as `[0 :invoke :read nil]`).
 *
 * The text handed on is rewritten where edn-data would go wrong: comments become spaces, character literals
 * (`\a`, `\newline`, `\u00e9`) become the equivalent strings, and `##Inf`/`##-Inf`/`##NaN` become the strings
 * "##Inf" and so on (JSON has no such numbers).
 */
import { HistoryError } from './types.js';

/** One record's text (rewritten for edn-data) and the 1-based line where it starts. */
export interface EdnForm {
  text: string;
  line: number;
}

type Closer = ')' | ']' | '}';
type Prefix = 'tag' | 'discard';

interface Frame {
  open: string;
  close: Closer | '';
  line: number;
  /** Complete forms seen inside (after tags and discards are applied): maps need an even count. */
  forms: number;
  /** Tags and discards waiting for the form they apply to, innermost last. */
  prefixes: Prefix[];
  /** A top-level vector/list whose first element has not been seen: a tuple record or a container. */
  undecided: boolean;
  container: boolean;
}

const CLOSERS: Record<string, Closer> = { '(': ')', '[': ']', '{': '}', '#{': '}' };
const SPACE = new Set([' ', '\t', '\n', '\r', ',', '\f', '\v']);
const DELIMITERS = new Set([...SPACE, '"', ';', '(', ')', '[', ']', '{', '}']);
const STRING_ESCAPES = new Set(['t', 'r', 'n', 'b', 'f', '\\', '"']);
const NAMED_CHARS: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r', formfeed: '\f', backspace: '\b' };
const SYMBOLIC = new Set(['##Inf', '##-Inf', '##NaN']);

function frame(open: string, line: number): Frame {
  return { open, close: CLOSERS[open] ?? '', line, forms: 0, prefixes: [], undecided: false, container: false };
}

/** Incremental EDN structure scanner: `feed` each line in order, then `end`. */
export class EdnScanner {
  private readonly stack: Frame[] = [frame('', 0)];
  /** Depth whose completed forms are records: 0, or 1 inside a top-level container. */
  private recordDepth = 0;
  private parts: string[] = [];
  /** Line where the record being collected started; undefined when not collecting. */
  private recordLine: number | undefined;
  private inString = false;
  private stringLine = 0;
  private line = 0;
  private out: EdnForm[] = [];

  constructor(private readonly file?: string) {}

  /** Scan one line (without its terminator); returns the records it completed. */
  feed(text: string, line: number): EdnForm[] {
    this.line = line;
    this.out = [];
    let i = this.inString ? this.scanString(text, 0) : 0;
    const n = text.length;
    while (i < n) {
      const c = text[i];
      if (SPACE.has(c)) {
        this.emitText(' ');
        i++;
      } else if (c === ';') {
        this.emitText(' ');
        i = n;
      } else if (c === '"') {
        this.begin('atom');
        this.emitText('"');
        this.inString = true;
        this.stringLine = line;
        i = this.scanString(text, i + 1);
      } else if (c === '(' || c === '[' || c === '{') {
        this.begin('collection');
        this.emitText(c);
        this.openFrame(c);
        i++;
      } else if (c === ')' || c === ']' || c === '}') {
        this.closeFrame(c);
        i++;
      } else if (c === '#') {
        i = this.scanDispatch(text, i);
      } else if (c === '\\') {
        i = this.scanChar(text, i);
      } else {
        const end = tokenEnd(text, i + 1);
        this.begin('atom');
        this.emitText(text.slice(i, end));
        this.formDone();
        i = end;
      }
    }
    // A newline inside a string is part of it; elsewhere it separates tokens.
    this.emitText(this.inString ? '\n' : ' ');
    return this.out;
  }

  /** Call after the last line: throws if a string, collection, tag or discard is left unfinished. */
  end(): void {
    if (this.inString) this.fail(this.stringLine, 'string opened here is never closed: expected a closing " before the end of the file');
    const top = this.stack[this.stack.length - 1];
    if (this.stack.length > 1) {
      this.fail(top.line, `"${top.open}" opened here is never closed: expected "${top.close}" before the end of the file`);
    }
    if (top.prefixes.length > 0) this.fail(this.line, 'a tag or #_ at the end of the file has no form to apply to: expected a form after it');
  }

  private fail(line: number, problem: string): never {
    throw new HistoryError(`invalid EDN: ${problem}`, { file: this.file, line });
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1];
  }

  private emitText(s: string): void {
    if (this.recordLine !== undefined) this.parts.push(s);
  }

  /** A token starts: decide container vs tuple for an undecided top-level vector, and start a record if due. */
  private begin(kind: 'atom' | 'collection' | 'tag' | 'discard'): void {
    const top = this.top;
    if (top.undecided && kind !== 'discard') {
      top.undecided = false;
      if (kind === 'collection' || kind === 'tag') {
        top.container = true;
        this.recordDepth = this.stack.length - 1;
        this.parts = [];
        this.recordLine = undefined;
      }
    }
    if (this.recordLine === undefined && this.stack.length - 1 === this.recordDepth) {
      this.recordLine = this.line;
      this.parts = [];
    }
  }

  private openFrame(open: string): void {
    const f = frame(open, this.line);
    // Only a bare top-level vector or list can be a container; `#object[...]` or a nested vector cannot.
    if (this.stack.length === 1 && this.recordDepth === 0 && (open === '[' || open === '(') && this.top.prefixes.length === 0) {
      f.undecided = true;
    }
    this.stack.push(f);
  }

  private closeFrame(c: Closer): void {
    const f = this.top;
    if (this.stack.length === 1) this.fail(this.line, `unexpected "${c}": nothing is open here`);
    if (f.close !== c) this.fail(this.line, `expected "${f.close}" to close the "${f.open}" opened at line ${f.line}, got "${c}"`);
    if (f.prefixes.length > 0) this.fail(this.line, `a tag or #_ right before "${c}" has no form to apply to: expected a form after it`);
    if (f.close === '}' && f.open === '{' && f.forms % 2 !== 0) {
      this.fail(this.line, `the map opened at line ${f.line} has an odd number of forms: expected key-value pairs`);
    }
    this.stack.pop();
    if (f.container || f.undecided) {
      // End of a container (or an empty top-level `[]`): its elements were the records.
      this.recordDepth = 0;
      this.recordLine = undefined;
      this.parts = [];
      return;
    }
    this.emitText(c);
    this.formDone();
  }

  /** A complete form ended in the current frame: apply pending tags/discards, count it, emit a record. */
  private formDone(): void {
    const f = this.top;
    let counted = true;
    for (;;) {
      const p = f.prefixes.pop();
      if (p === undefined) break;
      if (p === 'discard') {
        counted = false;
        break;
      }
    }
    if (counted) f.forms++;
    if (this.stack.length - 1 !== this.recordDepth || this.recordLine === undefined) return;
    if (counted) {
      this.out.push({ text: this.parts.join(''), line: this.recordLine });
      this.recordLine = undefined;
      this.parts = [];
    } else if (f.prefixes.length === 0) {
      // A discarded record (`#_{...}`): drop its text so the next record starts on its own line.
      this.recordLine = undefined;
      this.parts = [];
    }
  }

  /** Continue a string from `i`; returns the index after the closing quote, or the line length if still open. */
  private scanString(text: string, i: number): number {
    const start = i;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        this.emitText(text.slice(start, i + 1));
        this.inString = false;
        this.formDone();
        return i + 1;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) this.fail(this.line, `bad string escape "${text.slice(i, i + 6)}": expected \\u and 4 hex digits`);
          i += 6;
          continue;
        }
        if (e === undefined || !STRING_ESCAPES.has(e)) {
          this.fail(this.line, `bad string escape "\\${e ?? ''}": expected one of \\" \\\\ \\n \\t \\r \\b \\f \\uXXXX`);
        }
        i += 2;
        continue;
      }
      i++;
    }
    this.emitText(text.slice(start));
    return i;
  }

  /** `#{` set, `#_` discard, `##Inf` symbolic value, or `#tag`. */
  private scanDispatch(text: string, i: number): number {
    const next = text[i + 1];
    if (next === '{') {
      this.begin('collection');
      this.emitText('#{');
      this.openFrame('#{');
      return i + 2;
    }
    if (next === '_') {
      this.begin('discard');
      this.emitText('#_ ');
      this.top.prefixes.push('discard');
      return i + 2;
    }
    if (next === '#') {
      const end = tokenEnd(text, i + 2);
      const token = text.slice(i, end);
      if (!SYMBOLIC.has(token)) this.fail(this.line, `unknown symbolic value "${token}": expected ##Inf, ##-Inf or ##NaN`);
      this.begin('atom');
      this.emitText(JSON.stringify(token));
      this.formDone();
      return end;
    }
    if (next !== undefined && /[A-Za-z]/.test(next)) {
      const end = tokenEnd(text, i + 1);
      this.begin('tag');
      this.emitText(`${text.slice(i, end)} `);
      this.top.prefixes.push('tag');
      return end;
    }
    return this.fail(this.line, `unsupported "#${next ?? ''}": expected a tag such as #inst, a set #{...} or a discard #_`);
  }

  /** A character literal, rewritten as a one-character string. */
  private scanChar(text: string, i: number): number {
    if (i + 1 >= text.length) this.fail(this.line, 'expected a character after "\\"');
    const end = tokenEnd(text, i + 2);
    const name = text.slice(i + 1, end);
    let ch: string | undefined;
    if ([...name].length === 1) ch = name;
    else if (name in NAMED_CHARS) ch = NAMED_CHARS[name];
    else if (/^u[0-9a-fA-F]{4}$/.test(name)) ch = String.fromCharCode(parseInt(name.slice(1), 16));
    else if (/^o[0-7]{1,3}$/.test(name)) ch = String.fromCharCode(parseInt(name.slice(1), 8));
    if (ch === undefined) this.fail(this.line, `unknown character literal "\\${name}": expected \\c, \\newline, \\space, \\tab, \\uXXXX or similar`);
    this.begin('atom');
    this.emitText(JSON.stringify(ch));
    this.formDone();
    return end;
  }
}

/** Index just past the token that continues at `i`. */
function tokenEnd(text: string, i: number): number {
  while (i < text.length && !DELIMITERS.has(text[i])) i++;
  return i;
}

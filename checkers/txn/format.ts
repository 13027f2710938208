/**
 * Compact EDN-ish rendering of values and transactions for explanations: `[1 2 3]`, `nil`, strings without
 * quotes, long lists cut to their ends (`[1 2 3 ... 98 99 (100 elements)]`), because users cannot read full dumps of
 * long reads (yugabyte#25537) and every anomaly text is read by a human.
 */
import type { Txn } from './types.js';

/** Longest value shown before it is abbreviated, when the caller does not say. */
export const DEFAULT_MAX_CHARS = 40;

/** Micro-ops shown in full by `describeTxn`; longer transactions show their first and last ones. */
const MAX_MOPS_SHOWN = 16;

/** Render a value compactly (EDN-ish) within roughly `maxChars` characters, so explanations stay readable. */
export function abbreviate(value: unknown, maxChars: number = DEFAULT_MAX_CHARS): string {
  const max = Number.isFinite(maxChars) && maxChars >= 8 ? Math.floor(maxChars) : 8;
  return render(value, max);
}

function render(v: unknown, max: number): string {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'string':
      return v.length <= max ? v : `${v.slice(0, Math.max(1, max - 3))}...`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'object':
      if (Array.isArray(v)) return renderSeq(v.length, (i, b) => render(v[i], b), '[', ']', 'elements', max);
      if (v instanceof Set) {
        const items = [...v];
        return renderSeq(items.length, (i, b) => render(items[i], b), '#{', '}', 'elements', max);
      }
      {
        const entries = Object.entries(v as Record<string, unknown>);
        return renderSeq(entries.length, (i, b) => `${entries[i]![0]} ${render(entries[i]![1], Math.max(8, b - entries[i]![0].length - 1))}`, '{', '}', 'entries', max, ', ');
      }
    default:
      return String(v);
  }
}

/**
 * `open item item ... close`, or when that is longer than `max`, as many items from both ends as fit around
 * ` ... ` plus the count. Items are rendered lazily, so a million-element read costs only the items shown.
 */
function renderSeq(n: number, itemAt: (i: number, budget: number) => string, open: string, close: string, noun: string, max: number, sep = ' '): string {
  const item = (i: number) => itemAt(i, max);
  // Try the whole thing first, stopping as soon as it is too long.
  let full = open;
  let i = 0;
  for (; i < n; i++) {
    full += (i === 0 ? '' : sep) + item(i);
    if (full.length + close.length > max) break;
  }
  if (i === n) return full + close;

  const tailNote = ` (${n} ${noun})`;
  const head: string[] = [];
  const tail: string[] = [];
  const size = () => open.length + joinedLength(head, sep) + (head.length ? sep.length : 0) + 3 + (tail.length ? sep.length : 0) + joinedLength(tail, sep) + tailNote.length + close.length;
  let h = 0;
  let t = n - 1;
  // Two from the head for every one from the tail: the start of a list is usually what a reader compares.
  let turn = 0;
  while (h <= t) {
    const fromHead = turn % 3 !== 2;
    const s = fromHead ? item(h) : item(t);
    if (fromHead) head.push(s);
    else tail.unshift(s);
    if (size() > max) {
      if (fromHead) head.pop();
      else tail.shift();
      break;
    }
    if (fromHead) h++;
    else t--;
    turn++;
  }
  // Nothing fit whole: show the first item squeezed into what is left rather than no item at all.
  if (head.length === 0 && tail.length === 0 && n > 0) {
    const room = max - size() - sep.length;
    if (room >= 8) head.push(itemAt(0, room));
  }
  const parts = [...head, '...', ...tail];
  return `${open}${parts.join(sep)}${tailNote}${close}`;
}

function joinedLength(xs: readonly string[], sep: string): number {
  let n = 0;
  for (const x of xs) n += x.length;
  return n + Math.max(0, xs.length - 1) * sep.length;
}

/** One micro-op as `[append x 5]` / `[r y [1 2]]`, its value abbreviated. */
export function describeMop(mop: readonly unknown[], maxChars: number = DEFAULT_MAX_CHARS): string {
  if (!Array.isArray(mop)) return abbreviate(mop, maxChars);
  return `[${mop.map((x) => abbreviate(x, maxChars)).join(' ')}]`;
}

/** A transaction as `{index 12, process 3, type ok, value [[append x 5] [r y [1]]]}`: the "Let:" lines of explanations. */
export function describeTxn(t: Txn, maxChars: number = DEFAULT_MAX_CHARS): string {
  const mops = t.mops;
  let shown: string[];
  if (mops.length <= MAX_MOPS_SHOWN) shown = mops.map((m) => describeMop(m, maxChars));
  else {
    const head = mops.slice(0, MAX_MOPS_SHOWN - 2).map((m) => describeMop(m, maxChars));
    const last = describeMop(mops[mops.length - 1]!, maxChars);
    shown = [...head, `... (${mops.length} micro-ops)`, last];
  }
  return `{index ${t.index}, process ${String(t.process)}, type ${t.type}, value [${shown.join(' ')}]}`;
}

/** How anomaly texts name a transaction: by the history index reports highlight. */
export function txnRef(t: Txn): string {
  return `txn ${t.index}`;
}

/** `txn 3, txn 7 and 2 more`: a bounded list of witnesses for an explanation. */
export function txnList(ts: readonly Txn[], total = ts.length, max = 5): string {
  const shown = ts.slice(0, max).map(txnRef);
  const more = total - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

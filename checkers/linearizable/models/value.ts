/** Hashing, equality and printing of JSON-like values, shared by the built-in models so states compare by content. */


/** 32-bit FNV-1a over a string's UTF-16 code units: cheap and stable across runs. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Mix two 32-bit values into one (order-sensitive). */
export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ (b + 0x9e3779b9 + (a << 6) + (a >>> 2)), 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/** Content hash of a JSON-like value: equal by `valueEquals` implies equal hash. */
export function hashValue(v: unknown): number {
  if (v === null || v === undefined) return 0x2545f491;
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) return mix(0x1b873593, v | 0);
      f64[0] = v;
      return mix(u32[0]!, u32[1]!);
    case 'string':
      return hashString(v);
    case 'boolean':
      return v ? 0x3c6ef372 : 0x6a09e667;
    case 'bigint':
      return hashString(v.toString(), 0x1234567);
    default:
      break;
  }
  if (Array.isArray(v)) {
    let h = 0x510e527f;
    for (const x of v) h = mix(h, hashValue(x));
    return h;
  }
  if (v instanceof Set) {
    let h = 0x9b05688c; // order-independent
    for (const x of v) h = (h + hashValue(x)) | 0;
    return h;
  }
  if (typeof v === 'object') {
    let h = 0x1f83d9ab;
    for (const k of Object.keys(v as object).sort()) h = mix(mix(h, hashString(k)), hashValue((v as Record<string, unknown>)[k]));
    return h;
  }
  return hashString(String(v));
}

/** Deep equality of JSON-like values (arrays by position, objects by key, null == undefined). */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (b === null || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    for (const x of a) if (!b.has(x)) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!valueEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Canonical text of a value (sorted object keys): a map key for "same value". */
export function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v instanceof Set) return `#{${[...v].map(canonical).sort().join(',')}}`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** Short printable form for counterexamples. */
export function show(v: unknown): string {
  const s = canonical(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}


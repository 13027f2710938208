/** Parsing of human-friendly flag values (durations, sizes) with messages that say what was expected. */

/** How a verdict reads in CLI summaries. */
export function verdictWord(v: true | false | 'unknown'): 'VALID' | 'INVALID' | 'UNKNOWN' {
  return v === true ? 'VALID' : v === false ? 'INVALID' : 'UNKNOWN';
}

/** A flag or argument the user got wrong: printed as one line, exit code 64. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "10s", "500ms", "2m", "1.5h" or a bare number of seconds, to milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag} expects a duration such as 10s, 500ms, 2m or 1h; got ${JSON.stringify(text)}`);
  return Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** "512mb", "2gb", "100kb" or a bare number of bytes, to bytes. */
export function parseBytes(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag} expects a size such as 512mb or 2gb; got ${JSON.stringify(text)}`);
  return Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!;
}

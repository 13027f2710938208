/** The `malformed-op` anomaly shared by the bank, set and counter checkers, kept in one place so they report alike. */
import type { Anomaly } from './result.js';

/** `n` and the noun, singular or plural ("1 op", "3 ops"). */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One anomaly for every op whose value could not be read: the first 20 named, all counted. */
export function malformedAnomaly(list: readonly { index: number; problem: string }[]): Anomaly {
  const shown = list.slice(0, 20);
  return {
    type: 'malformed-op',
    ops: shown.map((m) => m.index),
    explanation:
      `${plural(list.length, 'op')} could not be checked because ${list.length === 1 ? 'its value is' : 'their values are'} malformed: ` +
      `${shown.slice(0, 3).map((m) => `#${m.index}: ${m.problem}`).join('; ')}${list.length > 3 ? `; and ${list.length - 3} more` : ''}.`,
    count: list.length,
    problems: shown,
  };
}

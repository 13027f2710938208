/** The verdict shape every checker returns, so results compose and reports need not know which checker ran. */

/** false beats 'unknown' beats true when results are combined. */
export type Verdict = true | false | 'unknown';

/** One witnessed violation; `ops` are history indices so reports can highlight them. */
export interface Anomaly {
  type: string;
  ops: number[];
  explanation: string;
  [detail: string]: unknown;
}

/** What a checker concluded and why, with figures for benchmarks and reports. */
export interface CheckResult {
  valid: Verdict;
  checker: string;
  anomalies: Anomaly[];
  stats: Record<string, unknown>;
  explanation?: string;
}

/** Combine verdicts: any false makes false, else any unknown makes unknown, else true. */
export function combineVerdicts(verdicts: Iterable<Verdict>): Verdict {
  let out: Verdict = true;
  for (const v of verdicts) {
    if (v === false) return false;
    if (v === 'unknown') out = 'unknown';
  }
  return out;
}

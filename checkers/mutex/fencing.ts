/**
 * `fencing`: did the fencing tokens do their job (Kleppmann's fencing tokens)?
 *
 * 1. Over the guarded resource's records per lock, in the order it applied them: a record it ACCEPTED whose token
 *    is lower than the highest token it had accepted before is a violation (`stale-token-accepted`): a holder with
 *    an old grant acted after a newer holder had. With a fenced resource that is a resource bug; unfenced, it is
 *    the lock failing. Stale records the resource rejected are fencing working (stats.staleRejected).
 * 2. Over the lock service's grants (acquire ok values `{token}`) per lock: tokens must single out one grant and
 *    grow with real time (`token-order`): the same token granted to two different processes, or a grant whose
 *    acquire was invoked after an earlier grant completed carrying a lower token than that one.
 * Records and grants without a token (null) are skipped; when there is no token at all the check does not apply.
 */
import type { History, PairedOp, ProcessId } from '../history/types.js';
import { combineVerdicts, type Anomaly, type CheckResult, type Verdict } from '../result.js';
import { abbreviate, fields, isClient, keyOf, label, lockId, pairOrExplain, preview, push, readToken, resourceEntries, showLock, type MalformedRecord, type ResourceEntry } from './common.js';

/** Knobs of the fencing checker. */
export interface FencingOptions {
  /** Anomalies reported per kind (all are counted in stats). Default 100. */
  maxAnomalies?: number;
}

/** The explanation when neither the grants nor the resource carry a token. */
export const NO_TOKENS = 'no fencing tokens (backend has none): not applicable';

interface Grant {
  process: ProcessId;
  lock: unknown;
  token: number;
  invokeIndex: number;
  okIndex: number;
  invokePos: number;
  completePos: number;
}

function describeRecord(e: ResourceEntry): string {
  return `${e.f} #${e.index} (${label('worker', e.worker)}, token ${e.token === null ? 'none' : e.token})`;
}

/** Check the resource's view of tokens and the order of granted tokens. */
export function checkFencing(history: History, opts: FencingOptions = {}): CheckResult {
  const maxAnomalies = opts.maxAnomalies ?? 100;
  const { entries, malformed } = resourceEntries(history);
  const anomalies: Anomaly[] = [];
  const tokens = new Set<number>();
  const fencedSeen = new Set<boolean>();
  const locks = new Set<string>();
  let accepted = 0;
  let rejected = 0;
  let staleAccepted = 0;
  let staleRejected = 0;
  let rejectedOther = 0;
  let untokened = 0;

  // 1. The resource, per lock, in the order it applied the records.
  const highest = new Map<string, ResourceEntry>();
  for (const e of entries) {
    locks.add(e.lock);
    if (e.fenced !== undefined) fencedSeen.add(e.fenced);
    if (e.accepted) accepted++;
    else rejected++;
    if (e.token === null) {
      untokened++;
      if (!e.accepted) rejectedOther++;
      continue;
    }
    tokens.add(e.token);
    const top = highest.get(e.lock);
    const stale = top !== undefined && e.token < top.token!;
    if (!e.accepted) {
      if (stale) staleRejected++;
      else rejectedOther++;
      continue;
    }
    if (stale) {
      staleAccepted++;
      if (anomalies.length < maxAnomalies) {
        anomalies.push({
          type: 'stale-token-accepted',
          ops: [top.index, e.index],
          explanation:
            `Lock ${showLock(e.key)}: the resource accepted ${describeRecord(e)} although it had already accepted token ${top.token} ` +
            `at ${top.f} #${top.index} (${label('worker', top.worker)}). ` +
            (e.fenced === true
              ? 'The resource is fenced and should have rejected the stale token.'
              : 'The resource is not fenced, so nothing stopped it: a holder with an older grant touched the resource after a newer holder had, so the lock did not exclude it.'),
          lock: e.key,
          f: e.f,
          worker: e.worker,
          token: e.token,
          maxToken: top.token,
          maxTokenAt: top.index,
          fenced: e.fenced ?? null,
        });
      }
    }
    if (top === undefined || e.token > top.token!) highest.set(e.lock, e);
  }

  // 2. The grants, per lock.
  const pairing = pairOrExplain(history);
  const grantProblems: MalformedRecord[] = [];
  let grants = 0;
  let grantsWithToken = 0;
  let tokenOrderViolations = 0;
  const tokenOrder: Anomaly[] = [];
  if (pairing.paired) {
    const byLock = new Map<string, Grant[]>();
    for (const p of pairing.paired as PairedOp[]) {
      if (!isClient(p) || p.f !== 'acquire' || p.outcome !== 'ok' || !p.complete) continue;
      grants++;
      const raw = fields(p.complete.value)?.token;
      const t = readToken(raw);
      if (!t.ok) {
        grantProblems.push({ index: p.complete.index, problem: `acquire ok #${p.complete.index}: token ${preview(raw)} is not a number or null`, f: 'acquire', key: keyOf(p), lock: lockId(keyOf(p)) });
        continue;
      }
      if (t.token === null) continue;
      grantsWithToken++;
      tokens.add(t.token);
      const key = keyOf(p) ?? null;
      locks.add(lockId(key));
      push(byLock, lockId(key), { process: p.process, lock: key, token: t.token, invokeIndex: p.invoke.index, okIndex: p.complete.index, invokePos: p.invokePos, completePos: p.completePos });
    }
    for (const list of byLock.values()) {
      // The same token for different holders.
      const byToken = new Map<number, Grant[]>();
      for (const g of list) push(byToken, g.token, g);
      for (const [token, gs] of byToken) {
        const holders = [...new Set(gs.map((g) => g.process))];
        if (holders.length < 2) continue;
        tokenOrderViolations++;
        if (tokenOrder.length >= maxAnomalies) continue;
        tokenOrder.push({
          type: 'token-order',
          kind: 'duplicate-token',
          ops: gs.map((g) => g.okIndex).sort((a, b) => a - b),
          explanation:
            `Lock ${showLock(gs[0]!.lock)}: fencing token ${token} was granted to ${holders.length} different holders: ` +
            `${abbreviate(gs.map((g) => `process ${String(g.process)} (acquire ok #${g.okIndex})`))}. ` +
            'A token must name one grant, or the resource cannot tell a stale holder from the current one.',
          lock: gs[0]!.lock,
          token,
          processes: holders,
        });
      }
      // A grant invoked after an earlier grant completed must not carry a lower token. `list` is in invocation order.
      const byCompletion = [...list].sort((a, b) => a.completePos - b.completePos);
      let j = 0;
      let best: Grant | undefined;
      for (const g of list) {
        while (j < byCompletion.length && byCompletion[j]!.completePos < g.invokePos) {
          const c = byCompletion[j++]!;
          if (best === undefined || c.token > best.token) best = c;
        }
        if (best === undefined || g.token >= best.token) continue;
        tokenOrderViolations++;
        if (tokenOrder.length >= maxAnomalies) continue;
        tokenOrder.push({
          type: 'token-order',
          kind: 'token-decreased',
          ops: [best.okIndex, g.okIndex],
          explanation:
            `Lock ${showLock(g.lock)}: process ${String(g.process)}'s acquire (invoked #${g.invokeIndex}, ok #${g.okIndex}) got token ${g.token}, ` +
            `lower than token ${best.token} granted to process ${String(best.process)} at #${best.okIndex}, which completed before #${g.invokeIndex} was invoked. ` +
            'Tokens must grow with every grant, or the resource rejects the current holder and accepts stale ones.',
          lock: g.lock,
          token: g.token,
          earlierToken: best.token,
          processes: [best.process, g.process],
        });
      }
    }
  }
  anomalies.push(...tokenOrder);

  const problems = [...malformed, ...grantProblems];
  const verdicts: Verdict[] = [anomalies.length === 0];
  if (problems.length > 0 || pairing.error !== undefined) verdicts.push('unknown');
  const applicable = tokens.size > 0;
  const valid = combineVerdicts(verdicts);
  const result: CheckResult = {
    valid,
    checker: 'fencing',
    anomalies,
    stats: {
      applicable,
      locks: locks.size,
      records: entries.length,
      accepted,
      rejected,
      staleRejected,
      staleAccepted,
      rejectedOther,
      untokened,
      fenced: fencedSeen.size === 0 ? null : fencedSeen.size === 2 ? 'mixed' : [...fencedSeen][0]!,
      tokensSeen: tokens.size,
      grants,
      grantsWithToken,
      tokenOrderViolations,
      malformed: problems.length,
      ...(problems.length > 0 ? { malformedRecords: problems.slice(0, 20).map(({ index, problem }) => ({ index, problem })) } : {}),
    },
  };
  const unsure: string[] = [];
  if (pairing.error !== undefined) unsure.push(`grants not checked: the history is malformed: ${pairing.error}`);
  if (problems.length > 0) unsure.push(`${problems.length} record${problems.length === 1 ? '' : 's'} could not be read: ${abbreviate(problems.map((p) => p.problem), 3)}`);
  if (valid === false) {
    const parts: string[] = [];
    if (staleAccepted > 0) parts.push(`${staleAccepted} stale token${staleAccepted === 1 ? '' : 's'} accepted by the resource`);
    if (tokenOrderViolations > 0) parts.push(`${tokenOrderViolations} grant${tokenOrderViolations === 1 ? '' : 's'} out of token order`);
    result.explanation = `Fencing failed: ${parts.join('; ')}.${unsure.length ? ` Also: ${unsure.join('; ')}.` : ''}`;
  } else if (valid === 'unknown') {
    result.explanation = `Could not check fencing fully: ${unsure.join('; ')}.`;
  } else if (!applicable) {
    result.explanation = NO_TOKENS;
  } else {
    result.explanation = `Fencing held: no stale token accepted (${staleRejected} stale access${staleRejected === 1 ? '' : 'es'} rejected), and granted tokens grew with every grant.`;
  }
  return result;
}

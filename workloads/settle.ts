/**
 * Bounded waiting for client calls: a workload client must answer within its op timeout and honour the abort
 * signal, even when the library underneath would hang.
 */

/** How a bounded wait ended: with the call's value, its error, the deadline, or the abort signal. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown; cause: 'error' | 'timeout' | 'abort' };

/** Waits for `p`, but never past `ms` or the abort signal; a late settlement of `p` is swallowed. */
export function settle<T>(p: Promise<T>, signal: AbortSignal, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (s: Settled<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(s);
    };
    const onAbort = (): void => finish({ ok: false, error: signal.reason, cause: 'abort' });
    const timer = setTimeout(() => finish({ ok: false, error: new Error(`no reply within ${ms} ms`), cause: 'timeout' }), ms);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => finish({ ok: true, value }),
      (error: unknown) => finish({ ok: false, error, cause: 'error' }),
    );
  });
}

/** An error's message, for outcomes and logs. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

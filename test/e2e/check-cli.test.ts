/**
 * The built `faultline` binary, run as a user would: exit codes, messages, --json output and conversions.
 * Needs `npm run build` first (the `npm test` script does it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'dist/harness/cli.js');

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('faultline check (CLI)', function () {
  let dir: string;
  const write = (name: string, lines: unknown[]): string => {
    const file = join(dir, name);
    writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
    return file;
  };

  before(function () {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" (npm test does) before the e2e tests`);
    dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and says VALID for the shipped example history', function () {
    const r = run('check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'cas-register');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^VALID: /);
  });

  it('exits 1 with an explanation naming the op that cannot be linearized', function () {
    const f = write('stale.jsonl', [
      { process: 0, type: 'invoke', f: 'write', value: 1 },
      { process: 0, type: 'ok', f: 'write', value: 1 },
      { process: 1, type: 'invoke', f: 'read', value: null },
      { process: 1, type: 'ok', f: 'read', value: 0 },
    ]);
    const r = run('check', f, '--model', 'register', '--initial', '0');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^INVALID: /);
    assert.match(r.stdout, /#2 process 1 read -> 0/);
    assert.match(r.stdout, /impossible in state 1/);
  });

  it('names an op that no order can make possible (a read of a value nobody wrote)', function () {
    const f = write('phantom.jsonl', [
      { process: 0, type: 'invoke', f: 'write', value: 1 },
      { process: 1, type: 'invoke', f: 'read', value: null },
      { process: 0, type: 'ok', f: 'write', value: 1 },
      { process: 1, type: 'ok', f: 'read', value: 7 },
    ]);
    const r = run('check', f, '--model', 'register');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /#1 process 1 read -> 7 can never be placed/);
  });

  it('--json prints the CheckResult with stats.ms and the anomaly op indices', function () {
    const f = write('stale2.jsonl', [
      { index: 10, process: 0, type: 'invoke', f: 'write', value: 1 },
      { index: 11, process: 0, type: 'ok', f: 'write', value: 1 },
      { index: 12, process: 1, type: 'invoke', f: 'read', value: null },
      { index: 13, process: 1, type: 'ok', f: 'read', value: 0 },
    ]);
    const r = run('check', f, '--model', 'register', '--initial', '0', '--json');
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout) as { valid: unknown; stats: { ms: number }; anomalies: { ops: number[]; prefix: number[] }[] };
    assert.equal(result.valid, false);
    assert.equal(typeof result.stats.ms, 'number');
    assert.deepEqual(result.anomalies[0]!.ops, [12]);
    assert.deepEqual(result.anomalies[0]!.prefix, [10]);
  });

  it('exits 2 (UNKNOWN) when the budget runs out, within a reasonable margin of it', function () {
    const lines: unknown[] = [];
    const writers = 40;
    for (let p = 0; p < writers; p++) lines.push({ process: p, type: 'invoke', f: 'write', value: p });
    // One reader sees 5, then 3, then 5 again while 40 writes of distinct values overlap: exponentially many
    // subsets of writes to rule out.
    for (const v of [5, 3, 5]) lines.push({ process: writers, type: 'invoke', f: 'read', value: null }, { process: writers, type: 'ok', f: 'read', value: v });
    for (let p = 0; p < writers; p++) lines.push({ process: p, type: 'ok', f: 'write', value: p });
    const f = write('hard.jsonl', lines);
    const r = run('check', f, '--model', 'register', '--budget', '300ms', '--json');
    assert.equal(r.code, 2, r.stderr);
    const result = JSON.parse(r.stdout) as { valid: unknown; stats: { ms: number; unknownReason: string } };
    assert.equal(result.valid, 'unknown');
    assert.match(result.stats.unknownReason, /time budget/);
    assert.ok(result.stats.ms >= 300 && result.stats.ms < 600, `checked for ${result.stats.ms} ms with a 300 ms budget`);
  });

  it('exits 64 naming the problem for usage and input errors', function () {
    const bad = write('bad.jsonl', [{ process: 0, type: 'invoke', f: 'read', value: null }, '{not json']);
    const cases: [string[], RegExp][] = [
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'nope'], /unknown model "nope"; valid models: register, cas-register/],
      [['check', join(dir, 'missing.jsonl'), '--model', 'register'], /missing\.jsonl: no such file/],
      [['check', bad, '--model', 'register'], /bad\.jsonl:2: .*expected one JSON object per line/],
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'register', '--budget', 'soon'], /--budget expects a duration/],
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'register', '--initial', '{oops'], /--initial expects JSON/],
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'register', '--opt', 'bogus=1'], /bogus/],
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'register', '--format', 'xml'], /Allowed choices are jsonl, edn/],
      [['check', 'test/fixtures/cas-register-valid.jsonl'], /--checker linearizable needs --model <name>; models: /],
      [['check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'register', '--frobnicate'], /unknown option '--frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.code, 64, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('export and import convert between JSONL and EDN losslessly', function () {
    const edn = join(dir, 'h.edn');
    const back = join(dir, 'h.jsonl');
    assert.equal(run('export', 'test/fixtures/cas-register-valid.jsonl', '-o', edn).code, 0);
    assert.match(readFileSync(edn, 'utf8'), /:type :invoke/);
    assert.equal(run('import', edn, '-o', back).code, 0);
    const a = run('check', 'test/fixtures/cas-register-valid.jsonl', '--model', 'cas-register', '--json');
    const b = run('check', back, '--model', 'cas-register', '--json');
    assert.equal(b.code, a.code);
    const strip = (s: string) => {
      const r = JSON.parse(s) as { stats: Record<string, unknown> };
      for (const k of ['ms', 'parseMs', 'maxMemoBytes']) delete r.stats[k];
      return r;
    };
    assert.deepEqual(strip(b.stdout), strip(a.stdout));
  });

  it('lists the models with their options', function () {
    const r = run('models');
    assert.equal(r.code, 0);
    for (const m of ['register', 'cas-register', 'mutex', 'multi-register', 'kv', 'set', 'fifo-queue', 'unordered-queue']) assert.match(r.stdout, new RegExp(`^${m}$`, 'm'));
    assert.match(r.stdout, /--opt nilReadAny/);
  });
});

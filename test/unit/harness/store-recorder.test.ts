import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readHistory } from '../../../checkers/history/io.js';
import { HistoryRecorder } from '../../../harness/history-recorder.js';
import { createRunDir, latestRunDir } from '../../../harness/store.js';

describe('run store', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'faultline-store-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates <scenario>/<time>-seed<seed>/ with logs/, never reuses a directory, and points latest at the newest', () => {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const a = createRunDir(root, 'register-redis', 42, now);
    const b = createRunDir(root, 'register-redis', 42, now);
    assert.equal(a.dir, join(root, 'register-redis', '2026-11-22T10-00-00.000Z-seed42'));
    assert.notEqual(a.dir, b.dir);
    assert.ok(existsSync(a.logs) && existsSync(b.logs));
    assert.equal(latestRunDir(root), b.dir);
    assert.equal(readlinkSync(join(root, 'latest')), join('register-redis', '2026-11-22T10-00-00.000Z-seed42-2'));
  });
});

describe('history recorder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'faultline-rec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('assigns increasing indices and monotonic times and writes readable JSONL', async () => {
    const file = join(dir, 'history.jsonl');
    const rec = HistoryRecorder.open(file, { startNs: process.hrtime.bigint() });
    rec.record({ process: 0, type: 'invoke', f: 'write', key: 'k0', value: 1 });
    rec.record({ process: 'nemesis', type: 'info', f: 'start-kill', value: { targets: ['n1'] } });
    rec.record({ process: 0, type: 'ok', f: 'write', key: 'k0', value: 1 });
    rec.close();
    const { ops } = await readHistory(file, 'jsonl');
    assert.deepEqual(ops.map((o) => o.index), [0, 1, 2]);
    assert.ok(ops[0]!.time! <= ops[1]!.time! && ops[1]!.time! <= ops[2]!.time!);
    assert.equal(ops[2]!.key, 'k0');
  });

  it('leaves every recorded op on disk when the process is SIGKILLed right after recording', () => {
    const file = join(dir, 'history.jsonl');
    const script = `
      import { HistoryRecorder } from ${JSON.stringify(new URL('../../../harness/history-recorder.ts', import.meta.url).href)};
      const rec = HistoryRecorder.open(${JSON.stringify(file)}, { startNs: process.hrtime.bigint(), flushMs: 1 });
      for (let i = 0; i < 1000; i++) rec.record({ process: i % 5, type: i % 2 ? 'ok' : 'invoke', f: 'read', value: null });
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 50);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1000);
    assert.equal(JSON.parse(lines[999]!).index, 999);
  });
});

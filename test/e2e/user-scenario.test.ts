/**
 * User scenario files through the built CLI: the README's complete example (extracted from README.md, so the
 * documentation cannot drift from what works) and a scenario for the user's own system with a known bug.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshot, waitNoLeaks } from '../support/leaks.js';
import { faultline, root, useStore } from '../support/cli.js';

/** The TypeScript block that follows the `<!-- example: my-scenario.ts` marker in README.md. */
function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const m = /<!-- example: my-scenario\.ts[^\n]*-->\n```ts\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(m, 'README.md has no my-scenario.ts example block');
  return m[1]!;
}

describe('user scenarios (CLI, real backends)', function () {
  this.timeout(120_000);
  const storeDir = useStore();
  let store: string;
  beforeEach(() => (store = storeDir()));

  it("runs the README's example scenario file (own client, built-in backend, workload, faults and checker): VALID", async function () {
    const dir = join(root, 'test', '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'my-scenario.ts');
    writeFileSync(file, `${readmeExample()}\n`);
    const before = snapshot();
    const r = faultline(['run', file, '--seed', '7', '--time-limit', '3s', '--store', store]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^VALID \(as expected\): my-redis-watch, seed 7/m);
    assert.match(r.stdout, /reproduce: +npx faultline run \/.*test\/\.tmp\/my-scenario\.ts --seed 7 --time-limit 3s/);
    const runDir = join(store, 'my-redis-watch', readdirSync(join(store, 'my-redis-watch'))[0]!);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    assert.equal(results.valid, true);
    assert.ok(results.stats.ok > 50, `only ${results.stats.ok} ok ops`);
    assert.ok(results.stats.faults >= 1, 'no faults injected');
    assert.deepEqual(await waitNoLeaks(before), []);
  });

  it("finds the stale reads of a user's own system and, since the scenario expects them, exits 0", function () {
    const r = faultline(['run', 'test/fixtures/stale-cache-scenario.ts', '--seed', '3', '--store', store]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^INVALID \(as expected\): user-stale-cache, seed 3/m);
    assert.match(r.stdout, /no order of the ops is consistent/);
    const runDir = join(store, 'user-stale-cache', readdirSync(join(store, 'user-stale-cache'))[0]!);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    assert.equal(results.valid, false);
    assert.equal(results.expected, 'invalid');
    assert.ok(results.checkers[0].anomalies.length > 0);
  });

  it('a scenario file with mistakes is refused with every problem named (exit 64)', function () {
    const dir = join(root, 'test', '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'bad-scenario.ts');
    writeFileSync(
      file,
      `import { defineScenario, registerWorkload, redisRegisterClient } from 'faultline/scenarios';
export default defineScenario({
  name: 'bad',
  backend: { kind: 'redis', topology: 'cluster' },
  workload: registerWorkload(),
  client: redisRegisterClient(),
  nemesis: { faults: [{ kind: 'kill', target: 'half' }] },
  checkers: [{ checker: 'linearizable', model: 'kv' }],
} as never);
`,
    );
    const r = faultline(['run', file, '--store', store]);
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /backend\.topology: got "cluster", expected one of: single, independent, replicated/);
    assert.match(r.stderr, /nemesis\.faults\.0\.target: got "half", expected one of: one, minority, majority, all, leader, primary/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

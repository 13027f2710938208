import assert from 'node:assert/strict';
import { defineScenario, isScenario, type ScenarioConfig } from '../../../scenarios/define.js';
import { loadScenario, scenarioNames } from '../../../scenarios/index.js';
import { registerWorkload } from '../../../workloads/register/generator.js';
import { redisRegisterClient } from '../../../workloads/register/redis-client.js';

const base = (): ScenarioConfig => ({
  name: 'my-scenario',
  backend: { kind: 'redis', topology: 'single' },
  workload: registerWorkload(),
  client: redisRegisterClient(),
  checkers: [{ checker: 'linearizable', model: 'kv' }],
});

const bad = (patch: Record<string, unknown>) => ({ ...base(), ...patch }) as unknown as ScenarioConfig;

describe('defineScenario', () => {
  it('fills in defaults and brands the result', () => {
    const s = defineScenario(base());
    assert.ok(isScenario(s));
    assert.equal(s.expect, 'valid');
    assert.equal(s.defaults.clients, 5);
    assert.ok(!isScenario({ ...base() }));
  });

  it('names the field and lists the valid choices for every mistake', () => {
    assert.throws(() => defineScenario(bad({ colour: 'red' })), /\(top level\)|colour/);
    assert.throws(() => defineScenario(bad({ colour: 'red' })), /unknown field "colour" \(valid: name, description, backend, system, workload, client, nemesis, checkers, expect, defaults\)/);
    assert.throws(() => defineScenario(bad({ backend: { kind: 'mysql' } })), /backend\.kind: backend kind "mysql" is not one of: redis, etcd, zookeeper, postgres/);
    assert.throws(() => defineScenario(bad({ backend: { kind: 'etcd', nodes: 2 } })), /backend\.nodes: expected 1, 3 or 5 nodes/);
    assert.throws(() => defineScenario(bad({ backend: { kind: 'redis', topology: 'ring' } })), /backend\.topology: got "ring", expected one of: single, independent, replicated/);
    assert.throws(
      () => defineScenario(bad({ nemesis: { faults: [{ kind: 'link', mode: 'partition', scope: 'client', target: 'one' }] } })),
      /nemesis\.faults\.0\.mode: got "partition", expected one of: down, blackhole, latency, reset, bandwidth/,
    );
    assert.throws(() => defineScenario(bad({ nemesis: { faults: [{ kind: 'kill', target: 'half' }] } })), /nemesis\.faults\.0\.target: got "half", expected one of: one, minority, majority, all, leader, primary/);
    assert.throws(() => defineScenario(bad({ nemesis: { faults: [], gapMs: [5, 1] } })), /nemesis\.gapMs: expected \[min, max\] with min <= max/);
    assert.throws(() => defineScenario(bad({ defaults: { clients: 0 } })), /defaults\.clients: expected a number >= 1/);
    assert.throws(() => defineScenario(bad({ defaults: { timelimit: 5 } })), /unknown field "timelimit" \(valid: clients, timeLimitMs, opLimit, opTimeoutMs, thinkMs, clientMode\)/);
    assert.throws(() => defineScenario(bad({ expect: 'maybe' })), /expect: got "maybe", expected one of: valid, invalid/);
    assert.throws(() => defineScenario(bad({ checkers: [{ checker: 'linearizable', model: 'registr' }] })), /unknown model "registr"/);
    assert.throws(() => defineScenario(bad({ checkers: [{ checker: 'elle' }] })), /checkers\.0\.checker: got "elle", expected one of: linearizable, mutex, overlap, fencing, lost-update, list-append, rw-register, bank, set, counter, custom/);
    assert.throws(() => defineScenario(bad({ checkers: [] })), /checkers: expected at least one checker/);
    assert.throws(() => defineScenario(bad({ client: {} })), /client: expected a client factory/);
    assert.throws(() => defineScenario(bad({ name: 'has space' })), /name: use letters, digits/);
    assert.throws(() => defineScenario(bad({ backend: undefined })), /exactly one of "backend"/);
    assert.throws(
      () => defineScenario(bad({ backend: undefined, system: { start: async () => ({ nodes: [], stop: async () => {} }) }, nemesis: { faults: [{ kind: 'kill', target: 'one' }] } })),
      /kill and pause faults need a built-in "backend"/,
    );
  });
});

describe('scenario registry', () => {
  it('lists the built-in scenarios and loads them by name', async () => {
    const locks = ['lock-etcd', 'lock-etcd-pause', 'lock-pg-advisory', 'lock-redis-naive', 'lock-redis-token', 'lock-redis-token-pause', 'lock-redlock', 'lock-redlock-restart', 'lock-zookeeper'];
    const bank = ['bank-etcd', 'bank-redis-lua', 'bank-redis-naive', 'bank-redis-watch'];
    const listAppend = ['list-append-etcd', 'list-append-redis'];
    const txn = ['txn-pg-read-committed', 'txn-pg-repeatable-read', 'txn-pg-serializable'];
    assert.deepEqual(scenarioNames(), [...bank, ...listAppend, ...locks, 'register-etcd', 'register-redis', ...txn]);
    const s = await loadScenario('register-etcd');
    assert.equal(s.name, 'register-etcd');
    assert.equal(s.backend?.kind, 'etcd');
    // Every built-in scenario loads, validates, and says what it expects.
    for (const name of scenarioNames()) {
      const loaded = await loadScenario(name);
      assert.equal(loaded.name, name);
      assert.ok(loaded.expect === 'valid' || loaded.expect === 'invalid');
    }
    const pause = await loadScenario('lock-redis-token-pause');
    assert.deepEqual(pause.checkers.map((c) => [c.checker, c.expect]), [['mutex', undefined], ['overlap', 'invalid'], ['fencing', 'valid'], ['lost-update', 'valid']]);
  });

  it('rejects unknown names and missing files with a clear message', async () => {
    await assert.rejects(loadScenario('register-mongo'), /unknown scenario "register-mongo"; built-in scenarios: bank-etcd, .*, register-etcd, register-redis, .*txn-pg-serializable/);
    await assert.rejects(loadScenario('./nope.ts'), /scenario file not found: .*nope\.ts/);
  });
});

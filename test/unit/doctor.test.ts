/** `faultline doctor`: what it finds on this machine, how it reports what is missing, and how it installs. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diagnose,
  formatDoctorReport,
  installMissing,
  missingPackages,
  parseVersion,
  type DoctorReport,
  type ToolStatus,
} from '../../harness/doctor.js';

const TOOLS = [
  'node', 'npm', 'redis-server', 'redis-cli', 'etcd', 'etcdctl', 'java', 'zookeeper.jar',
  'postgres', 'initdb', 'pg_isready', 'psql', 'docker', 'docker daemon',
];

function tool(r: DoctorReport, name: string): ToolStatus {
  const t = r.tools.find((x) => x.name === name);
  assert.ok(t, `the report lists ${name}`);
  return t;
}

/** This machine must have it: fail naming the tool and its package otherwise. */
function assertPresent(r: DoctorReport, name: string, version: RegExp): void {
  const t = tool(r, name);
  assert.ok(t.present, `${name} is not installed here (apt-get install ${t.install}); the backend tests need it`);
  assert.match(t.version ?? '', version, `${name} version ${t.version}`);
}

describe('doctor', function () {
  this.timeout(30_000);
  let report: DoctorReport;

  before(async () => {
    const { TOXIPROXY_URL: _unset, ...env } = process.env;
    report = await diagnose({ env });
  });

  it('lists every tool of every backend, with Debian packages for the installable ones', () => {
    assert.deepEqual(report.tools.map((t) => t.name).sort(), [...TOOLS].sort());
    assert.deepEqual(report.groups.map((g) => g.group), ['harness', 'redis', 'etcd', 'zookeeper', 'postgres', 'containers']);
    const hints = Object.fromEntries(report.tools.map((t) => [t.name, t.install]));
    assert.equal(hints['redis-server'], 'redis-server');
    assert.equal(hints.etcd, 'etcd-server');
    assert.equal(hints.etcdctl, 'etcd-client');
    assert.equal(hints['zookeeper.jar'], 'zookeeper');
    assert.equal(hints.java, 'default-jre-headless');
    assert.equal(hints.postgres, 'postgresql');
    assert.equal(report.root, process.getuid?.() === 0);
  });

  it('finds the backends installed on this machine, with their own version strings', () => {
    assertPresent(report, 'node', /^\d+\.\d+\.\d+$/);
    assertPresent(report, 'redis-server', /^7\./);
    assertPresent(report, 'redis-cli', /^7\./);
    assertPresent(report, 'etcd', /^3\./);
    assertPresent(report, 'etcdctl', /^3\./);
    assertPresent(report, 'java', /^\d+/);
    assertPresent(report, 'zookeeper.jar', /^3\.8\./);
    assertPresent(report, 'postgres', /^15\./);
    assertPresent(report, 'initdb', /^15\./);
    assertPresent(report, 'pg_isready', /^15\./);
    for (const g of ['redis', 'etcd', 'zookeeper', 'postgres']) {
      assert.equal(report.groups.find((x) => x.group === g)?.usable, true, `${g} usable`);
    }
    // Docker is optional: whatever the daemon says, it never makes a local backend unusable or gets installed.
    assert.equal(tool(report, 'docker daemon').optional, true);
    assert.ok(!missingPackages(report).includes('docker.io'));
  });

  it('reports a tool missing from PATH with its install hint, in the table and the install line', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'faultline-doctor-'));
    try {
      const r = await diagnose({ env: { PATH: empty }, skipDockerDaemon: true });
      const redis = tool(r, 'redis-server');
      assert.equal(redis.present, false);
      assert.equal(r.groups.find((g) => g.group === 'redis')?.usable, false);
      assert.deepEqual(r.groups.find((g) => g.group === 'redis')?.missing, ['redis-server', 'redis-cli']);
      const text = formatDoctorReport(r);
      assert.match(text, /^redis\s+redis-server\s+MISSING\s+redis-server\b/m);
      assert.match(text, /^redis\s+not ready: missing redis-server, redis-cli$/m);
      assert.match(text, /apt-get install -y .*\bredis-server\b.*\betcd-server etcd-client\b/);
      // the healthy machine's report says so
      assert.match(formatDoctorReport(report), /^redis\s+redis-server\s+ok\s+7\./m);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('checks TOXIPROXY_URL when set', async () => {
    const server: Server = createServer((req, res) => res.end(req.url === '/version' ? '2.9.0' : 'no'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await diagnose({ env: { PATH: '', TOXIPROXY_URL: `http://127.0.0.1:${port}` }, skipDockerDaemon: true });
      const t = tool(r, 'toxiproxy');
      assert.equal(t.present, true);
      assert.equal(t.version, '2.9.0');
      const down = await diagnose({ env: { PATH: '', TOXIPROXY_URL: 'http://127.0.0.1:1' }, skipDockerDaemon: true });
      assert.equal(tool(down, 'toxiproxy').present, false);
      assert.match(tool(down, 'toxiproxy').detail ?? '', /does not answer/);
    } finally {
      server.close();
    }
  });

  it('installMissing runs apt-get with argument arrays as root, and quotes the sudo line otherwise', async () => {
    const r = await diagnose({ env: { PATH: '' }, skipDockerDaemon: true });
    const calls: [string, string[]][] = [];
    const installed = await installMissing(r, { isRoot: true, run: async (cmd, args) => void calls.push([cmd, args]) });
    assert.ok(installed.includes('redis-server') && installed.includes('etcd-server') && installed.includes('etcd-client'));
    assert.equal(new Set(installed).size, installed.length, 'no duplicates');
    assert.deepEqual(calls, [
      ['apt-get', ['update']],
      ['apt-get', ['install', '-y', ...installed]],
    ]);
    await assert.rejects(installMissing(r, { isRoot: false, run: async () => assert.fail('must not run') }), /sudo apt-get install -y .*redis-server/);
    // nothing missing: nothing to run, root or not
    const healthy: DoctorReport = { ...report, tools: report.tools.map((t) => ({ ...t, present: true })) };
    assert.deepEqual(await installMissing(healthy, { isRoot: false, run: async () => assert.fail('must not run') }), []);
  });

  it('parses versions the way the tools print them', () => {
    assert.equal(parseVersion('Redis server v=7.0.15 sha=00000000:0'), '7.0.15');
    assert.equal(parseVersion('openjdk version "17.0.15" 2025-04-15'), '17.0.15');
    assert.equal(parseVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), '15.18');
    assert.equal(parseVersion('etcdctl version: 3.4.23\nAPI version: 3.4'), '3.4.23');
    assert.equal(parseVersion('no digits'), undefined);
  });
});

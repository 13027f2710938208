/**
 * Local etcd clusters of 1, 3 or 5 members on loopback ports, with fast raft timers for tests. Health and leader
 * are asked through etcd's own HTTP endpoints (no client library), so a paused member simply does not answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { destroyNodes, once, ProcessNode } from './node.js';
import { freePorts } from './ports.js';
import { requireBinary, type SpawnSpec } from './process.js';
import { ProvisionError, type BackendSpec, type Cluster, type NodeHandle, type ProvisionContext } from './types.js';

/** An HTTP answer: status and parsed JSON body (undefined if not JSON). */
export interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * One HTTP request to 127.0.0.1:`port` on a fresh connection (no keep-alive pool that a paused member could
 * wedge). Rejects on connection errors and after `timeoutMs`.
 */
export function httpJson(port: number, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 1000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`127.0.0.1:${port} ${method} ${path}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}

/** `GET /health` says `{"health":"true"}`: the member has a leader and serves. */
export async function etcdHealthy(clientPort: number, timeoutMs = 1000): Promise<boolean> {
  const { body } = await httpJson(clientPort, 'GET', '/health', undefined, timeoutMs);
  return (body as { health?: unknown } | undefined)?.health === 'true';
}

/** What `POST /v3/maintenance/status` reports (uint64 ids as decimal strings). */
export interface EtcdStatus {
  memberId: string;
  leader: string;
  raftTerm: number;
}

export async function etcdStatus(clientPort: number, timeoutMs = 1000): Promise<EtcdStatus> {
  const { status, body } = await httpJson(clientPort, 'POST', '/v3/maintenance/status', {}, timeoutMs);
  const b = body as { leader?: string; header?: { member_id?: string; raft_term?: string } } | undefined;
  if (status !== 200 || !b?.header?.member_id) throw new Error(`status of 127.0.0.1:${clientPort}: HTTP ${status}`);
  return { memberId: b.header.member_id, leader: b.leader ?? '0', raftTerm: Number(b.header.raft_term ?? 0) };
}

/** Member names by id from `POST /v3/cluster/member/list`. */
export async function etcdMemberNames(clientPort: number, timeoutMs = 1000): Promise<Map<string, string>> {
  const { status, body } = await httpJson(clientPort, 'POST', '/v3/cluster/member/list', {}, timeoutMs);
  const b = body as { members?: { ID?: string; name?: string }[] } | undefined;
  if (status !== 200 || !b?.members) throw new Error(`member list of 127.0.0.1:${clientPort}: HTTP ${status}`);
  const out = new Map<string, string>();
  for (const m of b.members) if (m.ID && m.name) out.set(m.ID, m.name);
  return out;
}

/** Raft timer defaults (etcd's own). */
export const ETCD_DEFAULT_HEARTBEAT_MS = 100;
export const ETCD_DEFAULT_ELECTION_MS = 1000;

/** The etcd arguments for one member. */
export function etcdArgs(o: {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  initialCluster: string;
  token: string;
  heartbeatMs: number;
  electionMs: number;
}): string[] {
  const client = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  return [
    '--name', o.name,
    '--data-dir', o.dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', o.initialCluster,
    // Ignored once the data dir holds a member, so restarts rejoin with the same identity.
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', o.token,
    '--heartbeat-interval', String(o.heartbeatMs),
    '--election-timeout', String(o.electionMs),
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

/** Start an etcd cluster per `spec`; on any failure, whatever already started is torn down. */
export async function startEtcd(spec: BackendSpec, ctx: ProvisionContext): Promise<Cluster> {
  if (spec.kind !== 'etcd') throw new ProvisionError(`startEtcd got a ${spec.kind} spec`);
  const command = requireBinary('etcd', 'etcd-server etcd-client');
  const count = spec.nodes;
  if (count !== 1 && count !== 3 && count !== 5) throw new ProvisionError(`etcd needs 1, 3 or 5 nodes, not ${String(count)}`);
  const heartbeatMs = spec.heartbeatMs ?? ETCD_DEFAULT_HEARTBEAT_MS;
  const electionMs = spec.electionMs ?? ETCD_DEFAULT_ELECTION_MS;
  if (!(heartbeatMs > 0) || !(electionMs >= 5 * heartbeatMs)) {
    throw new ProvisionError(`etcd electionMs (${electionMs}) must be at least 5 x heartbeatMs (${heartbeatMs})`);
  }
  const quorum = Math.floor(count / 2) + 1;
  const ports = await freePorts(2 * count);
  const token = `faultline-${randomBytes(6).toString('hex')}`;
  const members = Array.from({ length: count }, (_, i) => ({
    name: `n${i + 1}`,
    clientPort: ports[2 * i],
    peerPort: ports[2 * i + 1],
  }));
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const nodes: ProcessNode[] = [];
  const teardown = once(() => destroyNodes(nodes));
  try {
    for (const m of members) {
      const dataDir = join(ctx.tmpRoot, `etcd-${m.name}`);
      const logFile = join(ctx.logDir, `etcd-${m.name}.log`);
      const spawnSpec = async (): Promise<SpawnSpec> => {
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        return {
          name: `etcd-${m.name}`,
          command,
          args: etcdArgs({ ...m, dataDir, initialCluster, token, heartbeatMs, electionMs }),
          cwd: dataDir,
          logFile,
        };
      };
      nodes.push(
        new ProcessNode({
          name: m.name,
          endpoint: { host: '127.0.0.1', port: m.clientPort },
          ports: { client: m.clientPort, peer: m.peerPort },
          dataDir,
          logFile,
          registry: ctx.registry,
          readyTimeoutMs: ctx.readyTimeoutMs,
          what: `etcd ${m.name} (client 127.0.0.1:${m.clientPort})`,
          log: ctx.log,
          stopGraceMs: 3000,
          spawnSpec,
          ready: async ({ incarnation }) => {
            // First start, or a restart while a quorum can form: wait for a leader. A restart into a cluster
            // that has lost quorum can only wait for the member to answer at all.
            const othersUp = nodes.filter((n) => n.name !== m.name && n.state() === 'running').length;
            if (incarnation === 1 || othersUp + 1 >= quorum) return etcdHealthy(m.clientPort);
            await httpJson(m.clientPort, 'GET', '/health', undefined, 1000);
            return true;
          },
        }),
      );
    }
    ctx.log(`etcd: starting ${count} member(s), client ports ${members.map((m) => m.clientPort).join(', ')}`);
    // All at once: no member becomes healthy before a quorum is up.
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await teardown().catch((e) => ctx.log(`etcd: teardown after failed start: ${String(e)}`));
    throw err;
  }

  /** Member id -> node, learned from member lists (ids survive restarts: same data dir). */
  const byId = new Map<string, NodeHandle>();
  const leader = async (): Promise<NodeHandle | undefined> => {
    const up = nodes.filter((n) => n.state() === 'running');
    const answers = await Promise.allSettled(up.map((n) => etcdStatus(n.endpoint.port, 1000)));
    let best: EtcdStatus | undefined;
    let via: NodeHandle | undefined;
    answers.forEach((a, i) => {
      if (a.status !== 'fulfilled' || a.value.leader === '0') return;
      if (!best || a.value.raftTerm > best.raftTerm) {
        best = a.value;
        via = up[i];
      }
    });
    if (!best || !via) return undefined;
    if (!byId.has(best.leader)) {
      try {
        const names = await etcdMemberNames(via.endpoint.port, 1000);
        for (const [id, name] of names) {
          const node = nodes.find((n) => n.name === name);
          if (node) byId.set(id, node);
        }
      } catch {
        return undefined;
      }
    }
    return byId.get(best.leader);
  };

  return { kind: 'etcd', spec, nodes, teardown, leader };
}

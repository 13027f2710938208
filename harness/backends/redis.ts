/**
 * Local Redis clusters: one node, N independent nodes (Redlock), or a primary with replicas. Persistence is off
 * unless the spec asks for AOF, so whether a kill loses acknowledged writes is the scenario's choice.
 */
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { destroyNodes, once, ProcessNode } from './node.js';
import { freePorts } from './ports.js';
import { requireBinary, type SpawnSpec } from './process.js';
import { ProvisionError, type BackendSpec, type Cluster, type Endpoint, type ProvisionContext } from './types.js';

type RedisSpec = Extract<BackendSpec, { kind: 'redis' }>;

/** Default node count for `independent` and `replicated`. */
export const DEFAULT_REDIS_NODES = 3;

/** A reply decoded from RESP2: error replies become `RedisReplyError` values, not throws. */
export type RespValue = string | number | null | RespValue[] | RedisReplyError;

/** An `-ERR ...` reply. */
export class RedisReplyError {
  constructor(readonly message: string) {}
}

/**
 * Send one command over a fresh raw socket and return its reply. No retries, no reconnects: readiness probes must
 * see the server as it is. Rejects on connection errors and after `timeoutMs`.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 1000, host = '127.0.0.1'): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`redis ${host}:${port} did not answer ${args[0]} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, value?: RespValue) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value as RespValue);
    };
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`redis ${host}:${port} closed the connection`)));
    sock.on('connect', () => {
      sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const parsed = parseResp(buf, 0);
        if (parsed) finish(undefined, parsed.value);
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

/** Parse one RESP2 value at `pos`; undefined if the buffer does not hold all of it yet. */
function parseResp(buf: Buffer, pos: number): { value: RespValue; end: number } | undefined {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[pos])) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RedisReplyError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('utf8', pos, Math.min(buf.length, pos + 40)))}`);
  }
}

/** PING answers PONG (not `-LOADING`, not a refused connection). */
export async function redisPing(port: number, timeoutMs = 500): Promise<boolean> {
  return (await redisCommand(port, ['PING'], timeoutMs)) === 'PONG';
}

/** `INFO replication` of a node as key/value pairs. */
export async function redisReplicationInfo(port: number, timeoutMs = 500): Promise<Record<string, string>> {
  const reply = await redisCommand(port, ['INFO', 'replication'], timeoutMs);
  if (typeof reply !== 'string') throw new Error(`unexpected INFO reply ${JSON.stringify(reply)}`);
  const out: Record<string, string> = {};
  for (const line of reply.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The redis-server arguments for one node. */
export function redisArgs(opts: { port: number; dataDir: string; persistence?: RedisSpec['persistence']; replicaOf?: Endpoint }): string[] {
  const aof = opts.persistence?.aof === true;
  const args = [
    '--port', String(opts.port),
    '--bind', '127.0.0.1',
    '--dir', opts.dataDir,
    '--save', '',
    '--appendonly', aof ? 'yes' : 'no',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', '',
    '--loglevel', 'notice',
    // Replicas sync at once instead of waiting 5 s for more replicas to join a diskless transfer.
    '--repl-diskless-sync-delay', '0',
  ];
  if (aof) args.push('--appendfsync', opts.persistence?.appendfsync ?? 'everysec');
  if (opts.replicaOf) args.push('--replicaof', opts.replicaOf.host, String(opts.replicaOf.port));
  return args;
}

/** Start a Redis cluster per `spec`; on any failure, whatever already started is torn down. */
export async function startRedis(spec: BackendSpec, ctx: ProvisionContext): Promise<Cluster> {
  if (spec.kind !== 'redis') throw new ProvisionError(`startRedis got a ${spec.kind} spec`);
  const command = requireBinary('redis-server', 'redis-server');
  const count = spec.topology === 'single' ? 1 : spec.nodes ?? DEFAULT_REDIS_NODES;
  if (spec.topology === 'single' && spec.nodes !== undefined && spec.nodes !== 1) {
    throw new ProvisionError(`redis topology 'single' has exactly 1 node, not ${spec.nodes}`);
  }
  if (!Number.isInteger(count) || count < 1) throw new ProvisionError(`redis needs at least 1 node, not ${count}`);
  if (spec.topology === 'replicated' && count < 2) throw new ProvisionError(`redis topology 'replicated' needs at least 2 nodes`);

  const ports = await freePorts(count);
  const nodes: ProcessNode[] = [];
  const teardown = once(() => destroyNodes(nodes));
  try {
    const primaryEndpoint: Endpoint = { host: '127.0.0.1', port: ports[0] };
    for (let i = 0; i < count; i++) {
      const name = `n${i + 1}`;
      const port = ports[i];
      const dataDir = join(ctx.tmpRoot, `redis-${name}`);
      const logFile = join(ctx.logDir, `redis-${name}.log`);
      const isReplica = spec.topology === 'replicated' && i > 0;
      const replicaOf = isReplica
        ? ctx.peerLink ? await ctx.peerLink(name, 'n1', primaryEndpoint) : primaryEndpoint
        : undefined;
      const spawnSpec = async (): Promise<SpawnSpec> => {
        await mkdir(dataDir, { recursive: true });
        return {
          name: `redis-${name}`,
          command,
          args: redisArgs({ port, dataDir, persistence: spec.persistence, replicaOf }),
          cwd: dataDir,
          logFile,
        };
      };
      const node: ProcessNode = new ProcessNode({
        name,
        endpoint: { host: '127.0.0.1', port },
        ports: { client: port },
        dataDir,
        logFile,
        registry: ctx.registry,
        readyTimeoutMs: ctx.readyTimeoutMs,
        what: `redis ${name} (127.0.0.1:${port})`,
        log: ctx.log,
        stopGraceMs: 3000,
        spawnSpec,
        ready: async ({ incarnation }) => {
          if (!(await redisPing(port))) return false;
          if (!isReplica) return true;
          // First start: the replica must be in sync. Restarts: only while the primary is up and the link is
          // direct; a nemesis may restart a replica while the primary is down or the proxied link is cut.
          if (incarnation > 1 && (ctx.peerLink || nodes[0].state() !== 'running')) return true;
          return (await redisReplicationInfo(port)).master_link_status === 'up';
        },
      });
      nodes.push(node);
    }
    ctx.log(`redis: starting ${count} node(s), topology ${spec.topology}, ports ${ports.join(', ')}`);
    // The primary first, so replicas find it; replicas (or independent nodes) in parallel.
    await nodes[0].start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));
  } catch (err) {
    await teardown().catch((e) => ctx.log(`redis: teardown after failed start: ${String(e)}`));
    throw err;
  }
  const cluster: Cluster = {
    kind: 'redis',
    spec,
    nodes,
    teardown,
    ...(spec.topology !== 'independent' ? { primary: () => nodes[0] } : {}),
  };
  return cluster;
}

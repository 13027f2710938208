/**
 * Local ZooKeeper: a standalone server or a 3/5-node ensemble from Debian's jars, each node in its own JVM with
 * a generated `zoo.cfg`, short ticks for quick elections, and readiness read from the `srvr` four-letter word.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { destroyNodes, once, ProcessNode } from './node.js';
import { freePorts } from './ports.js';
import { findOnPath } from './process.js';
import { ProvisionError, type BackendSpec, type Cluster, type Endpoint, type ProvisionContext } from './types.js';

/** Debian's ZooKeeper server jar; its manifest `Class-Path` names the other jars it needs. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** An SLF4J binding and log4j, so the server's log reaches its log file instead of SLF4J's no-op logger. */
const LOGGING_JARS = ['/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

/** Small heap, serial GC, C1 only and class-data sharing: start-up time matters more than throughput here. */
export const ZOOKEEPER_JVM_FLAGS: readonly string[] = [
  '-Xmx128m',
  '-Xms16m',
  '-Xss512k',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Xshare:auto',
  '-XX:-UsePerfData',
  '-Djava.net.preferIPv4Stack=true',
  '-Dzookeeper.jmx.log4j.disable=true',
  // Fail election connections to a dead or paused peer quickly instead of after the default 5 s.
  '-Dzookeeper.cnxTimeout=1000',
];

type ZkSpec = Extract<BackendSpec, { kind: 'zookeeper' }>;

/** What `srvr` says a server is doing; undefined when it is up but not serving (no quorum). */
export type ZkMode = 'standalone' | 'leader' | 'follower' | 'observer';

/** One ensemble member as the config files see it. */
export interface ZkServerEntry {
  id: number;
  host: string;
  quorumPort: number;
  electionPort: number;
}

/** Inputs to `zooCfg`; `servers` with one entry or none means standalone. */
export interface ZooCfgOptions {
  dataDir: string;
  clientPort: number;
  tickMs: number;
  servers?: readonly ZkServerEntry[];
}

/**
 * The `zoo.cfg` text for one node. Limits are in ticks: with the default 200 ms tick a follower notices a silent
 * leader after 2 s (`syncLimit`), and a slow-starting JVM still gets 5 s to sync (`initLimit`).
 */
export function zooCfg(opts: ZooCfgOptions): string {
  const lines = [
    `tickTime=${opts.tickMs}`,
    'initLimit=25',
    'syncLimit=10',
    `dataDir=${opts.dataDir}`,
    'clientPortAddress=127.0.0.1',
    `clientPort=${opts.clientPort}`,
    // Every client of a run comes from 127.0.0.1; the default cap of 60 per address would refuse a busy run.
    'maxClientCnxns=0',
    // Let clients choose sessions up to 60 s (the default cap is 20 ticks = 4 s).
    'maxSessionTimeout=60000',
    'admin.enableServer=false',
    '4lw.commands.whitelist=srvr,stat,ruok,mntr,conf,cons',
    // A killed process keeps the page cache; only power loss, which we never simulate, needs the fsync.
    'forceSync=no',
    'preAllocSize=4096',
    'autopurge.purgeInterval=0',
    'reconfigEnabled=false',
  ];
  const servers = opts.servers ?? [];
  if (servers.length > 1) {
    for (const s of servers) lines.push(`server.${s.id}=${s.host}:${s.quorumPort}:${s.electionPort}`);
  }
  return lines.join('\n') + '\n';
}

/** log4j 1.2 config: everything to the console, which the harness redirects to the node's log file. */
export const LOG4J_PROPERTIES = [
  'log4j.rootLogger=INFO, CONSOLE',
  'log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender',
  'log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n',
  '',
].join('\n');

/** The JVM classpath: the node's conf dir (for log4j.properties), the server jar, and the logging binding. */
export function zookeeperClasspath(confDir: string, jar = ZOOKEEPER_JAR): string {
  return [confDir, jar, ...LOGGING_JARS.filter((j) => existsSync(j))].join(delimiter);
}

/** `java` from JAVA_HOME or PATH; throws ProvisionError naming the package when it or the jar is missing. */
export function requireZookeeperRuntime(jar = ZOOKEEPER_JAR): { java: string; jar: string } {
  const java = (process.env.JAVA_HOME && findOnPath(join(process.env.JAVA_HOME, 'bin', 'java'))) || findOnPath('java');
  const missing = [
    ...(existsSync(jar) ? [] : [`${jar} (Debian package zookeeper)`]),
    ...(java ? [] : ['java (Debian package default-jre-headless)']),
  ];
  if (missing.length > 0 || !java) {
    throw new ProvisionError(
      `cannot start ZooKeeper: missing ${missing.join(' and ')}; install with: apt-get install zookeeper default-jre-headless`,
    );
  }
  return { java, jar };
}

/**
 * Sends a four-letter word and returns the whole reply (the server closes the connection after answering).
 * Rejects on connection errors or when nothing complete arrives within `timeoutMs` (a paused server).
 */
export function fourLetterWord(endpoint: Endpoint, word: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: endpoint.host, port: endpoint.port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${word} to ${endpoint.host}:${endpoint.port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => sock.end(word));
    sock.on('data', (c) => chunks.push(c));
    sock.once('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The `Mode:` line of a `srvr` reply, if any. */
export function parseMode(srvr: string): ZkMode | undefined {
  const m = /^Mode:\s*(standalone|leader|follower|observer)\s*$/m.exec(srvr);
  return m ? (m[1] as ZkMode) : undefined;
}

/** The node's mode per `srvr`, or undefined when it is down, paused, or not serving. Never throws. */
export async function zkMode(endpoint: Endpoint, timeoutMs = 1000): Promise<ZkMode | undefined> {
  try {
    return parseMode(await fourLetterWord(endpoint, 'srvr', timeoutMs));
  } catch {
    return undefined;
  }
}

/** True when the server process answers `ruok` (it does so even without a quorum). */
async function answersRuok(endpoint: Endpoint): Promise<boolean> {
  try {
    return (await fourLetterWord(endpoint, 'ruok', 1000)).startsWith('imok');
  } catch {
    return false;
  }
}

function validate(spec: ZkSpec): { nodes: number; tickMs: number } {
  const nodes = spec.nodes;
  if (![1, 3, 5].includes(nodes)) {
    throw new ProvisionError(`zookeeper: nodes must be 1, 3 or 5 (got ${String(nodes)})`);
  }
  const tickMs = spec.tickMs ?? 200;
  if (!Number.isInteger(tickMs) || tickMs < 10 || tickMs > 60_000) {
    throw new ProvisionError(`zookeeper: tickMs must be an integer between 10 and 60000 (got ${String(tickMs)})`);
  }
  return { nodes, tickMs };
}

/**
 * Starts a standalone server (`nodes: 1`) or an ensemble (3 or 5), all JVMs concurrently, and resolves once
 * every node reports a mode. On any failure everything started so far is killed and removed.
 */
export async function startZookeeper(spec: ZkSpec, ctx: ProvisionContext): Promise<Cluster> {
  const { nodes: count, tickMs } = validate(spec);
  const { java, jar } = requireZookeeperRuntime();
  await mkdir(ctx.tmpRoot, { recursive: true });
  await mkdir(ctx.logDir, { recursive: true });
  const root = await mkdtemp(join(ctx.tmpRoot, 'zookeeper-'));
  const nodes: ProcessNode[] = [];
  const teardown = once(async () => {
    try {
      await destroyNodes(nodes);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  try {
    const ports = await freePorts(count * 3);
    const entries: ZkServerEntry[] = Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      host: '127.0.0.1',
      quorumPort: ports[count + i],
      electionPort: ports[2 * count + i],
    }));
    const endpoints: Endpoint[] = entries.map((_, i) => ({ host: '127.0.0.1', port: ports[i] }));
    const majority = Math.floor(count / 2) + 1;

    for (let i = 0; i < count; i++) {
      const name = `n${i + 1}`;
      const nodeDir = join(root, name);
      const dataDir = join(nodeDir, 'data');
      const confDir = join(nodeDir, 'conf');
      await mkdir(dataDir, { recursive: true });
      await mkdir(confDir, { recursive: true });
      await writeFile(join(dataDir, 'myid'), `${entries[i].id}\n`);
      const servers = count > 1 ? await peerView(ctx, entries, i) : [];
      const cfgPath = join(confDir, 'zoo.cfg');
      await writeFile(cfgPath, zooCfg({ dataDir, clientPort: endpoints[i].port, tickMs, servers }));
      await writeFile(join(confDir, 'log4j.properties'), LOG4J_PROPERTIES);
      const endpoint = endpoints[i];
      const others = endpoints.filter((_, j) => j !== i);
      const node: ProcessNode = new ProcessNode({
        name,
        endpoint,
        ports: count > 1
          ? { client: endpoint.port, quorum: entries[i].quorumPort, election: entries[i].electionPort }
          : { client: endpoint.port },
        dataDir: nodeDir,
        logFile: join(ctx.logDir, `zookeeper-${name}.log`),
        registry: ctx.registry,
        readyTimeoutMs: ctx.readyTimeoutMs ?? (count > 1 ? 60_000 : 30_000),
        readyIntervalMs: 150,
        stopGraceMs: 3000,
        what: `zookeeper ${name} (client port ${endpoint.port})`,
        log: (m) => ctx.log(`zookeeper ${m}`),
        spawnSpec: () => ({
          name: `zookeeper-${name}`,
          command: java,
          args: [...ZOOKEEPER_JVM_FLAGS, '-cp', zookeeperClasspath(confDir, jar), MAIN_CLASS, cfgPath],
          cwd: nodeDir,
          logFile: node.logFile,
        }),
        ready: async ({ incarnation }) => {
          if ((await zkMode(endpoint)) !== undefined) return true;
          if (incarnation === 1 || count === 1) return false;
          // A restart while the ensemble has no quorum (e.g. every node was killed) cannot reach a mode on its
          // own: accept a live server then, so nodes can be brought back one at a time.
          if (!(await answersRuok(endpoint))) return false;
          const serving = (await Promise.all(others.map((e) => zkMode(e, 500)))).filter((m) => m !== undefined);
          return serving.length < majority;
        },
      });
      nodes.push(node);
    }

    const t0 = Date.now();
    const started = await Promise.allSettled(nodes.map((n) => n.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    ctx.log(`zookeeper: ${count === 1 ? 'standalone server' : `${count}-node ensemble`} ready in ${Date.now() - t0} ms`);
  } catch (err) {
    await teardown().catch(() => {});
    throw err;
  }

  return {
    kind: 'zookeeper',
    spec,
    nodes,
    async leader() {
      const live = nodes.filter((n) => n.state() === 'running');
      const modes = await Promise.all(live.map((n) => zkMode(n.endpoint)));
      return live.find((_, i) => modes[i] === 'leader' || modes[i] === 'standalone');
    },
    teardown,
  };
}

/**
 * Node `self`'s `server.N` lines: its own entry is the real address it binds; with a `peerLink`, every other
 * entry is the proxied address this node dials (quorum and election links are routed separately).
 */
async function peerView(ctx: ProvisionContext, entries: ZkServerEntry[], self: number): Promise<ZkServerEntry[]> {
  const link = ctx.peerLink?.bind(ctx);
  if (!link) return entries;
  const from = `n${self + 1}`;
  return Promise.all(
    entries.map(async (e, j) => {
      if (j === self) return e;
      const to = `n${j + 1}`;
      const q = await link(from, to, { host: e.host, port: e.quorumPort });
      const el = await link(from, to, { host: e.host, port: e.electionPort });
      if (q.host !== el.host) {
        throw new ProvisionError(`zookeeper: peerLink gave different hosts for ${from}->${to} quorum and election links`);
      }
      return { id: e.id, host: q.host, quorumPort: q.port, electionPort: el.port };
    }),
  );
}

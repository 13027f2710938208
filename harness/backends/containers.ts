/**
 * The `containers` provisioner: the same backends in Docker containers via `testcontainers` (an optional peer
 * dependency, imported only here), for machines without the packaged binaries. Single-node clusters only, for now.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { once, SerialLifecycle } from './node.js';
import { freePorts } from './ports.js';
import { pgAcceptsConnections } from './postgres.js';
import { waitUntil } from './process.js';
import { dockerAvailable } from './provisioner.js';
import {
  ProvisionError,
  type BackendKind,
  type BackendSpec,
  type Cluster,
  type Endpoint,
  type NodeHandle,
  type NodeState,
  type ProvisionContext,
  type Provisioner,
} from './types.js';
import { zkMode } from './zookeeper.js';

type Testcontainers = typeof import('testcontainers');
type StartedTestContainer = import('testcontainers').StartedTestContainer;
type DockerContainer = ReturnType<import('testcontainers').ContainerRuntimeClient['container']['getById']>;

/** Default image per backend; `FAULTLINE_IMAGE_<KIND>` (e.g. `FAULTLINE_IMAGE_ETCD`) overrides one. */
export const CONTAINER_IMAGES: Readonly<Record<BackendKind, string>> = {
  redis: 'redis:7',
  etcd: 'quay.io/coreos/etcd:v3.4.34',
  zookeeper: 'zookeeper:3.8',
  postgres: 'postgres:15',
};

function imageFor(kind: BackendKind): string {
  return process.env[`FAULTLINE_IMAGE_${kind.toUpperCase()}`] || CONTAINER_IMAGES[kind];
}

/** How one backend runs in a container: image, port, command/env, and the probe that says it serves. */
interface ContainerRecipe {
  kind: BackendKind;
  image: string;
  containerPort: number;
  command?: string[];
  env?: Record<string, string>;
  /** Where the data lives inside the container (NodeHandle.dataDir reports it). */
  dataPath: string;
  ready(endpoint: Endpoint): Promise<boolean>;
}

function unsupported(what: string): never {
  throw new ProvisionError(`${what} is not supported by the containers provisioner yet: use --provisioner local`);
}

/** The recipe for a spec; multi-node topologies throw a ProvisionError pointing at `local`. */
export function containerRecipe(spec: BackendSpec, hostPort: number): ContainerRecipe {
  switch (spec.kind) {
    case 'redis': {
      if (spec.topology !== 'single' || (spec.nodes ?? 1) !== 1) unsupported(`redis topology ${spec.topology}`);
      const p = spec.persistence;
      return {
        kind: 'redis',
        image: imageFor('redis'),
        containerPort: 6379,
        command: [
          'redis-server', '--save', '', '--appendonly', p?.aof ? 'yes' : 'no',
          ...(p?.aof ? ['--appendfsync', p.appendfsync ?? 'everysec'] : []),
        ],
        dataPath: '/data',
        ready: redisPing,
      };
    }
    case 'etcd': {
      if (spec.nodes !== 1) unsupported(`a ${spec.nodes}-node etcd cluster`);
      return {
        kind: 'etcd',
        image: imageFor('etcd'),
        containerPort: 2379,
        command: [
          '/usr/local/bin/etcd', '--name', 'n1', '--data-dir', '/etcd-data',
          '--listen-client-urls', 'http://0.0.0.0:2379',
          '--advertise-client-urls', `http://127.0.0.1:${hostPort}`,
          '--heartbeat-interval', String(spec.heartbeatMs ?? 100),
          '--election-timeout', String(spec.electionMs ?? 1000),
        ],
        dataPath: '/etcd-data',
        ready: etcdHealthy,
      };
    }
    case 'zookeeper': {
      if (spec.nodes !== 1) unsupported(`a ${spec.nodes}-node ZooKeeper ensemble`);
      return {
        kind: 'zookeeper',
        image: imageFor('zookeeper'),
        containerPort: 2181,
        env: {
          ZOO_TICK_TIME: String(spec.tickMs ?? 200),
          ZOO_4LW_COMMANDS_WHITELIST: 'srvr,stat,ruok,mntr',
          ZOO_ADMINSERVER_ENABLED: 'false',
          ZOO_MAX_CLIENT_CNXNS: '0',
          ZOO_CFG_EXTRA: 'maxSessionTimeout=60000',
        },
        dataPath: '/data',
        ready: async (e) => (await zkMode(e)) !== undefined,
      };
    }
    case 'postgres': {
      if ((spec.nodes ?? 1) !== 1) unsupported('a multi-node PostgreSQL cluster');
      return {
        kind: 'postgres',
        image: imageFor('postgres'),
        containerPort: 5432,
        env: { POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_INITDB_ARGS: '--no-sync' },
        command: ['postgres', '-c', 'fsync=off', '-c', 'max_prepared_transactions=64', '-c', 'max_connections=200'],
        dataPath: '/var/lib/postgresql/data',
        ready: (e) => pgAcceptsConnections(e),
      };
    }
    default:
      throw new ProvisionError(`containers provisioner: unknown backend kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/** Redis `PING` over a raw socket. */
function redisPing(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(endpoint.port, endpoint.host);
    let out = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (c) => {
      out += c.toString('utf8');
      if (out.includes('\r\n')) done(out.startsWith('+PONG'));
    });
    sock.once('error', () => done(false));
  });
}

/** etcd's `/health` endpoint says `"health":"true"`. */
function etcdHealthy(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: endpoint.host, port: endpoint.port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function loadTestcontainers(): Promise<Testcontainers> {
  try {
    return await import('testcontainers');
  } catch (err) {
    throw new ProvisionError(
      `containers provisioner: cannot load testcontainers (${(err as Error).message.split('\n')[0]}); install it with: npm i testcontainers`,
    );
  }
}

/** Docker reached over a Unix socket publishes ports on this machine, so we can bind them to loopback only. */
function dockerIsLocal(): boolean {
  const host = process.env.DOCKER_HOST;
  return !host || host.startsWith('unix://');
}

/** A NodeHandle over one container: stop/start/kill/pause map to the Docker API, readiness to our own probe. */
class ContainerNode extends SerialLifecycle implements NodeHandle {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly ports: Readonly<Record<string, number>>;
  readonly dataDir: string;
  readonly logFile: string;
  private current: NodeState = 'running';
  private cachedPid: number | undefined;

  constructor(
    private readonly started: StartedTestContainer,
    private readonly docker: DockerContainer,
    private readonly recipe: ContainerRecipe,
    opts: { name: string; endpoint: Endpoint; logFile: string; readyTimeoutMs: number; log(m: string): void },
  ) {
    super();
    this.name = opts.name;
    this.endpoint = Object.freeze({ ...opts.endpoint });
    this.ports = Object.freeze({ client: opts.endpoint.port });
    this.dataDir = `container:${started.getId().slice(0, 12)}:${recipe.dataPath}`;
    this.logFile = opts.logFile;
    this.readyTimeoutMs = opts.readyTimeoutMs;
    this.log = opts.log;
  }

  private readonly readyTimeoutMs: number;
  private readonly log: (m: string) => void;

  pid(): number | undefined {
    return this.current === 'stopped' ? undefined : this.cachedPid;
  }

  state(): NodeState {
    return this.current;
  }

  async refreshPid(): Promise<void> {
    const info = await this.docker.inspect();
    this.cachedPid = info.State.Running && info.State.Pid > 0 ? info.State.Pid : undefined;
  }

  start(): Promise<void> {
    return this.serial(async () => {
      if (this.current !== 'stopped') return;
      const since = Math.floor(Date.now() / 1000);
      await this.docker.start();
      this.current = 'running';
      await this.refreshPid();
      void this.started.logs({ since }).then((s) => appendStream(s, this.logFile)).catch(() => {});
      await waitUntil(() => this.recipe.ready(this.endpoint), {
        timeoutMs: this.readyTimeoutMs,
        what: `${this.recipe.kind} container ${this.name} (${this.endpoint.host}:${this.endpoint.port})`,
      });
      this.log(`${this.recipe.kind} container ${this.name} ready again`);
    });
  }

  pause(): Promise<void> {
    return this.serial(async () => {
      if (this.current !== 'running') return;
      await this.docker.pause();
      this.current = 'paused';
    });
  }

  resume(): Promise<void> {
    return this.serial(async () => {
      if (this.current !== 'paused') return;
      await this.docker.unpause();
      this.current = 'running';
    });
  }

  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    await this.serial(() => this.halt(opts.hard === true));
    await this.start();
  }

  /** Stops and removes the container (and its anonymous volumes). */
  destroy(): Promise<void> {
    return this.serial(async () => {
      if (this.current === 'paused') await this.docker.unpause().catch(() => {});
      await this.started.stop({ remove: true, removeVolumes: true });
      this.current = 'stopped';
    });
  }

  protected async halt(hard: boolean): Promise<void> {
    if (this.current === 'stopped') return;
    if (this.current === 'paused') await this.docker.unpause();
    if (hard) await this.docker.kill({ signal: 'SIGKILL' });
    else await this.docker.stop({ t: 5 });
    await this.docker.wait().catch(() => {});
    this.current = 'stopped';
    this.cachedPid = undefined;
  }
}

function appendStream(stream: Readable, file: string): void {
  const out = createWriteStream(file, { flags: 'a' });
  stream.on('error', () => out.end());
  stream.pipe(out);
}

async function provision(spec: BackendSpec, ctx: ProvisionContext): Promise<Cluster> {
  const docker = await dockerAvailable({ timeoutMs: 3000 });
  if (!docker.ok) {
    throw new ProvisionError(
      `containers provisioner: no Docker daemon answers (${docker.detail}); use --provisioner local (the default)`,
    );
  }
  const [hostPort] = await freePorts(1);
  const recipe = containerRecipe(spec, hostPort);
  const tc = await loadTestcontainers();
  mkdirSync(ctx.logDir, { recursive: true });
  const name = 'n1';
  const logFile = join(ctx.logDir, `${recipe.kind}-${name}.log`);
  const readyTimeoutMs = ctx.readyTimeoutMs ?? 120_000; // includes an image pull on first use
  const local = dockerIsLocal();
  let endpoint: Endpoint = { host: '127.0.0.1', port: hostPort };

  /** Publishes ports on 127.0.0.1 only when the daemon is on this machine. */
  class LoopbackContainer extends tc.GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      if (!local) return;
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as { HostIp?: string }[][]) {
        for (const b of bindings) b.HostIp = '127.0.0.1';
      }
    }
  }

  let container = new LoopbackContainer(recipe.image)
    .withExposedPorts({ container: recipe.containerPort, host: hostPort })
    .withLabels({ 'faultline.backend': recipe.kind, 'faultline.node': name })
    .withLogConsumer((s) => appendStream(s, logFile))
    .withStartupTimeout(readyTimeoutMs)
    .withWaitStrategy({
      // Our own probe instead of testcontainers' port check, which needs a shell inside the image.
      async waitUntilReady() {
        await waitUntil(() => recipe.ready(endpoint), {
          timeoutMs: readyTimeoutMs,
          what: `${recipe.kind} container (${endpoint.host}:${endpoint.port})`,
        });
      },
      withStartupTimeout() {
        return this;
      },
      isStartupTimeoutSet: () => true,
      getStartupTimeout: () => readyTimeoutMs,
    });
  if (recipe.command) container = container.withCommand(recipe.command);
  if (recipe.env) container = container.withEnvironment(recipe.env);
  if (!local) {
    // A remote daemon publishes on its own host: ask testcontainers which one before waiting on it.
    endpoint = { host: (await tc.getContainerRuntimeClient()).info.containerRuntime.host, port: hostPort };
  }

  ctx.log(`containers: starting ${recipe.image} on ${endpoint.host}:${endpoint.port}`);
  const t0 = Date.now();
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (err) {
    if (err instanceof ProvisionError) throw err;
    throw new ProvisionError(`containers provisioner: ${recipe.image} did not start: ${(err as Error).message}`);
  }
  const client = await tc.getContainerRuntimeClient();
  const node = new ContainerNode(started, client.container.getById(started.getId()), recipe, {
    name,
    endpoint,
    logFile,
    readyTimeoutMs,
    log: ctx.log,
  });
  // No pid registry entries: a container's pid changes on every restart, and testcontainers' reaper (Ryuk)
  // removes containers a dead harness leaves behind.
  await node.refreshPid().catch(() => {});
  ctx.log(`containers: ${recipe.image} ready in ${Date.now() - t0} ms`);
  const serving = async () => (node.state() === 'running' && (await recipe.ready(endpoint)) ? node : undefined);
  return {
    kind: recipe.kind,
    spec,
    nodes: [node],
    teardown: once(() => node.destroy()),
    ...(recipe.kind === 'etcd' || recipe.kind === 'zookeeper' ? { leader: serving } : {}),
    ...(recipe.kind === 'redis' || recipe.kind === 'postgres' ? { primary: () => node } : {}),
  };
}

/** Runs backends in Docker containers; fails at once with a clear message when no Docker daemon answers. */
export const containersProvisioner: Provisioner = { name: 'containers', provision };

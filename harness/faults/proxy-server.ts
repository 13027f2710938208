/**
 * faultline's built-in fault proxy: a TCP proxy speaking Toxiproxy 2.12's HTTP API (see
 * /work/shared/reference/toxiproxy-api.md), because no Toxiproxy binary is available where faultline runs.
 * Plain `node:http` + `node:net`. Differences on purpose: every random choice (jitter, toxicity flips, slicer
 * sizes) comes from a seeded stream; inputs that crash the real server get a 400; an empty listen host binds
 * 127.0.0.1, not every interface; a natural EOF is forwarded as a half-close rather than closing both sides.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, connect, isIP, type Server as NetServer, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import { Rng } from '../seed.js';
import { Chain, type ToxicDef } from './toxics/chain.js';
import { defaultAttributes, isToxicType, TOXIC_KINDS, type Attributes, type Sink, type ToxicType } from './toxics/index.js';

/** What `GET /version` reports: Toxiproxy's API level, marked so a client can tell this proxy from the real one. */
export const PROXY_VERSION = '2.12.0-faultline';

/** Our own per-link byte counters (Toxiproxy's metrics only move when a connection closes). */
export interface LinkStats {
  /** Bytes delivered client -> upstream. */
  bytesUp: number;
  /** Bytes delivered upstream -> client. */
  bytesDown: number;
  /** Connections open now. */
  connections: number;
  /** Connections accepted since the proxy was first created. */
  accepted: number;
}

/** A running proxy server; `close()` releases every port, socket and timer it owns. */
export interface ProxyServer {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Per-proxy counters, by proxy name (kept after a proxy is deleted). */
  stats(): Record<string, LinkStats>;
}

export interface ProxyServerOptions {
  /** API bind host; default 127.0.0.1. */
  host?: string;
  /** API port; 0 (default) = ephemeral. */
  port?: number;
  /** Seed for jitter, toxicity flips and slicer sizes; default 0. */
  seed?: number;
  log?: (line: string) => void;
}

type Dir = 'up' | 'down';

/** A toxic as stored: `stream` is echoed exactly as sent, `dir` is what it means. */
interface ToxicRecord extends ToxicDef {
  stream: string;
  dir: Dir;
}

/** An error with the HTTP status the API answers with. */
class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

interface HostPort {
  host: string;
  port: number;
}

/** Split `host:port` like Go's net.SplitHostPort (+ port parsing); messages follow Go's. */
function splitHostPort(addr: string): HostPort {
  let host: string;
  let portText: string;
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close < 0) throw new Error(`address ${addr}: missing ']' in address`);
    if (addr[close + 1] !== ':') throw new Error(`address ${addr}: missing port in address`);
    host = addr.slice(1, close);
    portText = addr.slice(close + 2);
  } else {
    const colon = addr.lastIndexOf(':');
    if (colon < 0) throw new Error(`address ${addr}: missing port in address`);
    host = addr.slice(0, colon);
    if (host.includes(':')) throw new Error(`address ${addr}: too many colons in address`);
    portText = addr.slice(colon + 1);
  }
  const port = portText === '' ? 0 : /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (Number.isNaN(port)) throw new Error(`lookup tcp/${portText}: unknown port`);
  if (port > 65535) throw new Error(`address ${portText}: invalid port`);
  return { host, port };
}

function formatAddr(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resolve a listen address to the IP it binds; an empty host means 127.0.0.1 here (never every interface). */
async function resolveListen(listen: string): Promise<HostPort> {
  let hp: HostPort;
  try {
    hp = splitHostPort(listen);
  } catch (err) {
    throw new Error(`listen tcp: ${(err as Error).message}`);
  }
  if (hp.host === '') return { host: '127.0.0.1', port: hp.port };
  if (isIP(hp.host)) return hp;
  try {
    const { address } = await lookup(hp.host, { verbatim: false });
    return { host: address, port: hp.port };
  } catch {
    throw new Error(`listen tcp: lookup ${hp.host}: no such host`);
  }
}

const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

function listenOn(server: NetServer, hp: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const text = BIND_ERRORS[err.code ?? ''] ?? err.message;
      reject(new Error(`listen tcp ${formatAddr(hp.host, hp.port)}: bind: ${text}`));
    };
    server.once('error', onError);
    server.listen({ host: hp.host, port: hp.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Connections

function finClose(sock: Socket): void {
  if (sock.destroyed) return;
  sock.end();
  if (sock.writableFinished) {
    sock.destroy();
    return;
  }
  sock.once('finish', () => sock.destroy());
  const t = setTimeout(() => sock.destroy(), 2000);
  t.unref();
  sock.once('close', () => clearTimeout(t));
}

/** A source socket paused for one or more reasons (destination buffer full, stages holding too much). */
class Valve {
  private reasons = 0;
  constructor(private readonly sock: Socket) {}
  set(bit: number, on: boolean): void {
    const before = this.reasons;
    this.reasons = on ? this.reasons | bit : this.reasons & ~bit;
    if (before === 0 && this.reasons !== 0) this.sock.pause();
    else if (before !== 0 && this.reasons === 0) this.sock.resume();
  }
}

const SINK_FULL = 1;
const HELD = 2;

/** One accepted client and its upstream socket, with a toxic chain per direction. */
class Conn {
  private upstream: Socket | undefined;
  private up: Chain | undefined;
  private down: Chain | undefined;
  private ended = { up: false, down: false };
  private done = false;
  private openSockets = 1;
  /** Accepted while a reset_peer toxic was attached: every close becomes an RST (SO_LINGER=0 in Toxiproxy). */
  private readonly linger0: boolean;

  constructor(
    private readonly proxy: ProxyEntry,
    private readonly client: Socket,
    private readonly id: number,
  ) {
    this.linger0 = proxy.toxics.some((t) => t.type === 'reset_peer');
    client.setNoDelay(true);
    client.on('error', () => this.teardown('now'));
    client.once('close', () => this.socketClosed());
    let target: HostPort;
    try {
      target = splitHostPort(proxy.upstream);
    } catch {
      finClose(client);
      return;
    }
    // Accept first, then dial: a refused upstream shows up as a connect followed by EOF, as in Toxiproxy.
    const upstream = connect({ host: target.host || 'localhost', port: target.port, allowHalfOpen: true, noDelay: true, autoSelectFamily: true });
    this.upstream = upstream;
    this.openSockets++;
    upstream.once('close', () => this.socketClosed());
    upstream.once('connect', () => this.wire(upstream));
    upstream.on('error', () => {
      if (this.up === undefined) {
        this.done = true;
        finClose(client);
      } else this.teardown('now');
    });
  }

  private wire(upstream: Socket): void {
    if (this.done) return;
    const { client, proxy } = this;
    const stats = proxy.stats;
    const rngFor = (toxic: string): Rng => proxy.rng.fork(`conn-${this.id}/${toxic}`);
    /** The toxic chain of one direction, writing into `to`; a full `to` or bytes held in the chain pause `from`. */
    const direction = (dir: Dir, from: Socket, to: Socket): Chain => {
      const fromValve = new Valve(from);
      const counter = dir === 'up' ? 'bytesUp' : 'bytesDown';
      const sink: Sink = {
        write: (chunk) => {
          if (this.done) return;
          stats[counter] += chunk.length;
          if (!to.write(chunk)) fromValve.set(SINK_FULL, true);
        },
        end: (kill) => this.directionEnded(dir, kill),
      };
      to.on('drain', () => fromValve.set(SINK_FULL, false));
      return new Chain(sink, rngFor, (on) => fromValve.set(HELD, on));
    };
    const up = direction('up', client, upstream);
    const down = direction('down', upstream, client);
    this.up = up;
    this.down = down;
    for (const t of proxy.toxics) (t.dir === 'up' ? up : down).add(t);
    client.on('data', (chunk: Buffer) => up.write(chunk));
    client.on('end', () => up.end(false));
    upstream.on('data', (chunk: Buffer) => down.write(chunk));
    upstream.on('end', () => down.end(false));
    client.resume();
  }

  chain(dir: Dir): Chain | undefined {
    return dir === 'up' ? this.up : this.down;
  }

  private directionEnded(dir: Dir, kill: boolean): void {
    if (this.done) return;
    if (kill || this.linger0) return this.teardown(this.linger0 ? 'rst' : 'fin');
    if (this.ended[dir]) return;
    this.ended[dir] = true;
    const dest = dir === 'up' ? this.upstream : this.client;
    dest?.end();
    if (this.ended.up && this.ended.down) this.teardown('fin');
  }

  /** Close both sides: `fin` after pending writes, `rst` with a reset, `now` with a FIN but without waiting. */
  teardown(mode: 'fin' | 'rst' | 'now'): void {
    if (this.done && mode !== 'now') return;
    this.done = true;
    this.up?.dispose();
    this.down?.dispose();
    for (const sock of [this.client, this.upstream]) {
      if (sock === undefined || sock.destroyed) continue;
      if (mode === 'rst' && !sock.connecting) sock.resetAndDestroy();
      else if (mode === 'fin') finClose(sock);
      else {
        sock.end();
        sock.destroy();
      }
    }
  }

  private socketClosed(): void {
    // A socket closes cleanly only once both of its directions ended; the other side follows through the chains
    // (an EOF still held by a toxic, e.g. slow_close, must keep its delay). Errors tear down via 'error'.
    if (--this.openSockets > 0) return;
    this.done = true;
    this.up?.dispose();
    this.down?.dispose();
    this.proxy.connectionClosed(this);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Proxies

class ProxyEntry {
  listener: NetServer | undefined;
  readonly conns = new Set<Conn>();
  toxics: ToxicRecord[] = [];
  readonly rng: Rng;
  private accepted = 0;

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    readonly stats: LinkStats,
    seed: number,
    private readonly log: (line: string) => void,
  ) {
    this.rng = new Rng(seed).fork(`proxy/${name}`);
  }

  get enabled(): boolean {
    return this.listener !== undefined;
  }

  async start(): Promise<void> {
    if (this.listener) return;
    const hp = await resolveListen(this.listen);
    const server = createNetServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client));
    await listenOn(server, hp);
    server.on('error', (err) => this.log(`proxy ${this.name}: listener error: ${err.message}`));
    const addr = server.address();
    if (addr && typeof addr === 'object') this.listen = formatAddr(addr.address, addr.port);
    this.listener = server;
    this.log(`proxy ${this.name}: listening on ${this.listen}, upstream ${this.upstream}`);
  }

  /** Close the listener and every connection (FIN); toxics stay attached. */
  stop(mode: 'fin' | 'now' = 'fin'): void {
    if (this.listener) {
      this.listener.close();
      this.listener = undefined;
      this.log(`proxy ${this.name}: stopped`);
    }
    for (const c of [...this.conns]) c.teardown(mode);
  }

  private accept(client: Socket): void {
    if (!this.listener) {
      client.destroy();
      return;
    }
    this.stats.accepted++;
    this.stats.connections++;
    this.conns.add(new Conn(this, client, this.accepted++));
  }

  connectionClosed(conn: Conn): void {
    if (this.conns.delete(conn)) this.stats.connections--;
  }

  findToxic(name: string): ToxicRecord | undefined {
    return this.toxics.find((t) => t.name === name);
  }

  /** Chain order as the API lists it: upstream toxics in the order added, then downstream ones. */
  orderedToxics(): ToxicRecord[] {
    return [...this.toxics.filter((t) => t.dir === 'up'), ...this.toxics.filter((t) => t.dir === 'down')];
  }

  addToxic(t: ToxicRecord): void {
    this.toxics.push(t);
    for (const c of [...this.conns]) c.chain(t.dir)?.add(t);
  }

  updateToxic(t: ToxicRecord): void {
    for (const c of [...this.conns]) c.chain(t.dir)?.update(t);
  }

  removeToxic(t: ToxicRecord): void {
    this.toxics = this.toxics.filter((x) => x !== t);
    for (const c of [...this.conns]) c.chain(t.dir)?.remove(t.name);
  }

  removeAllToxics(): void {
    for (const t of this.orderedToxics()) this.removeToxic(t);
  }

  toJson(): Record<string, unknown> {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.orderedToxics().map(toxicJson),
    };
  }
}

function toxicJson(t: ToxicRecord): Record<string, unknown> {
  return { attributes: { ...t.attributes }, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}

// ---------------------------------------------------------------------------------------------------------------
// Request decoding

function badBody(err: unknown): never {
  if (err instanceof DecodeError) throw new ApiError(400, `bad request body: ${err.message}`);
  throw err;
}

interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean | undefined;
}

function decodeProxy(v: unknown, goType = 'toxiproxy.Proxy'): ProxyInput {
  const o = asObject(v, goType);
  return {
    name: str(field(o, 'name'), 'Proxy.name') ?? '',
    listen: str(field(o, 'listen'), 'Proxy.listen') ?? '',
    upstream: str(field(o, 'upstream'), 'Proxy.upstream') ?? '',
    enabled: bool(field(o, 'enabled'), 'Proxy.enabled'),
  };
}

/** Attribute values of `type` read from `raw` over `base` (create: zeros; PATCH: the current values). */
function decodeAttributes(type: ToxicType, raw: Record<string, unknown> | undefined, base: Attributes): Attributes {
  const kind = TOXIC_KINDS[type];
  const out: Attributes = { ...base };
  if (raw) {
    for (const [name, goType] of kind.attributes) {
      const v = int(field(raw, name), `${kind.goStruct}.attributes.${name}`, goType);
      if (v !== undefined) out[name] = v;
    }
  }
  const refused = kind.refuse?.(out);
  if (refused) throw new ApiError(400, `bad request body: ${refused}`);
  return out;
}

function parseStream(stream: string): Dir {
  const s = stream.toLowerCase();
  if (s === 'upstream') return 'up';
  if (s === 'downstream') return 'down';
  throw new ApiError(400, 'stream was invalid, can be either upstream or downstream');
}

/** A new toxic from a POST body, checked in Toxiproxy's order (decode, stream, name, type, duplicate, attributes). */
function decodeNewToxic(body: unknown, proxy: ProxyEntry): ToxicRecord {
  let o: Record<string, unknown>;
  let name: string | undefined;
  let type: string | undefined;
  let stream: string;
  let toxicity: number;
  let rawAttrs: Record<string, unknown> | undefined;
  try {
    o = asObject(body, 'toxics.ToxicWrapper');
    name = str(field(o, 'name'), 'ToxicWrapper.name');
    type = str(field(o, 'type'), 'ToxicWrapper.type');
    stream = str(field(o, 'stream'), 'ToxicWrapper.stream') ?? 'downstream';
    toxicity = float32(field(o, 'toxicity'), 'ToxicWrapper.toxicity') ?? 1;
    rawAttrs = objectField(field(o, 'attributes'), 'ToxicWrapper.attributes', 'toxics.Toxic');
  } catch (err) {
    badBody(err);
  }
  const dir = parseStream(stream);
  const toxicName = name || `${type ?? ''}_${stream}`;
  if (!isToxicType(type)) throw new ApiError(400, 'invalid toxic type');
  if (proxy.findToxic(toxicName)) throw new ApiError(409, 'toxic already exists');
  let attributes: Attributes;
  try {
    attributes = decodeAttributes(type, rawAttrs, defaultAttributes(type));
  } catch (err) {
    badBody(err);
  }
  return { name: toxicName, type, stream, dir, toxicity, attributes };
}

/** PATCH body for a toxic: attributes merged, toxicity kept when omitted; name/type/stream cannot change. */
function decodeToxicUpdate(body: unknown, t: ToxicRecord): { attributes: Attributes; toxicity: number } {
  try {
    const o = asObject(body, 'struct { Attributes interface {}; Toxicity float32 }');
    const kind = TOXIC_KINDS[t.type];
    const raw = objectField(field(o, 'attributes'), `.attributes`, `toxics.${kind.goStruct}`);
    const toxicity = float32(field(o, 'toxicity'), '.toxicity') ?? t.toxicity;
    return { attributes: decodeAttributes(t.type, raw, t.attributes), toxicity };
  } catch (err) {
    badBody(err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

interface Route {
  methods: Record<string, (params: string[], body: string, req: IncomingMessage) => Promise<Reply> | Reply>;
}

/** A response: JSON (`json`), a Toxiproxy error (`error`), or raw. */
type Reply =
  | { status: number; json: unknown }
  | { status: number; error: string }
  | { status: number; raw: string; contentType?: string; nosniff?: boolean };

let requestCounter = 0;
const requestIdBase = Date.now().toString(32);

/** A 20-character id in the shape of the xid Toxiproxy sends (unique per process, not random). */
function requestId(): string {
  return (requestIdBase + (requestCounter++).toString(32).padStart(10, '0')).slice(-20).padStart(20, '0');
}

const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(400, `bad request body: larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  let body: string;
  if ('json' in reply) {
    body = goJson(reply.json);
    res.setHeader('Content-Type', 'application/json');
  } else if ('error' in reply) {
    // Go's http.Error: JSON text, but labelled text/plain, with nosniff and a trailing newline.
    body = `${goJson({ error: reply.error, status: reply.status })}\n`;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
  } else {
    body = reply.raw;
    if (reply.contentType) res.setHeader('Content-Type', reply.contentType);
    if (reply.nosniff) res.setHeader('X-Content-Type-Options', 'nosniff');
  }
  res.statusCode = reply.status;
  if (reply.status === 204) {
    res.end();
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Start a Toxiproxy-compatible proxy server (API on `host:port`, 127.0.0.1 and an ephemeral port by default). */
export async function startProxyServer(opts: ProxyServerOptions = {}): Promise<ProxyServer> {
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  const log = opts.log ?? ((): void => {});
  const proxies = new Map<string, ProxyEntry>();
  const allStats = new Map<string, LinkStats>();
  let queue: Promise<unknown> = Promise.resolve();

  const statsFor = (name: string): LinkStats => {
    let s = allStats.get(name);
    if (!s) allStats.set(name, (s = { bytesUp: 0, bytesDown: 0, connections: 0, accepted: 0 }));
    return s;
  };
  const newEntry = (input: ProxyInput): ProxyEntry =>
    new ProxyEntry(input.name, input.listen, input.upstream, statsFor(input.name), seed, log);
  const getProxy = (name: string): ProxyEntry => {
    const p = proxies.get(name);
    if (!p) throw new ApiError(404, 'proxy not found');
    return p;
  };
  const getToxic = (p: ProxyEntry, name: string): ToxicRecord => {
    const t = p.findToxic(name);
    if (!t) throw new ApiError(404, 'toxic not found');
    return t;
  };
  const parse = (body: string): unknown => {
    try {
      return parseBody(body);
    } catch (err) {
      badBody(err);
    }
  };
  const startOr500 = async (p: ProxyEntry): Promise<void> => {
    try {
      await p.start();
    } catch (err) {
      throw new ApiError(500, (err as Error).message);
    }
  };

  /** PATCH semantics: a changed resolved listen or upstream restarts the proxy (dropping connections). */
  const updateProxy = async (p: ProxyEntry, input: ProxyInput & { enabled: boolean }): Promise<void> => {
    let resolved: string;
    try {
      const hp = await resolveListen(input.listen);
      resolved = formatAddr(hp.host, hp.port);
    } catch (err) {
      throw new ApiError(500, (err as Error).message.replace(/^listen tcp: /, ''));
    }
    if (p.listen !== resolved || p.upstream !== input.upstream) {
      p.stop();
      p.listen = input.listen;
      p.upstream = input.upstream;
    }
    if (input.enabled && !p.enabled) await startOr500(p);
    else if (!input.enabled && p.enabled) p.stop();
  };

  const populate = async (body: string): Promise<Reply> => {
    const applied: ProxyEntry[] = [];
    const fail = (status: number, error: string): Reply => ({
      status,
      json: { error, status, proxies: applied.length ? applied.map((p) => p.toJson()) : null },
    });
    let inputs: ProxyInput[];
    try {
      const v = parseBody(body);
      if (v !== null && !Array.isArray(v)) {
        throw new DecodeError(`json: cannot unmarshal ${typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v} into Go value of type []toxiproxy.Proxy`);
      }
      inputs = ((v ?? []) as unknown[]).map((x) => decodeProxy(x));
    } catch (err) {
      if (err instanceof DecodeError) return fail(400, `bad request body: ${err.message}`);
      throw err;
    }
    for (const [i, input] of inputs.entries()) {
      if (!input.name) return fail(400, `missing required field: name at proxy ${i + 1}`);
      if (!input.upstream) return fail(400, `missing required field: upstream at proxy ${i + 1}`);
    }
    for (const input of inputs) {
      const existing = proxies.get(input.name);
      if (existing) {
        let resolved: string | undefined;
        try {
          const hp = await resolveListen(input.listen);
          resolved = formatAddr(hp.host, hp.port);
        } catch {
          resolved = undefined;
        }
        if (existing.listen === resolved && existing.upstream === input.upstream) {
          applied.push(existing);
          continue;
        }
        existing.stop();
      }
      const p = newEntry(input);
      if (input.enabled ?? true) {
        try {
          await p.start();
        } catch (err) {
          return fail(500, (err as Error).message);
        }
      }
      proxies.set(p.name, p);
      applied.push(p);
    }
    return { status: 201, json: { proxies: applied.map((p) => p.toJson()) } };
  };

  const routes: [RegExp, Route][] = [
    [/^\/reset$/, { methods: {
      POST: async () => {
        for (const p of proxies.values()) {
          if (!p.enabled) await startOr500(p);
          p.removeAllToxics();
        }
        return { status: 204, raw: '' };
      },
    } }],
    [/^\/version$/, { methods: {
      GET: () => ({ status: 200, raw: `{"version": "${PROXY_VERSION}"}\n`, contentType: 'application/json;charset=utf-8' }),
    } }],
    [/^\/proxies$/, { methods: {
      GET: () => {
        const out: Record<string, unknown> = {};
        for (const name of [...proxies.keys()].sort()) out[name] = proxies.get(name)!.toJson();
        return { status: 200, json: out };
      },
      POST: async (_p, body) => {
        let input: ProxyInput;
        try {
          input = decodeProxy(parse(body));
        } catch (err) {
          badBody(err);
        }
        if (!input.name) throw new ApiError(400, 'missing required field: name');
        if (!input.upstream) throw new ApiError(400, 'missing required field: upstream');
        if (proxies.has(input.name)) throw new ApiError(409, 'proxy already exists');
        const p = newEntry(input);
        if (input.enabled ?? true) await startOr500(p);
        if (proxies.has(input.name)) {
          p.stop('now');
          throw new ApiError(409, 'proxy already exists');
        }
        proxies.set(p.name, p);
        return { status: 201, json: p.toJson() };
      },
    } }],
    [/^\/populate$/, { methods: { POST: (_p, body) => populate(body) } }],
    [/^\/batch$/, { methods: { POST: (_p, body) => batch(parse(body)) } }],
    [/^\/proxies\/([^/]+)$/, { methods: {
      GET: ([name]) => ({ status: 200, json: getProxy(name!).toJson() }),
      PATCH: async ([name], body, req) => {
        const p = getProxy(name!);
        if (req.method === 'POST') log(`proxy ${p.name}: update via POST is deprecated, use PATCH`);
        let input: ProxyInput;
        try {
          const v = parse(body);
          input = decodeProxy(v);
          const o = asObject(v, 'toxiproxy.Proxy');
          if (!has(o, 'listen')) input.listen = p.listen;
          if (!has(o, 'upstream')) input.upstream = p.upstream;
        } catch (err) {
          badBody(err);
        }
        await updateProxy(p, { ...input, enabled: input.enabled ?? p.enabled });
        return { status: 200, json: p.toJson() };
      },
      DELETE: ([name]) => {
        const p = getProxy(name!);
        p.stop();
        proxies.delete(p.name);
        log(`proxy ${p.name}: deleted`);
        return { status: 204, raw: '' };
      },
    } }],
    [/^\/proxies\/([^/]+)\/toxics$/, { methods: {
      GET: ([name]) => ({ status: 200, json: getProxy(name!).orderedToxics().map(toxicJson) }),
      POST: ([name], body) => {
        const p = getProxy(name!);
        const t = decodeNewToxic(parse(body), p);
        p.addToxic(t);
        log(`proxy ${p.name}: added ${t.type} toxic ${t.name} (${t.stream}, toxicity ${t.toxicity}) ${JSON.stringify(t.attributes)}`);
        return { status: 200, json: toxicJson(t) };
      },
    } }],
    [/^\/proxies\/([^/]+)\/toxics\/([^/]+)$/, { methods: {
      GET: ([name, toxic]) => ({ status: 200, json: toxicJson(getToxic(getProxy(name!), toxic!)) }),
      PATCH: ([name, toxic], body, req) => {
        const p = getProxy(name!);
        const t = getToxic(p, toxic!);
        if (req.method === 'POST') log(`proxy ${p.name}: toxic update via POST is deprecated, use PATCH`);
        const u = decodeToxicUpdate(parse(body), t);
        t.attributes = u.attributes;
        t.toxicity = u.toxicity;
        p.updateToxic(t);
        return { status: 200, json: toxicJson(t) };
      },
      DELETE: ([name, toxic]) => {
        const p = getProxy(name!);
        p.removeToxic(getToxic(p, toxic!));
        log(`proxy ${p.name}: removed toxic ${toxic}`);
        return { status: 204, raw: '' };
      },
    } }],
  ];
  // The deprecated POST spelling of the two update routes.
  routes[5]![1].methods.POST = routes[5]![1].methods.PATCH!;
  routes[7]![1].methods.POST = routes[7]![1].methods.PATCH!;

  /**
   * `POST /batch` (faultline only): `{"ops":[...]}` with ops `{op:"add",proxy,toxic:{...}}`,
   * `{op:"update",proxy,toxic:name,attributes?,toxicity?}`, `{op:"remove",proxy,toxic:name}`,
   * `{op:"disable",proxy}`, `{op:"enable",proxy}`. Every op is validated against the state the earlier ops
   * leave before any is applied; toxic edits and disables then apply within one event-loop turn, so live
   * connections never see half a batch. Enables go last (binding is asynchronous); a failed bind is a 500
   * that names the proxy, with everything else applied.
   */
  const batch = async (body: unknown): Promise<Reply> => {
    const o = asObjectOr400(body, 'batch');
    const ops = field(o, 'ops');
    if (!Array.isArray(ops)) throw new ApiError(400, 'bad request body: batch needs "ops": an array of operations');
    // Validation against a shadow of each touched proxy's toxics, so later ops see what earlier ones would do.
    const shadows = new Map<string, Map<string, ToxicRecord>>();
    const look = (name: unknown, i: number): { entry: ProxyEntry; shadow: Map<string, ToxicRecord> } => {
      if (typeof name !== 'string') throw new ApiError(400, `bad request body: ops[${i}].proxy must be a string`);
      const entry = getProxy(name);
      let shadow = shadows.get(name);
      if (!shadow) shadows.set(name, (shadow = new Map(entry.toxics.map((t) => [t.name, { ...t }]))));
      return { entry, shadow };
    };
    const steps: (() => void)[] = [];
    const enables: ProxyEntry[] = [];
    for (const [i, raw] of ops.entries()) {
      const op = asObjectOr400(raw, `ops[${i}]`);
      const kind = field(op, 'op');
      const { entry, shadow } = look(field(op, 'proxy'), i);
      if (kind === 'add') {
        const t = decodeNewToxic(field(op, 'toxic'), { findToxic: (n: string) => shadow.get(n) } as ProxyEntry);
        shadow.set(t.name, { ...t });
        steps.push(() => entry.addToxic(t));
      } else if (kind === 'remove' || kind === 'update') {
        const name = field(op, 'toxic');
        const current = typeof name === 'string' ? shadow.get(name) : undefined;
        if (current === undefined) throw new ApiError(404, 'toxic not found');
        if (kind === 'remove') {
          shadow.delete(current.name);
          steps.push(() => entry.removeToxic(entry.findToxic(current.name)!));
        } else {
          const u = decodeToxicUpdate(op, current);
          current.attributes = u.attributes;
          current.toxicity = u.toxicity;
          steps.push(() => {
            const real = entry.findToxic(current.name)!;
            real.attributes = u.attributes;
            real.toxicity = u.toxicity;
            entry.updateToxic(real);
          });
        }
      } else if (kind === 'disable') {
        steps.push(() => entry.stop());
      } else if (kind === 'enable') {
        enables.push(entry);
      } else {
        throw new ApiError(400, `bad request body: ops[${i}].op must be add, update, remove, enable or disable`);
      }
    }
    for (const step of steps) step();
    for (const entry of enables) {
      try {
        await entry.start();
      } catch (err) {
        throw new ApiError(500, `enable ${entry.name}: ${(err as Error).message}`);
      }
    }
    return { status: 200, json: { proxies: [...shadows.keys()].map((n) => proxies.get(n)!.toJson()) } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('X-Toxiproxy-Request-Id', requestId());
    const path = (req.url ?? '/').split('?')[0]!;
    let match: { route: Route; params: string[] } | undefined;
    for (const [re, route] of routes) {
      const m = re.exec(path);
      if (!m) continue;
      try {
        match = { route, params: m.slice(1).map((s) => decodeURIComponent(s)) };
      } catch {
        match = undefined;
      }
      break;
    }
    if (!match) return send(res, { status: 404, raw: '404 page not found\n', contentType: 'text/plain; charset=utf-8', nosniff: true });
    const handler = match.route.methods[req.method ?? ''];
    if (!handler) return send(res, { status: 405, raw: '' });
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      return send(res, { status: 403, raw: 'User agent not allowed\n', contentType: 'text/plain; charset=utf-8', nosniff: true });
    }
    try {
      const body = await readBody(req);
      // One request at a time: handlers interleave only at awaits (DNS, bind), and none should see another half done.
      const run = queue.then(() => handler(match.params, body, req));
      queue = run.catch(() => undefined);
      send(res, await run);
    } catch (err) {
      if (err instanceof ApiError) return send(res, { status: err.status, error: err.message });
      log(`api: ${req.method} ${path}: ${(err as Error).stack ?? err}`);
      send(res, { status: 500, error: (err as Error).message });
    }
  };

  const http: HttpServer = createHttpServer((req, res) => {
    handle(req, res).catch((err) => {
      log(`api: ${(err as Error).message}`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const addr = http.address();
  const boundPort = addr && typeof addr === 'object' ? addr.port : port;
  const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${boundPort}`;
  log(`fault proxy API on ${url} (seed ${seed})`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    stats: () => Object.fromEntries([...allStats].map(([name, s]) => [name, { ...s }])),
    close: () =>
      (closing ??= (async () => {
        await queue.catch(() => undefined);
        for (const p of proxies.values()) p.stop('now');
        proxies.clear();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })()),
  };
}

function asObjectOr400(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, `bad request body: ${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------------
// Go-compatible JSON decoding: the same `bad request body: ...` messages Toxiproxy's encoding/json produces.

/** A decode failure; `message` is Go's text without the `bad request body: ` prefix. */
class DecodeError extends Error {}

type JsonKind = 'string' | 'number' | 'bool' | 'array' | 'object' | 'null';

function kindOf(v: unknown): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** Parse a body; an empty body is Go's `EOF`, syntax errors become `invalid character ...` / `unexpected EOF`. */
function parseBody(text: string): unknown {
  if (text.trim() === '') throw new DecodeError('EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    if (/end of JSON input|Unterminated/i.test(msg)) throw new DecodeError('unexpected EOF');
    const pos = /position (\d+)/.exec(msg);
    const ch = pos ? text[Number(pos[1])] : /token '?(.)'?/.exec(msg)?.[1];
    throw new DecodeError(ch === undefined ? 'unexpected EOF' : `invalid character '${ch}' looking for beginning of value`);
  }
}

/** The top-level value as an object (`null` decodes to nothing, as in Go); `goType` names the target in errors. */
function asObject(v: unknown, goType: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (kindOf(v) !== 'object') throw new DecodeError(`json: cannot unmarshal ${kindOf(v)} into Go value of type ${goType}`);
  return v as Record<string, unknown>;
}

/** A nested object field (e.g. `attributes`); undefined when absent or null. */
function objectField(v: unknown, path: string, goType: string): Record<string, unknown> | undefined {
  if (v === null || v === undefined) return undefined;
  if (kindOf(v) !== 'object') throw mismatch(v, path, goType);
  return v as Record<string, unknown>;
}

/** Go matches JSON keys to struct fields exactly first, then case-insensitively. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** Whether the body mentions `key` with a non-null value (PATCH keeps omitted fields). */
function has(obj: Record<string, unknown>, key: string): boolean {
  const v = field(obj, key);
  return v !== undefined && v !== null;
}

function mismatch(v: unknown, path: string, goType: string): DecodeError {
  const k = kindOf(v);
  const shown = k === 'number' && (goType.startsWith('int') || goType.startsWith('float')) ? `number ${v}` : k;
  return new DecodeError(`json: cannot unmarshal ${shown} into Go struct field ${path} of type ${goType}`);
}

function str(v: unknown, path: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') throw mismatch(v, path, 'string');
  return v;
}

function bool(v: unknown, path: string): boolean | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'boolean') throw mismatch(v, path, 'bool');
  return v;
}

function float32(v: unknown, path: string): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || Math.abs(v) > 3.4028234663852886e38) throw mismatch(v, path, 'float32');
  return Math.fround(v) === v ? v : Number(Math.fround(v).toPrecision(7));
}

const INT64_MAX = 9223372036854775807;

function int(v: unknown, path: string, goType: 'int64' | 'int'): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > INT64_MAX) throw mismatch(v, path, goType);
  return v;
}

/** `JSON.stringify` with Go's HTML-safe escaping of `<`, `>`, `&`, U+2028 and U+2029. */
function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

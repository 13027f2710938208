/**
 * The harness's Toxiproxy client: `toxiproxy-node-client` where it works, plain `fetch` where it has gaps
 * (reference §8): typed errors carrying the server's message, partial bodies, PATCH, toxic listing and deletion by
 * name, a parsed version, a partial result from a failed populate, URL-encoded names, and a timeout on every call
 * so a wedged server cannot hang a run.
 */
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';

/** `upstream` = client -> server bytes, `downstream` = server -> client bytes. */
export type Stream = 'upstream' | 'downstream';

/** The seven toxics Toxiproxy 2.12 implements. "down" is not one: use `updateProxy(name, { enabled: false })`. */
export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';

/** A toxic as the server reports it (every attribute of the type is present; `stream` echoes what was sent). */
export interface ToxicInfo {
  name: string;
  type: ToxicType;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}

/** A proxy as the server reports it; `listen` is the bound address once enabled. */
export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicInfo[];
}

/** A toxic to add; the server defaults stream to downstream, toxicity to 1 and name to `<type>_<stream>`. */
export interface ToxicSpec {
  type: ToxicType;
  name?: string;
  stream?: Stream;
  toxicity?: number;
  /** Missing attributes default to 0; unknown keys are dropped by the server. */
  attributes: Record<string, number>;
}

/** A proxy to create (or populate); `listen` defaults to an ephemeral port, `enabled` to true. */
export interface ProxySpec {
  name: string;
  upstream: string;
  listen?: string;
  enabled?: boolean;
}

/** One operation of faultline's own `POST /batch` (not in Toxiproxy). */
export type BatchOp =
  | { op: 'add'; proxy: string; toxic: ToxicSpec }
  | { op: 'update'; proxy: string; toxic: string; attributes?: Record<string, number>; toxicity?: number }
  | { op: 'remove'; proxy: string; toxic: string }
  | { op: 'enable' | 'disable'; proxy: string };

/** A failed call: `status` (0 when the server was not reached) and the server's own `error` message. */
export class ProxyApiError extends Error {
  /** For `populate`: the proxies applied before the failure. */
  proxies?: ProxyInfo[];
  constructor(
    readonly status: number,
    readonly error: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path}: ${status ? `${status} ` : ''}${error}`);
    this.name = new.target.name;
  }
}
/** 400: the body was refused. */
export class BadRequest extends ProxyApiError {}
/** 404: no such proxy or toxic (or path). */
export class NotFound extends ProxyApiError {}
/** 409: the proxy or toxic name is taken. */
export class Conflict extends ProxyApiError {}
/** 5xx: e.g. a bind failure, or 503 from a wedged Toxiproxy (restart it and mark the run compromised). */
export class ServerError extends ProxyApiError {}
/** The server did not answer: connection refused, reset, or the timeout passed. */
export class Unreachable extends ProxyApiError {}

function errorFor(status: number, text: string, method: string, path: string): ProxyApiError {
  let message = text.trim() || `HTTP ${status}`;
  let proxies: ProxyInfo[] | undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; proxies?: unknown };
    if (typeof body.error === 'string') message = body.error;
    if (Array.isArray(body.proxies)) proxies = body.proxies.map(normalizeProxy);
    else if ('proxies' in body) proxies = [];
  } catch {
    /* plain text, e.g. "404 page not found" */
  }
  const E = status === 400 ? BadRequest : status === 404 ? NotFound : status === 409 ? Conflict : status >= 500 ? ServerError : ProxyApiError;
  const err = new E(status, message, method, path);
  if (proxies) err.proxies = proxies;
  return err;
}

function normalizeToxic(t: ToxicInfo): ToxicInfo {
  return { name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: { ...t.attributes } };
}

/** Drops unknown keys (Toxiproxy emits a stray `"Logger":{}`). */
function normalizeProxy(p: unknown): ProxyInfo {
  const o = p as ProxyInfo;
  return { name: o.name, listen: o.listen, upstream: o.upstream, enabled: o.enabled, toxics: (o.toxics ?? []).map(normalizeToxic) };
}

const enc = encodeURIComponent;

/** Client for a Toxiproxy-compatible server at `url` (with scheme, e.g. `http://127.0.0.1:8474`). */
export class ProxyApi {
  /** The upstream client, for the calls it expresses correctly. */
  readonly client: Toxiproxy;
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`proxy API URL must be absolute with a scheme, like http://127.0.0.1:8474; got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`proxy API URL must be http(s), got ${url}`);
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 5000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${opts.timeoutMs}`);
    this.client = new Toxiproxy(this.url);
  }

  private async request(method: string, path: string, body?: unknown): Promise<string> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url + path, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new Unreachable(0, `${this.url} unreachable: ${why}`, method, path);
    }
    if (!res.ok) throw errorFor(res.status, text, method, path);
    return text;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.request(method, path, body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ServerError(200, `answer is not JSON: ${text.slice(0, 200)}`, method, path);
    }
  }

  /**
   * Run a call through `toxiproxy-node-client` under our timeout. Its errors drop the server's body, so on one we
   * repeat the call ourselves (only for calls where a failed attempt changed nothing) to get the typed error.
   */
  private async viaClient<T>(method: string, path: string, call: () => Promise<T>, retry: () => Promise<T>): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Unreachable(0, `${this.url} unreachable: no answer within ${this.timeoutMs} ms`, method, path)), this.timeoutMs);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      // Its errors carry neither the server's body nor the network cause: ask again ourselves to learn which.
      if (err instanceof ToxiproxyError) return retry();
      throw err;
    } finally {
      clearTimeout(t);
    }
  }

  /** The server's version string (`2.12.0`, `git`, or `2.12.0-faultline` for faultline's own proxy). */
  async version(): Promise<string> {
    const own = async (): Promise<string> => this.request('GET', '/version');
    const text = await this.viaClient('GET', '/version', () => this.client.getVersion(), own);
    try {
      const v = (JSON.parse(text) as { version?: unknown }).version;
      if (typeof v === 'string') return v;
    } catch {
      /* pre-2.7 servers answered with the bare version */
    }
    return text.trim();
  }

  async listProxies(): Promise<Record<string, ProxyInfo>> {
    const all = await this.json<Record<string, unknown>>('GET', '/proxies');
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, normalizeProxy(v)]));
  }

  async createProxy(spec: ProxySpec): Promise<ProxyInfo> {
    const own = async (): Promise<ProxyInfo> => normalizeProxy(await this.json('POST', '/proxies', spec));
    const viaClient = async (): Promise<ProxyInfo> => {
      const p = await this.client.createProxy(spec as Parameters<Toxiproxy['createProxy']>[0]);
      return { name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled, toxics: [] };
    };
    // A refused create changes nothing, so repeating it to read the error is safe.
    return this.viaClient('POST', '/proxies', viaClient, own);
  }

  async getProxy(name: string): Promise<ProxyInfo> {
    return normalizeProxy(await this.json('GET', `/proxies/${enc(name)}`));
  }

  /** PATCH with only the fields given; a changed listen/upstream restarts the proxy and drops its connections. */
  async updateProxy(name: string, partial: Partial<Omit<ProxySpec, 'name'>>): Promise<ProxyInfo> {
    return normalizeProxy(await this.json('PATCH', `/proxies/${enc(name)}`, partial));
  }

  async deleteProxy(name: string): Promise<void> {
    await this.request('DELETE', `/proxies/${enc(name)}`);
  }

  /**
   * Create or replace proxies in order. Same listen + upstream as an existing proxy leaves it untouched (toxics
   * kept, `enabled` ignored); a differing one is replaced (connections dropped, toxics lost). On failure the
   * thrown error's `proxies` lists what was applied before it.
   */
  async populate(list: ProxySpec[]): Promise<ProxyInfo[]> {
    const body = await this.json<{ proxies: unknown[] | null }>('POST', '/populate', list);
    return (body.proxies ?? []).map(normalizeProxy);
  }

  /** Upstream toxics in chain order, then downstream ones. */
  async listToxics(proxy: string): Promise<ToxicInfo[]> {
    return (await this.json<ToxicInfo[]>('GET', `/proxies/${enc(proxy)}/toxics`)).map(normalizeToxic);
  }

  async addToxic(proxy: string, spec: ToxicSpec): Promise<ToxicInfo> {
    return normalizeToxic(await this.json('POST', `/proxies/${enc(proxy)}/toxics`, spec));
  }

  async getToxic(proxy: string, name: string): Promise<ToxicInfo> {
    return normalizeToxic(await this.json('GET', `/proxies/${enc(proxy)}/toxics/${enc(name)}`));
  }

  /** Attributes are merged (omitted ones keep their values); omitted toxicity is kept. */
  async updateToxic(proxy: string, name: string, partial: { attributes?: Record<string, number>; toxicity?: number }): Promise<ToxicInfo> {
    return normalizeToxic(await this.json('PATCH', `/proxies/${enc(proxy)}/toxics/${enc(name)}`, partial));
  }

  /** Flushes what the toxic holds; removing a `timeout` toxic closes the connections it was attached to. */
  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.request('DELETE', `/proxies/${enc(proxy)}/toxics/${enc(name)}`);
  }

  /** Enable every proxy and remove every toxic (deletes no proxy). */
  async reset(): Promise<void> {
    // Repeating a failed reset only continues it (enabling is idempotent), so the client's call is safe to retry.
    await this.viaClient('POST', '/reset', () => this.client.reset(), async () => void (await this.request('POST', '/reset')));
  }

  /** faultline's proxy only: apply toxic edits and enables/disables in one step (404 on a real Toxiproxy). */
  async batch(ops: BatchOp[]): Promise<ProxyInfo[]> {
    const body = await this.json<{ proxies: unknown[] }>('POST', '/batch', { ops });
    return body.proxies.map(normalizeProxy);
  }
}

/**
 * The Toxiproxy-compatible HTTP API of faultline's proxy server: exact bytes over raw HTTP, then the same
 * behaviour through the raw `toxiproxy-node-client` (where it can express a call) and through our `ProxyApi`
 * wrapper, whose results must agree. With `TOXIPROXY_URL` set, everything that does not crash a real Toxiproxy
 * also runs against that server (conformance check).
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Proxy as ClientProxy, Toxiproxy } from 'toxiproxy-node-client';
import { acquireFaultProxy } from '../../harness/faults/fault-proxy.js';
import { BadRequest, Conflict, NotFound, ProxyApi, ProxyApiError, ServerError, Unreachable, type ProxyInfo, type ToxicInfo } from '../../harness/faults/proxy-api.js';
import { PROXY_VERSION, startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';

/** A server under test: ours (started here) or an external Toxiproxy. */
interface Target {
  label: string;
  url: () => string;
  ours: boolean;
}

let ours: ProxyServer | undefined;
let upstream: Server;
let upstreamAddr = '';
/** A port some other listener holds, for bind-conflict cases. */
let busy: Server;
let busyPort = 0;

const transcriptsByTarget: Record<string, Record<string, Record<string, unknown[]>>> = {};
const targets: Target[] = [{ label: 'faultline proxy', url: () => ours!.url, ours: true }];
if (process.env.TOXIPROXY_URL) targets.push({ label: `TOXIPROXY_URL=${process.env.TOXIPROXY_URL}`, url: () => process.env.TOXIPROXY_URL!, ours: false });

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

before(async function () {
  upstream = createServer((s) => s.pipe(s));
  upstreamAddr = `127.0.0.1:${await listen(upstream)}`;
  busy = createServer();
  busyPort = await listen(busy);
  ours = await startProxyServer({ seed: 1 });
});

after(async function () {
  await ours?.close();
  upstream.close();
  busy.close();
});

async function http(url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Delete every proxy whose name starts with `prefix` (raw HTTP, so it works on any server). */
async function cleanup(url: string, prefix: string): Promise<void> {
  const all = JSON.parse((await http(url, 'GET', '/proxies')).text) as Record<string, unknown>;
  for (const name of Object.keys(all)) if (name.startsWith(prefix)) await http(url, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
}

for (const target of targets) {
  describe(`proxy API over raw HTTP (${target.label})`, function () {
    const P = 'ft-raw-';
    let url = '';
    const post = (path: string, body: unknown) => http(url, 'POST', path, typeof body === 'string' ? body : JSON.stringify(body));
    before(() => void (url = target.url()));
    afterEach(() => cleanup(url, P));

    it('answers unknown paths 404 "404 page not found", wrong methods 405 with an empty body, /metrics 404', async function () {
      const nf = await http(url, 'GET', '/nope');
      assert.equal(nf.status, 404);
      assert.equal(nf.text, '404 page not found\n');
      assert.equal((await http(url, 'GET', '/proxies/')).status, 404);
      assert.equal((await http(url, 'GET', '/metrics')).status, 404);
      for (const [m, p] of [['DELETE', '/proxies'], ['GET', '/reset'], ['PUT', '/proxies/x'], ['POST', '/version']] as const) {
        const r = await http(url, m, p);
        assert.equal(r.status, 405, `${m} ${p}`);
        assert.equal(r.text, '', `${m} ${p}`);
      }
    });

    it('refuses browser user agents with 403 "User agent not allowed"', async function () {
      const r = await http(url, 'GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11)' });
      assert.equal(r.status, 403);
      assert.equal(r.text, 'User agent not allowed\n');
      assert.equal((await http(url, 'GET', '/proxies', undefined, { 'User-Agent': 'curl/8' })).status, 200);
    });

    it('sends a distinct X-Toxiproxy-Request-Id on every response', async function () {
      const ids = [];
      for (const [m, p] of [['GET', '/proxies'], ['GET', '/proxies/none'], ['GET', '/version'], ['POST', '/proxies']] as const) {
        const id = (await http(url, m, p)).headers.get('x-toxiproxy-request-id');
        assert.ok(id && id.length >= 16, `${m} ${p}: ${id}`);
        ids.push(id);
      }
      assert.equal(new Set(ids).size, ids.length);
    });

    it('GET /version: {"version": "..."} plus a newline, application/json;charset=utf-8', async function () {
      const r = await http(url, 'GET', '/version');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/json;charset=utf-8');
      assert.match(r.text, /^\{"version": "[^"]+"\}\n$/);
      if (target.ours) assert.equal(JSON.parse(r.text).version, PROXY_VERSION);
    });

    it('writes errors as JSON {error,status} + newline, labelled text/plain with nosniff', async function () {
      const r = await http(url, 'GET', '/proxies/none');
      assert.equal(r.status, 404);
      assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.text, '{"error":"proxy not found","status":404}\n');
    });

    it('POST /proxies: 201 with the bound listen address; duplicate 409; missing fields 400; bad JSON 400', async function () {
      const r = await post('/proxies', { name: `${P}a`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('content-type'), 'application/json');
      const body = JSON.parse(r.text);
      assert.equal(body.name, `${P}a`);
      assert.match(body.listen, /^127\.0\.0\.1:[1-9]\d*$/);
      assert.equal(body.upstream, upstreamAddr);
      assert.equal(body.enabled, true);
      assert.deepEqual(body.toxics, []);
      const dup = await post('/proxies', { name: `${P}a`, upstream: upstreamAddr });
      assert.deepEqual([dup.status, JSON.parse(dup.text)], [409, { error: 'proxy already exists', status: 409 }]);
      const noUp = await post('/proxies', { name: `${P}b` });
      assert.deepEqual(JSON.parse(noUp.text), { error: 'missing required field: upstream', status: 400 });
      const noName = await post('/proxies', { upstream: upstreamAddr });
      assert.deepEqual(JSON.parse(noName.text), { error: 'missing required field: name', status: 400 });
      const empty = await post('/proxies', '');
      assert.deepEqual(JSON.parse(empty.text), { error: 'bad request body: EOF', status: 400 });
      const junk = await post('/proxies', '{"name": x}');
      assert.equal(junk.status, 400);
      assert.match(JSON.parse(junk.text).error, /^bad request body: invalid character/);
      const wrongType = await post('/proxies', { name: 5, upstream: upstreamAddr });
      assert.match(JSON.parse(wrongType.text).error, /^bad request body: json: cannot unmarshal number into Go struct field Proxy\.name of type string$/);
    });

    it('POST /proxies/{p}/toxics answers 200 (not 201); DELETE answers 204 with an empty body; deprecated POST updates work', async function () {
      await post('/proxies', { name: `${P}t`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
      const add = await post(`/proxies/${P}t/toxics`, { type: 'latency', attributes: { latency: 5, bogus: 1 } });
      assert.equal(add.status, 200);
      assert.deepEqual(JSON.parse(add.text), { attributes: { latency: 5, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
      const upd = await post(`/proxies/${P}t/toxics/latency_downstream`, { attributes: { jitter: 2 }, toxicity: 0.5 });
      assert.equal(upd.status, 200);
      assert.deepEqual(JSON.parse(upd.text).attributes, { latency: 5, jitter: 2 });
      assert.equal(JSON.parse(upd.text).toxicity, 0.5);
      const dis = await post(`/proxies/${P}t`, { enabled: false });
      assert.equal(JSON.parse(dis.text).enabled, false);
      const del = await http(url, 'DELETE', `/proxies/${P}t/toxics/latency_downstream`);
      assert.deepEqual([del.status, del.text], [204, '']);
      const delP = await http(url, 'DELETE', `/proxies/${P}t`);
      assert.deepEqual([delP.status, delP.text], [204, '']);
    });

    it('validates attribute types like Go: fractional and string values are 400 decode errors; ranges are not checked', async function () {
      await post('/proxies', { name: `${P}v`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
      const frac = await post(`/proxies/${P}v/toxics`, { type: 'latency', attributes: { latency: 1.5 } });
      assert.equal(frac.status, 400);
      assert.match(JSON.parse(frac.text).error, /^bad request body: json: cannot unmarshal number 1\.5 into Go struct field LatencyToxic\.attributes\.latency of type int64$/);
      const s = await post(`/proxies/${P}v/toxics`, { type: 'latency', attributes: { latency: '10' } });
      assert.match(JSON.parse(s.text).error, /cannot unmarshal string into Go struct field LatencyToxic\.attributes\.latency of type int64/);
      const tox = await post(`/proxies/${P}v/toxics`, { type: 'latency', toxicity: 'x' });
      assert.equal(tox.status, 400);
      const odd = await post(`/proxies/${P}v/toxics`, { type: 'latency', toxicity: 7, attributes: { latency: -5 } });
      assert.equal(odd.status, 200);
      assert.deepEqual([JSON.parse(odd.text).toxicity, JSON.parse(odd.text).attributes.latency], [7, -5]);
    });

    it('/populate errors keep the populate shape: {"error","status","proxies"} as application/json', async function () {
      const missing = await post('/populate', [{ name: `${P}p1`, upstream: upstreamAddr }, { name: `${P}p2` }]);
      assert.equal(missing.status, 400);
      assert.equal(missing.headers.get('content-type'), 'application/json');
      assert.deepEqual(JSON.parse(missing.text), { error: 'missing required field: upstream at proxy 2', status: 400, proxies: null });
      assert.equal((await http(url, 'GET', `/proxies/${P}p1`)).status, 404, 'validation is all-or-nothing');
      const partial = await post('/populate', [
        { name: `${P}p1`, upstream: upstreamAddr, listen: '127.0.0.1:0' },
        { name: `${P}p2`, upstream: upstreamAddr, listen: `127.0.0.1:${busyPort}` },
      ]);
      assert.equal(partial.status, 500);
      const body = JSON.parse(partial.text);
      assert.equal(body.error, `listen tcp 127.0.0.1:${busyPort}: bind: address already in use`);
      assert.deepEqual(body.proxies.map((p: ProxyInfo) => p.name), [`${P}p1`]);
      const ok = await post('/populate', [{ name: `${P}p3`, upstream: upstreamAddr, listen: '127.0.0.1:0' }]);
      assert.equal(ok.status, 201);
      assert.deepEqual(Object.keys(JSON.parse(ok.text)), ['proxies']);
    });

    it('POST /reset answers 204 with an empty body', async function () {
      const r = await http(url, 'POST', '/reset');
      assert.deepEqual([r.status, r.text], [204, '']);
    });

    if (target.ours) {
      it('refuses inputs that crash a real Toxiproxy with 400, naming the attribute and the rule', async function () {
        await post('/proxies', { name: `${P}c`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        const cases: [string, Record<string, number>, RegExp][] = [
          ['bandwidth', { rate: -1 }, /rate must be >= 0/],
          ['slicer', { average_size: 0 }, /average_size must be >= 1/],
          ['slicer', { average_size: 10, size_variation: 10 }, /size_variation must be < average_size/],
          ['slicer', { average_size: 10, size_variation: -1 }, /size_variation must be >= 0/],
        ];
        for (const [type, attributes, re] of cases) {
          const r = await post(`/proxies/${P}c/toxics`, { type, attributes });
          assert.equal(r.status, 400, JSON.stringify(attributes));
          const body = JSON.parse(r.text);
          assert.equal(body.status, 400);
          assert.match(body.error, re);
        }
        // The same rules on PATCH, and nothing was added.
        await post(`/proxies/${P}c/toxics`, { type: 'bandwidth', attributes: { rate: 10 } });
        const patch = await http(url, 'PATCH', `/proxies/${P}c/toxics/bandwidth_downstream`, JSON.stringify({ attributes: { rate: -3 } }));
        assert.equal(patch.status, 400);
        const list = JSON.parse((await http(url, 'GET', `/proxies/${P}c/toxics`)).text) as ToxicInfo[];
        assert.deepEqual(list.map((t) => [t.name, t.attributes.rate]), [['bandwidth_downstream', 10]]);
      });

      it('POST /batch applies toxic edits and disables together, or nothing when one op is invalid', async function () {
        await post('/proxies', { name: `${P}b1`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await post('/proxies', { name: `${P}b2`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        const bad = await post('/batch', { ops: [
          { op: 'add', proxy: `${P}b1`, toxic: { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } } },
          { op: 'remove', proxy: `${P}b2`, toxic: 'nope' },
        ] });
        assert.equal(bad.status, 404);
        assert.deepEqual(JSON.parse((await http(url, 'GET', `/proxies/${P}b1/toxics`)).text), [], 'nothing applied');
        const ok = await post('/batch', { ops: [
          { op: 'add', proxy: `${P}b1`, toxic: { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } } },
          { op: 'add', proxy: `${P}b1`, toxic: { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } } },
          { op: 'update', proxy: `${P}b1`, toxic: 'timeout_upstream', attributes: { timeout: 5 } },
          { op: 'disable', proxy: `${P}b2` },
        ] });
        assert.equal(ok.status, 200, ok.text);
        const [b1, b2] = JSON.parse(ok.text).proxies as ProxyInfo[];
        assert.deepEqual(b1!.toxics.map((t) => [t.name, t.attributes.timeout]), [['timeout_upstream', 5], ['timeout_downstream', 0]]);
        assert.equal(b2!.enabled, false);
      });
    }
  });

  // -------------------------------------------------------------------------------------------------------------
  // The same behaviour through both clients.

  /** The calls a case makes; `undefined` where the raw client cannot express one. */
  interface Driver {
    createProxy(s: { name: string; upstream?: string; listen?: string; enabled?: boolean }): Promise<Partial<ProxyInfo>>;
    getProxy(name: string): Promise<Partial<ProxyInfo>>;
    listProxies(): Promise<Record<string, Partial<ProxyInfo>>>;
    /** The raw client can only send the full body (listen, upstream and enabled). */
    updateProxy(name: string, full: { listen: string; upstream: string; enabled: boolean }): Promise<Partial<ProxyInfo>>;
    deleteProxy(name: string): Promise<void>;
    addToxic(proxy: string, spec: Record<string, unknown>): Promise<ToxicInfo>;
    getToxic(proxy: string, name: string): Promise<ToxicInfo>;
    updateToxic(proxy: string, name: string, body: { attributes?: Record<string, number>; toxicity?: number }): Promise<ToxicInfo>;
    removeToxic(proxy: string, name: string): Promise<void>;
    listToxics?(proxy: string): Promise<ToxicInfo[]>;
    populate(list: { name: string; upstream: string; listen?: string; enabled?: boolean }[]): Promise<Partial<ProxyInfo>[]>;
    reset(): Promise<void>;
    version(): Promise<string>;
  }

  const plain = (p: { toJson(): object }): Partial<ProxyInfo> => {
    const { name, listen, upstream, enabled } = p.toJson() as ProxyInfo;
    return { name, listen, upstream, enabled };
  };

  function clientDriver(url: string): Driver {
    const tp = new Toxiproxy(url);
    const loose = <T>(x: unknown): T => x as T;
    return {
      createProxy: async (s) => plain(await tp.createProxy(loose(s))),
      getProxy: async (n) => plain(await tp.get(n)),
      listProxies: async () => Object.fromEntries(Object.entries(await tp.getAll()).map(([k, v]) => [k, plain(v)])),
      updateProxy: async (n, full) => plain(await (await tp.get(n)).update(full)),
      deleteProxy: async (n) => new ClientProxy(tp, loose({ name: n })).remove(),
      addToxic: async (p, spec) => (await new ClientProxy(tp, loose({ name: p })).addToxic(loose(spec))).toJson() as ToxicInfo,
      getToxic: async (p, n) => (await new ClientProxy(tp, loose({ name: p })).getToxic(n)).toJson() as ToxicInfo,
      updateToxic: async (p, n, body) => {
        const t = await new ClientProxy(tp, loose({ name: p })).getToxic(n);
        return (await t.update(loose(body))).toJson() as ToxicInfo;
      },
      removeToxic: async (p, n) => (await new ClientProxy(tp, loose({ name: p })).getToxic(n)).remove(),
      populate: async (list) => Object.values(await tp.populate(loose(list))).map(plain),
      reset: () => tp.reset(),
      version: async () => JSON.parse(await tp.getVersion()).version,
    };
  }

  function wrapperDriver(url: string): Driver {
    const api = new ProxyApi(url, { timeoutMs: 5000 });
    return {
      createProxy: (s) => api.createProxy(s as Parameters<ProxyApi['createProxy']>[0]),
      getProxy: (n) => api.getProxy(n),
      listProxies: () => api.listProxies(),
      updateProxy: (n, full) => api.updateProxy(n, full),
      deleteProxy: (n) => api.deleteProxy(n),
      addToxic: (p, spec) => api.addToxic(p, spec as unknown as Parameters<ProxyApi['addToxic']>[1]),
      getToxic: (p, n) => api.getToxic(p, n),
      updateToxic: (p, n, body) => api.updateToxic(p, n, body),
      removeToxic: (p, n) => api.removeToxic(p, n),
      listToxics: (p) => api.listToxics(p),
      populate: (list) => api.populate(list),
      reset: () => api.reset(),
      version: () => api.version(),
    };
  }

  /** An outcome both clients can express: the value, or the HTTP status of the failure. */
  type Outcome = { ok: unknown } | { status: number };

  async function outcome<T>(p: Promise<T>): Promise<Outcome & { err?: unknown }> {
    try {
      return { ok: await p };
    } catch (err) {
      if (err instanceof ProxyApiError) return { status: err.status, err };
      const m = /status code (\d+)/.exec((err as Error).message);
      if (m) return { status: Number(m[1]), err };
      throw err;
    }
  }

  /** Per driver: case -> normalised results (ports and name prefixes removed), compared at the end. */
  const transcripts: Record<string, Record<string, unknown[]>> = {};
  transcriptsByTarget[target.label] = transcripts;

  for (const kind of ['toxiproxy-node-client', 'ProxyApi'] as const) {
    describe(`proxy API via ${kind} (${target.label})`, function () {
      const P = kind === 'ProxyApi' ? 'ft-api-' : 'ft-cli-';
      let d: Driver;
      let url = '';
      let log: unknown[] = [];
      const record = (v: unknown): void => {
        log.push(JSON.parse(JSON.stringify(v ?? null, (k, x) => (k === 'err' ? undefined : x)).replaceAll(P, 'P-').replace(/127\.0\.0\.1:\d+/g, 'ADDR')));
      };
      const expectStatus = async (p: Promise<unknown>, status: number, message?: string): Promise<void> => {
        const o = await outcome(p);
        record(o);
        assert.ok('status' in o, `expected HTTP ${status}, got ${JSON.stringify(o)}`);
        assert.equal(o.status, status);
        if (kind === 'ProxyApi' && message !== undefined) assert.equal((o.err as ProxyApiError).error, message);
      };
      before(function () {
        url = target.url();
        d = kind === 'ProxyApi' ? wrapperDriver(url) : clientDriver(url);
        transcripts[kind] ??= {};
      });
      beforeEach(function () {
        log = [];
      });
      afterEach(async function () {
        transcripts[kind]![this.currentTest!.title] = log;
        await cleanup(url, P);
      });

      it('creates a proxy (listen rewritten to the bound port), gets, lists, rejects a duplicate with 409', async function () {
        const p = await d.createProxy({ name: `${P}a`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        record(p);
        assert.equal(p.name, `${P}a`);
        assert.match(p.listen!, /^127\.0\.0\.1:[1-9]\d*$/);
        assert.equal(p.enabled, true);
        const got = await d.getProxy(`${P}a`);
        assert.deepEqual({ ...got, toxics: undefined }, { ...p, toxics: undefined });
        assert.ok(`${P}a` in (await d.listProxies()));
        await expectStatus(d.createProxy({ name: `${P}a`, upstream: upstreamAddr }), 409, 'proxy already exists');
        await expectStatus(d.createProxy({ name: `${P}b` }), 400, 'missing required field: upstream');
        await expectStatus(d.getProxy(`${P}none`), 404, 'proxy not found');
      });

      it('keeps the listen string of a proxy created disabled; a bind conflict is a 500 and creates nothing', async function () {
        const p = await d.createProxy({ name: `${P}off`, upstream: upstreamAddr, listen: 'localhost:0', enabled: false });
        record(p);
        assert.deepEqual([p.enabled, p.listen], [false, 'localhost:0']);
        await expectStatus(d.createProxy({ name: `${P}busy`, upstream: upstreamAddr, listen: `127.0.0.1:${busyPort}` }), 500, `listen tcp 127.0.0.1:${busyPort}: bind: address already in use`);
        await expectStatus(d.getProxy(`${P}busy`), 404);
      });

      it('updates a proxy: disable keeps the address, enable rebinds it; delete then 404', async function () {
        const p = await d.createProxy({ name: `${P}u`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        const off = await d.updateProxy(`${P}u`, { listen: p.listen!, upstream: upstreamAddr, enabled: false });
        record(off);
        assert.deepEqual([off.enabled, off.listen], [false, p.listen]);
        const on = await d.updateProxy(`${P}u`, { listen: p.listen!, upstream: upstreamAddr, enabled: true });
        assert.deepEqual([on.enabled, on.listen], [true, p.listen]);
        await d.deleteProxy(`${P}u`);
        await expectStatus(d.getProxy(`${P}u`), 404);
        await expectStatus(d.deleteProxy(`${P}u`), 404, 'proxy not found');
      });

      it('adds toxics with defaults (name <type>_<stream>, downstream, toxicity 1, every attribute present), keeps stream case', async function () {
        await d.createProxy({ name: `${P}t`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        const t = await d.addToxic(`${P}t`, { type: 'latency', attributes: { latency: 10 } });
        record(t);
        assert.deepEqual(t, { attributes: { latency: 10, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
        const up = await d.addToxic(`${P}t`, { type: 'slicer', stream: 'UPSTREAM', toxicity: 0, attributes: { average_size: 4 } });
        record(up);
        assert.deepEqual([up.name, up.stream, up.toxicity, up.attributes], ['slicer_UPSTREAM', 'UPSTREAM', 0, { average_size: 4, size_variation: 0, delay: 0 }]);
        for (const type of ['bandwidth', 'slow_close', 'timeout', 'reset_peer', 'limit_data']) {
          const x = await d.addToxic(`${P}t`, { type, stream: 'upstream', name: `x_${type}`, attributes: {} });
          assert.ok(Object.values(x.attributes).every((v) => v === 0) && Object.keys(x.attributes).length > 0, type);
        }
        assert.deepEqual(await d.getToxic(`${P}t`, 'latency_downstream'), t);
        if (d.listToxics) {
          const names = (await d.listToxics(`${P}t`)).map((x) => x.name);
          assert.deepEqual(names, ['slicer_UPSTREAM', 'x_bandwidth', 'x_slow_close', 'x_timeout', 'x_reset_peer', 'x_limit_data', 'latency_downstream']);
        }
      });

      it('rejects duplicate toxic names across streams (409), "down" and unknown types, bad streams (400)', async function () {
        await d.createProxy({ name: `${P}d`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await d.addToxic(`${P}d`, { type: 'latency', name: 'same', stream: 'upstream', attributes: {} });
        await expectStatus(d.addToxic(`${P}d`, { type: 'timeout', name: 'same', stream: 'downstream', attributes: {} }), 409, 'toxic already exists');
        await expectStatus(d.addToxic(`${P}d`, { type: 'down', attributes: {} }), 400, 'invalid toxic type');
        await expectStatus(d.addToxic(`${P}d`, { type: 'latency', stream: 'sideways', attributes: {} }), 400, 'stream was invalid, can be either upstream or downstream');
        await expectStatus(d.addToxic(`${P}none`, { type: 'latency', attributes: {} }), 404, 'proxy not found');
        await expectStatus(d.addToxic(`${P}d`, { type: 'latency', name: 'f', attributes: { latency: 2.5 } }), 400);
      });

      it('merges attributes on update and keeps toxicity when omitted; name/type/stream cannot change', async function () {
        await d.createProxy({ name: `${P}m`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await d.addToxic(`${P}m`, { type: 'latency', toxicity: 0.5, attributes: { latency: 100, jitter: 10 } });
        const u = await d.updateToxic(`${P}m`, 'latency_downstream', { attributes: { latency: 50 } });
        record(u);
        assert.deepEqual([u.attributes, u.toxicity], [{ latency: 50, jitter: 10 }, 0.5]);
        const v = await d.updateToxic(`${P}m`, 'latency_downstream', { toxicity: 1, name: 'renamed', type: 'timeout', stream: 'upstream' } as never);
        assert.deepEqual([v.name, v.type, v.stream, v.toxicity, v.attributes], ['latency_downstream', 'latency', 'downstream', 1, { latency: 50, jitter: 10 }]);
        await d.removeToxic(`${P}m`, 'latency_downstream');
        await expectStatus(d.getToxic(`${P}m`, 'latency_downstream'), 404, 'toxic not found');
      });

      it('populates: identical entries untouched (toxics kept, enabled ignored), differing ones replaced, partial failure keeps earlier entries', async function () {
        const a = await d.createProxy({ name: `${P}pa`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await d.addToxic(`${P}pa`, { type: 'latency', attributes: { latency: 1 } });
        await d.createProxy({ name: `${P}pb`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await d.addToxic(`${P}pb`, { type: 'latency', attributes: { latency: 1 } });
        const out = await d.populate([
          { name: `${P}pa`, upstream: upstreamAddr, listen: a.listen, enabled: false },
          { name: `${P}pb`, upstream: '127.0.0.1:1', listen: '127.0.0.1:0' },
          { name: `${P}pc`, upstream: upstreamAddr, listen: '127.0.0.1:0' },
        ]);
        record(out);
        assert.deepEqual(out.map((p) => p.name).sort(), [`${P}pa`, `${P}pb`, `${P}pc`]);
        assert.equal((await d.getProxy(`${P}pa`)).enabled, true);
        await d.getToxic(`${P}pa`, 'latency_downstream');
        await expectStatus(d.getToxic(`${P}pb`, 'latency_downstream'), 404);
        assert.equal((await d.getProxy(`${P}pb`)).upstream, '127.0.0.1:1');
        const failed = await outcome(d.populate([
          { name: `${P}pd`, upstream: upstreamAddr, listen: '127.0.0.1:0' },
          { name: `${P}pe`, upstream: upstreamAddr, listen: `127.0.0.1:${busyPort}` },
        ]));
        record(failed);
        assert.ok('status' in failed && failed.status === 500);
        if (kind === 'ProxyApi') assert.deepEqual((failed.err as ProxyApiError).proxies!.map((p) => p.name), [`${P}pd`]);
        assert.equal((await d.getProxy(`${P}pd`)).enabled, true);
        await expectStatus(d.getProxy(`${P}pe`), 404);
        await expectStatus(d.populate([{ name: '', upstream: upstreamAddr }]), 400, 'missing required field: name at proxy 1');
      });

      it('reset enables every proxy and removes every toxic, deleting none', async function () {
        const p = await d.createProxy({ name: `${P}r`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
        await d.addToxic(`${P}r`, { type: 'latency', attributes: { latency: 1 } });
        await d.updateProxy(`${P}r`, { listen: p.listen!, upstream: upstreamAddr, enabled: false });
        await d.reset();
        const after = await d.getProxy(`${P}r`);
        assert.deepEqual([after.enabled, after.listen], [true, p.listen]);
        await expectStatus(d.getToxic(`${P}r`, 'latency_downstream'), 404);
      });

      it('reports the server version', async function () {
        const v = await d.version();
        if (target.ours) assert.equal(v, PROXY_VERSION);
        else assert.ok(v.length > 0);
      });
    });
  }

  describe(`both clients agree (${target.label})`, function () {
    it('the raw toxiproxy-node-client and ProxyApi saw the same statuses and values for every shared case', function () {
      const a = transcripts['toxiproxy-node-client'] ?? {};
      const b = transcripts.ProxyApi ?? {};
      const shared = Object.keys(a).filter((k) => k in b);
      assert.ok(shared.length >= 8, `only ${shared.length} shared cases`);
      // The raw client drops `toxics` from proxies; everything else must match.
      const strip = (xs: unknown[]) => JSON.parse(JSON.stringify(xs, (key, v) => (key === 'toxics' ? undefined : v)));
      for (const k of shared) assert.deepEqual(strip(a[k]!), strip(b[k]!), k);
    });
  });

  describe(`ProxyApi extras (${target.label})`, function () {
    const P = 'ft-x-';
    let api: ProxyApi;
    before(() => void (api = new ProxyApi(target.url())));
    afterEach(() => cleanup(target.url(), P));

    it('throws typed errors carrying status and the server message', async function () {
      await assert.rejects(api.getProxy(`${P}none`), (e: unknown) => e instanceof NotFound && e.status === 404 && e.error === 'proxy not found');
      await api.createProxy({ name: `${P}a`, upstream: upstreamAddr, listen: '127.0.0.1:0' });
      await assert.rejects(api.createProxy({ name: `${P}a`, upstream: upstreamAddr }), (e: unknown) => e instanceof Conflict && e.status === 409);
      await assert.rejects(api.addToxic(`${P}a`, { type: 'nope' as never, attributes: {} }), (e: unknown) => e instanceof BadRequest && e.error === 'invalid toxic type');
      await assert.rejects(api.createProxy({ name: `${P}b`, upstream: upstreamAddr, listen: `127.0.0.1:${busyPort}` }), (e: unknown) => e instanceof ServerError && e.status === 500);
    });

    it('sends partial PATCH bodies, URL-encodes names, removes toxics by name', async function () {
      const name = `${P}a b?c#ü`;
      const p = await api.createProxy({ name, upstream: upstreamAddr, listen: '127.0.0.1:0' });
      assert.equal((await api.getProxy(name)).name, name);
      const off = await api.updateProxy(name, { enabled: false });
      assert.deepEqual([off.enabled, off.listen, off.upstream], [false, p.listen, upstreamAddr]);
      await api.addToxic(name, { type: 'timeout', name: 't/1', attributes: { timeout: 0 } });
      assert.deepEqual((await api.listToxics(name)).map((t) => t.name), ['t/1']);
      await api.removeToxic(name, 't/1');
      assert.deepEqual(await api.listToxics(name), []);
    });

    it('reports an unreachable server or a timeout as Unreachable', async function () {
      const dead = new ProxyApi(`http://127.0.0.1:${busyPort}`, { timeoutMs: 300 });
      const t0 = performance.now();
      // `busy` accepts but never answers HTTP: the timeout must fire.
      await assert.rejects(dead.listProxies(), (e: unknown) => e instanceof Unreachable && e.status === 0 && /300 ms/.test(e.error));
      assert.ok(performance.now() - t0 < 3000);
      const closed = createServer();
      const port = await listen(closed);
      await new Promise((r) => closed.close(r));
      await assert.rejects(new ProxyApi(`http://127.0.0.1:${port}`).version(), (e: unknown) => e instanceof Unreachable && /ECONNREFUSED/.test(e.error));
      assert.throws(() => new ProxyApi('127.0.0.1:8474'), /scheme/);
    });
  });
}

describe('acquireFaultProxy', function () {
  it('starts its own server when no external URL is given, and close() frees the port', async function () {
    const fp = await acquireFaultProxy({ seed: 3, externalUrl: '' });
    assert.equal(fp.external, false);
    assert.equal(await fp.api.version(), PROXY_VERSION);
    await fp.close();
    await fp.close();
    await assert.rejects(fp.api.version(), (e: unknown) => e instanceof Unreachable);
  });

  it('uses an external server, deleting only the proxies it created', async function () {
    const fp = await acquireFaultProxy({ seed: 3, externalUrl: ours!.url });
    assert.equal(fp.external, true);
    const other = new ProxyApi(ours!.url);
    await other.createProxy({ name: 'ft-ext-keep', upstream: upstreamAddr, listen: '127.0.0.1:0' });
    await fp.api.createProxy({ name: 'ft-ext-mine', upstream: upstreamAddr, listen: '127.0.0.1:0' });
    await fp.api.populate([{ name: 'ft-ext-pop', upstream: upstreamAddr, listen: '127.0.0.1:0' }]);
    await fp.close();
    const left = Object.keys(await other.listProxies()).filter((n) => n.startsWith('ft-ext-'));
    assert.deepEqual(left, ['ft-ext-keep']);
    await other.deleteProxy('ft-ext-keep');
  });

  it('names the URL when the external server does not answer', async function () {
    await assert.rejects(acquireFaultProxy({ seed: 1, externalUrl: 'http://127.0.0.1:1' }), /TOXIPROXY_URL=http:\/\/127\.0\.0\.1:1 does not answer GET \/version/);
  });
});

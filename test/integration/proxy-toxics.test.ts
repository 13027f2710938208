/**
 * The fault proxy's data path with real sockets: every toxic against a TCP echo upstream, live edits on open
 * connections, enable/disable/delete, seeded jitter, and a leak-free close().
 */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ProxyApi } from '../../harness/faults/proxy-api.js';
import { startProxyServer, type ProxyServer } from '../../harness/faults/proxy-server.js';
import { Rng } from '../../harness/seed.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A client socket that records what it receives and how it ended. */
class Peer {
  readonly sock: Socket;
  data = Buffer.alloc(0);
  chunks = 0;
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  endedAt = 0;
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.sock = connect({ port, host: '127.0.0.1', noDelay: true });
    this.sock.on('data', (c: Buffer) => {
      this.data = Buffer.concat([this.data, c]);
      this.chunks++;
      this.poke();
    });
    this.sock.on('end', () => {
      this.ended = true;
      this.endedAt = performance.now();
      this.poke();
    });
    this.sock.on('error', (e) => {
      this.error = e;
      this.poke();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.poke();
    });
  }

  static async open(port: number): Promise<Peer> {
    const p = new Peer(port);
    await p.until(() => p.sock.readyState === 'open' || p.error !== undefined || p.closed);
    if (p.error) throw p.error;
    return p;
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Wait until `cond` holds (checked on every socket event), failing after `ms`. */
  async until(cond: () => boolean, ms = 3000): Promise<void> {
    const deadline = performance.now() + ms;
    while (!cond()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms (received ${this.data.length} bytes, ended ${this.ended}, error ${this.error?.code})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Send `msg` and wait for `expect` more bytes; returns the round-trip time in ms. */
  async roundTrip(msg: string, expect = msg.length): Promise<number> {
    const want = this.data.length + expect;
    const t0 = performance.now();
    this.sock.write(msg);
    await this.until(() => this.data.length >= want);
    return performance.now() - t0;
  }

  destroy(): void {
    this.sock.destroy();
  }
}

describe('fault proxy toxics (real sockets, TCP echo upstream)', function () {
  let echo: Server;
  let echoAddr = '';
  let srv: ProxyServer;
  let api: ProxyApi;
  let n = 0;
  const peers: Peer[] = [];

  /** A fresh proxy in front of the echo server; returns its name and listen port. */
  async function proxy(upstream = echoAddr): Promise<{ name: string; port: number }> {
    const name = `t${n++}`;
    const p = await api.createProxy({ name, upstream, listen: '127.0.0.1:0' });
    return { name, port: Number(p.listen.split(':').pop()) };
  }
  async function peer(port: number): Promise<Peer> {
    const p = await Peer.open(port);
    peers.push(p);
    return p;
  }

  before(async function () {
    echo = createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    echoAddr = `127.0.0.1:${await listen(echo)}`;
    srv = await startProxyServer({ seed: 42 });
    api = new ProxyApi(srv.url);
  });
  afterEach(function () {
    for (const p of peers.splice(0)) p.destroy();
  });
  after(async function () {
    await srv.close();
    echo.close();
  });

  it('passes bytes straight through with no toxics and counts them per link', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    assert.ok((await c.roundTrip('hello')) < 50);
    assert.equal(c.data.toString(), 'hello');
    await sleep(5);
    assert.deepEqual({ ...srv.stats()[name], accepted: undefined }, { bytesUp: 5, bytesDown: 5, connections: 1, accepted: undefined });
  });

  it('latency delays a live connection at once; removal delivers held bytes immediately', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    const base = await c.roundTrip('a');
    assert.ok(base < 50, `baseline rtt ${base} ms should be well under the 60 ms toxic`);
    await api.addToxic(name, { type: 'latency', attributes: { latency: 60 } });
    const rtt = await c.roundTrip('b');
    assert.ok(rtt >= 58 && rtt < 200, `rtt ${rtt}`);
    await api.updateToxic(name, 'latency_downstream', { attributes: { latency: 5000 } });
    const t0 = performance.now();
    c.sock.write('held');
    await sleep(60);
    assert.equal(c.data.toString(), 'ab', 'still held');
    await api.removeToxic(name, 'latency_downstream');
    await c.until(() => c.data.toString() === 'abheld');
    assert.ok(performance.now() - t0 < 1000);
  });

  it('latency in both directions adds up and keeps chunk order', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'latency', stream: 'upstream', attributes: { latency: 30 } });
    await api.addToxic(name, { type: 'latency', attributes: { latency: 30 } });
    const c = await peer(port);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) c.sock.write(String.fromCharCode(65 + i));
    await c.until(() => c.data.length === 20);
    const took = performance.now() - t0;
    assert.equal(c.data.toString(), 'ABCDEFGHIJKLMNOPQRST');
    assert.ok(took >= 58 && took < 250, `took ${took}`);
  });

  it('jitter stays within [latency - jitter, latency + jitter) and replays the same delays for the same seed', async function () {
    const expected = (seed: number) => {
      const rng = new Rng(seed).fork('proxy/jit').fork('conn-0/latency_downstream');
      return Array.from({ length: 6 }, () => 40 + rng.int(-30, 29));
    };
    const measure = async (seed: number): Promise<number[]> => {
      const s = await startProxyServer({ seed });
      try {
        const a = new ProxyApi(s.url);
        const p = await a.createProxy({ name: 'jit', upstream: echoAddr, listen: '127.0.0.1:0' });
        await a.addToxic('jit', { type: 'latency', attributes: { latency: 40, jitter: 30 } });
        const c = await peer(Number(p.listen.split(':').pop()));
        const out = [];
        for (let i = 0; i < 6; i++) out.push(await c.roundTrip('x'));
        return out;
      } finally {
        await s.close();
      }
    };
    for (const seed of [5, 6]) {
      const want = expected(seed);
      const got = await measure(seed);
      for (const [i, ms] of got.entries()) {
        assert.ok(ms >= 10 - 1 && ms < 70 + 25, `sample ${i}: ${ms} ms outside the jitter bounds`);
        assert.ok(Math.abs(ms - want[i]!) < 12, `seed ${seed} sample ${i}: ${ms.toFixed(1)} ms, the seed says ${want[i]}`);
      }
    }
    assert.notDeepEqual(expected(5), expected(6));
  });

  it('bandwidth limits throughput; rate 0 stalls and the backlog arrives in order on removal', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'bandwidth', attributes: { rate: 50 } }); // 50 bytes/ms
    const c = await peer(port);
    const t0 = performance.now();
    c.sock.write(Buffer.alloc(10_000, 'x'));
    await c.until(() => c.data.length === 10_000);
    const took = performance.now() - t0;
    assert.ok(took >= 150 && took < 1500, `10 kB at 50 KB/s took ${took} ms`);

    await api.updateToxic(name, 'bandwidth_downstream', { attributes: { rate: 0 } });
    const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    c.sock.write(payload.subarray(0, 1000));
    c.sock.write(payload.subarray(1000));
    await sleep(150);
    assert.equal(c.data.length, 10_000, 'stalled: nothing forwarded');
    assert.ok(!c.ended);
    await api.removeToxic(name, 'bandwidth_downstream');
    await c.until(() => c.data.length === 13_000);
    assert.deepEqual(c.data.subarray(10_000), payload);
  });

  it('slow_close delays the EOF but not the data', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'slow_close', attributes: { delay: 150 } });
    const c = await peer(port);
    const rtt = await c.roundTrip('data');
    assert.ok(rtt < 50);
    const t0 = performance.now();
    c.sock.end();
    await c.until(() => c.ended);
    assert.ok(c.endedAt - t0 >= 140, `EOF after ${c.endedAt - t0} ms`);
  });

  it('timeout drops data and closes after the idle timeout; each chunk restarts the clock', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 120 } });
    const c = await peer(port);
    const t0 = performance.now();
    c.sock.write('dropped');
    await sleep(80);
    c.sock.write('dropped too');
    await c.until(() => c.ended || c.closed);
    const took = performance.now() - t0;
    assert.equal(c.data.length, 0);
    assert.ok(took >= 190 && took < 1000, `closed after ${took} ms`);
  });

  it('timeout 0 black-holes without closing; removing it closes the connection', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    await api.addToxic(name, { type: 'timeout', attributes: { timeout: 0 } });
    c.sock.write('into the void');
    await sleep(150);
    assert.equal(c.data.length, 0);
    assert.ok(!c.ended && !c.closed);
    await api.removeToxic(name, 'timeout_downstream');
    await c.until(() => c.ended || c.closed);
    assert.equal(c.data.length, 0);
  });

  it('reset_peer resets connections accepted while it was attached (ECONNRESET); older ones get a FIN', async function () {
    const { name, port } = await proxy();
    const old = await peer(port);
    await api.addToxic(name, { type: 'reset_peer', attributes: { timeout: 20 } });
    const fresh = await peer(port);
    fresh.sock.write('boom');
    old.sock.write('boom');
    await fresh.until(() => fresh.closed);
    await old.until(() => old.closed);
    assert.equal(fresh.error?.code, 'ECONNRESET');
    assert.equal(fresh.data.length, 0, 'the triggering data is dropped');
    assert.equal(old.error, undefined);
    assert.ok(old.ended);
  });

  it('slicer splits a chunk into pieces of the average size, delay microseconds apart', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'slicer', attributes: { average_size: 10, size_variation: 0, delay: 15_000 } });
    const c = await peer(port);
    const msg = 'abcdefghij'.repeat(8);
    const rtt = await c.roundTrip(msg);
    assert.equal(c.data.toString(), msg);
    assert.ok(rtt >= 7 * 15 - 5, `80 bytes in 8 pieces 15 ms apart took ${rtt} ms`);
    assert.ok(c.chunks >= 4, `${c.chunks} reads`);
  });

  it('slicer with size variation keeps every byte in order', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'slicer', attributes: { average_size: 7, size_variation: 5, delay: 0 } });
    const c = await peer(port);
    const msg = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 256));
    c.sock.write(msg);
    await c.until(() => c.data.length === 5000);
    assert.deepEqual(c.data, msg);
  });

  it('limit_data lets exactly N bytes through, then EOF', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'limit_data', attributes: { bytes: 5 } });
    const c = await peer(port);
    c.sock.write('0123456789');
    await c.until(() => c.ended || c.closed);
    assert.equal(c.data.toString(), '01234');
    assert.equal(c.error, undefined);
  });

  it('enabled=false closes live connections and refuses new ones; enabling rebinds the same port', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    await c.roundTrip('hi');
    const off = await api.updateProxy(name, { enabled: false });
    assert.equal(off.enabled, false);
    await c.until(() => c.closed);
    assert.ok(c.ended, 'closed with a FIN');
    await assert.rejects(Peer.open(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    const on = await api.updateProxy(name, { enabled: true });
    assert.equal(on.listen, `127.0.0.1:${port}`);
    const again = await peer(port);
    assert.ok((await again.roundTrip('back')) < 50);
  });

  it('toxicity 0 never fires and toxicity 1 always does, per connection', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'latency', toxicity: 0, attributes: { latency: 300 } });
    for (let i = 0; i < 5; i++) assert.ok((await (await peer(port)).roundTrip('q')) < 100);
    await api.updateToxic(name, 'latency_downstream', { toxicity: 1, attributes: { latency: 40 } });
    for (let i = 0; i < 3; i++) assert.ok((await (await peer(port)).roundTrip('q')) >= 38);
  });

  it('toxicity 0.5 picks connections by the seeded stream, one sticky flip per (connection, toxic)', async function () {
    const { name, port } = await proxy();
    await api.addToxic(name, { type: 'latency', toxicity: 0.5, attributes: { latency: 40 } });
    const predicted = Array.from({ length: 10 }, (_, i) => new Rng(42).fork(`proxy/${name}`).fork(`conn-${i}/latency_downstream`).chance(0.5));
    assert.ok(predicted.includes(true) && predicted.includes(false), 'the seed should give a mix');
    for (const [i, slow] of predicted.entries()) {
      const c = await peer(port);
      await c.until(() => srv.stats()[name]!.accepted === i + 1);
      for (let k = 0; k < 2; k++) {
        const rtt = await c.roundTrip('z');
        assert.equal(rtt >= 38, slow, `connection ${i}, round trip ${k}: ${rtt.toFixed(1)} ms, predicted ${slow ? 'slow' : 'fast'}`);
      }
    }
  });

  it('DELETE proxy closes its connections and frees the port', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    await c.roundTrip('x');
    await api.deleteProxy(name);
    await c.until(() => c.closed);
    await assert.rejects(Peer.open(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });

  it('accepts before dialling: a refused upstream gives a connect followed by EOF', async function () {
    const dead = createServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    const { port } = await proxy(`127.0.0.1:${deadPort}`);
    const c = await peer(port);
    await c.until(() => c.ended || c.closed);
    assert.equal(c.error, undefined);
    assert.equal(c.data.length, 0);
  });

  it('PATCH with an equivalent listen keeps connections; a changed upstream restarts the proxy and drops them', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    await c.roundTrip('1');
    await api.updateProxy(name, { listen: `localhost:${port}` });
    await sleep(30);
    assert.ok(!c.closed);
    assert.ok((await c.roundTrip('2')) < 50);
    await api.updateProxy(name, { upstream: `localhost:${echoAddr.split(':')[1]}` });
    await c.until(() => c.closed);
    const again = await peer(port);
    assert.ok((await again.roundTrip('3')) < 50);
  });

  it('reset() removes toxics from live connections (flushing held bytes) and re-enables proxies', async function () {
    const { name, port } = await proxy();
    const c = await peer(port);
    await api.addToxic(name, { type: 'bandwidth', attributes: { rate: 0 } });
    c.sock.write('waiting');
    await sleep(50);
    assert.equal(c.data.length, 0);
    const other = await proxy();
    await api.updateProxy(other.name, { enabled: false });
    await api.reset();
    await c.until(() => c.data.toString() === 'waiting');
    assert.equal((await api.getProxy(other.name)).enabled, true);
  });

  it('close() leaves no listening port and no open connection', async function () {
    const s = await startProxyServer({ seed: 1 });
    const a = new ProxyApi(s.url);
    const p = await a.createProxy({ name: 'c', upstream: echoAddr, listen: '127.0.0.1:0' });
    const port = Number(p.listen.split(':').pop());
    await a.addToxic('c', { type: 'latency', attributes: { latency: 10_000 } });
    const c = await peer(port);
    c.sock.write('pending');
    await sleep(20);
    await s.close();
    await s.close();
    await c.until(() => c.closed);
    await assert.rejects(Peer.open(port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    await assert.rejects(Peer.open(s.port), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
});

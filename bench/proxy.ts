/**
 * Fault proxy benchmark: what the no-toxic fast path adds to a request/response round trip, and bulk throughput,
 * each through the proxy and directly against a local TCP server. Prints one JSON document on stdout.
 *
 *   node --import tsx bench/proxy.ts [--samples 5000] [--mb 256]
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { ProxyApi } from '../harness/faults/proxy-api.js';
import { startProxyServer } from '../harness/faults/proxy-server.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} expects a positive number`);
  return v;
}

const SAMPLES = arg('samples', 5000);
const WARMUP = Math.min(2000, SAMPLES);
const BULK_MB = arg('mb', 256);
const MSG = Buffer.alloc(64, 'p');

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Round-trip times in µs for `n` sequential 64-byte ping-pongs on one connection. */
async function pingPong(port: number, n: number): Promise<number[]> {
  const sock = await open(port);
  const out: number[] = [];
  await new Promise<void>((resolve) => {
    let got = 0;
    let t0 = 0n;
    const send = (): void => {
      got = 0;
      t0 = process.hrtime.bigint();
      sock.write(MSG);
    };
    sock.on('data', (c: Buffer) => {
      got += c.length;
      if (got < MSG.length) return;
      out.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (out.length === n) resolve();
      else send();
    });
    send();
  });
  sock.destroy();
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** MB/s for sending `mb` MiB one way to a counting sink. */
async function bulk(port: number, sinkDone: () => Promise<number>, mb: number): Promise<number> {
  const sock = await open(port);
  const chunk = Buffer.alloc(64 * 1024, 'b');
  const total = mb * 1024 * 1024;
  const t0 = performance.now();
  const done = sinkDone();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
      resolve();
    };
    pump();
  });
  const received = await done;
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  if (received !== total) throw new Error(`sink received ${received} of ${total} bytes`);
  return Math.round((received / 1e6 / secs) * 10) / 10;
}

async function main(): Promise<void> {
  const echo = createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => {});
    s.pipe(s);
  });
  const echoPort = await listen(echo);
  let onSinkEnd: ((n: number) => void) | undefined;
  const sink = createServer((s) => {
    let n = 0;
    s.on('data', (c: Buffer) => void (n += c.length));
    s.on('end', () => {
      onSinkEnd?.(n);
      s.end();
    });
    s.on('error', () => {});
  });
  const sinkPort = await listen(sink);
  const sinkDone = (): Promise<number> => new Promise((r) => (onSinkEnd = r));

  const server = await startProxyServer({ seed: 1 });
  const api = new ProxyApi(server.url);
  const viaEcho = await api.createProxy({ name: 'echo', upstream: `127.0.0.1:${echoPort}`, listen: '127.0.0.1:0' });
  const viaSink = await api.createProxy({ name: 'sink', upstream: `127.0.0.1:${sinkPort}`, listen: '127.0.0.1:0' });
  const proxyEchoPort = Number(viaEcho.listen.split(':').pop());
  const proxySinkPort = Number(viaSink.listen.split(':').pop());

  // Warm up both paths (JIT, socket buffers), then measure alternating halves so drift hits both equally.
  await pingPong(echoPort, WARMUP);
  await pingPong(proxyEchoPort, WARMUP);
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < 2; i++) {
    direct.push(...(await pingPong(echoPort, SAMPLES / 2)));
    proxied.push(...(await pingPong(proxyEchoPort, SAMPLES / 2)));
  }
  const r = (x: number): number => Math.round(x * 10) / 10;
  await bulk(sinkPort, sinkDone, Math.min(32, BULK_MB));
  const directMBs = await bulk(sinkPort, sinkDone, BULK_MB);
  await bulk(proxySinkPort, sinkDone, Math.min(32, BULK_MB));
  const proxyMBs = await bulk(proxySinkPort, sinkDone, BULK_MB);

  const result = {
    bench: 'fault-proxy',
    node: process.version,
    cpus: availableParallelism(),
    samples: direct.length,
    messageBytes: MSG.length,
    rttUs: {
      direct: { p50: r(pct(direct, 50)), p99: r(pct(direct, 99)) },
      proxy: { p50: r(pct(proxied, 50)), p99: r(pct(proxied, 99)) },
    },
    addedUs: { p50: r(pct(proxied, 50) - pct(direct, 50)), p99: r(pct(proxied, 99) - pct(direct, 99)) },
    bulk: { mb: BULK_MB, directMBs, proxyMBs },
    stats: server.stats(),
  };
  await server.close();
  echo.close();
  sink.close();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

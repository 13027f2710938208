/**
 * The entry point of a client process (see `client-process.ts`): one worker's client running in its own OS process,
 * so the nemesis can freeze it with SIGSTOP while it holds a lock or has a request in flight. It loads the scenario,
 * opens the scenario's client and then runs ops the parent sends over the IPC channel. It never writes to the
 * parent's terminal: every error goes back as a message (its stdout/stderr go to a log file or nowhere).
 *
 * Protocol (parent -> child): `open`, `invoke`, `abort`, `close`. (child -> parent): `opened`, `error`, `outcome`,
 * `fatal`. The child exits when told to close or as soon as the IPC channel disconnects (the harness is gone).
 */
import { loadScenario } from '../scenarios/index.js';
import { Rng } from './seed.js';
import type { Client, ClientContext, OpOutcome, OpRequest } from '../workloads/types.js';
import { message as errText } from '../workloads/settle.js';

/** Messages the parent sends. */
export type ParentMessage =
  | { type: 'open'; scenarioRef: string; worker: number; endpoints: ClientContext['endpoints']; opTimeoutMs: number; seed: number; services?: Record<string, string> }
  | { type: 'invoke'; id: number; op: OpRequest }
  | { type: 'abort'; id: number }
  | { type: 'close' };

/** Messages the child sends. */
export type ChildMessage =
  | { type: 'opened' }
  | { type: 'error'; message: string }
  | { type: 'outcome'; id: number; outcome: OpOutcome }
  | { type: 'fatal'; message: string };

/** Past opTimeoutMs, how long the child waits before aborting the op itself (the client should have given up). */
const GRACE_MS = 250;

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    try {
      process.send(msg, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** The outcome must survive structured cloning; anything that does not becomes `info` (it may have taken effect). */
function sendOutcome(id: number, outcome: OpOutcome): void {
  try {
    structuredClone(outcome);
  } catch (err) {
    outcome = { type: 'info', error: `client process: outcome not serializable (${errText(err)})` };
  }
  void send({ type: 'outcome', id, outcome });
}

if (!process.send) {
  process.stderr.write('client-child: must be started with child_process.fork (no IPC channel)\n');
  process.exit(2);
}

let client: Client | undefined;
let opening: Promise<void> | undefined;
let closing = false;
let opTimeoutMs = 1000;
const inflight = new Map<number, { ac: AbortController; startedAwake: number }>();

/**
 * Time this process has been running, not counting time it spent stopped (SIGSTOP): a gap between two ticks much
 * longer than the tick is a freeze. A frozen holder that wakes up must carry on with its op, as a process after a
 * GC pause does, instead of aborting it at once because the wall clock moved on.
 */
const TICK_MS = 20;
let awakeMs = 0;
let lastTick = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  awakeMs += Math.min(now - lastTick, TICK_MS * 5);
  lastTick = now;
  for (const [id, op] of inflight) {
    if (awakeMs - op.startedAwake > opTimeoutMs + GRACE_MS) {
      op.ac.abort(new Error(`client process: op timeout after ${opTimeoutMs} ms`));
      inflight.delete(id);
    }
  }
}, TICK_MS);
ticker.unref();

// The harness handles Ctrl-C / SIGTERM itself (graceful teardown, final reads) and closes us; a terminal's SIGINT to
// the whole foreground process group must not kill clients under it. We still die with the harness (disconnect).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));

const fatal = (err: unknown): void => {
  void send({ type: 'fatal', message: errText(err) }).finally(() => process.exit(1));
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

async function open(msg: Extract<ParentMessage, { type: 'open' }>): Promise<void> {
  try {
    const scenario = await loadScenario(msg.scenarioRef);
    opTimeoutMs = msg.opTimeoutMs;
    const ctx: ClientContext = {
      endpoints: msg.endpoints,
      worker: msg.worker,
      opTimeoutMs: msg.opTimeoutMs,
      rng: new Rng(msg.seed).fork(`client-${msg.worker}`),
      ...(msg.services ? { services: msg.services } : {}),
    };
    client = await scenario.client.open(ctx);
    if (closing) {
      await client.close().catch(() => {});
      return;
    }
    await send({ type: 'opened' });
  } catch (err) {
    await send({ type: 'error', message: errText(err) });
    process.exit(1);
  }
}

async function invoke(id: number, op: OpRequest): Promise<void> {
  if (!client) {
    sendOutcome(id, { type: 'fail', error: 'client process: not open' });
    return;
  }
  const ac = new AbortController();
  inflight.set(id, { ac, startedAwake: awakeMs });
  let outcome: OpOutcome;
  try {
    outcome = await client.invoke(op, ac.signal);
  } catch (err) {
    outcome = { type: 'info', error: `client threw: ${errText(err)}` };
  } finally {
    inflight.delete(id);
  }
  sendOutcome(id, outcome);
}

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  for (const { ac } of inflight.values()) ac.abort(new Error('client process: closing'));
  await opening?.catch(() => {});
  await client?.close().catch(() => {});
  process.exit(0);
}

process.on('message', (raw: unknown) => {
  const msg = raw as ParentMessage;
  switch (msg?.type) {
    case 'open':
      if (!opening) opening = open(msg);
      break;
    case 'invoke':
      void invoke(msg.id, msg.op);
      break;
    case 'abort':
      inflight.get(msg.id)?.ac.abort(new Error('aborted by the harness'));
      break;
    case 'close':
      void close();
      break;
    default:
      void send({ type: 'fatal', message: `client process: unknown message ${JSON.stringify(raw)?.slice(0, 200)}` });
  }
});

/**
 * Runs a planned fault schedule against a live cluster and its proxy links, recording every start and stop in the
 * history as a `nemesis` op with its targets, and heals everything on demand (end of run, Ctrl-C, failure).
 */
import { message as errText } from '../../workloads/settle.js';
import { sleep } from '../backends/process.js';
import type { NodeHandle } from '../backends/types.js';
import type { OpRecord } from '../history-recorder.js';
import type { Rng } from '../seed.js';
import type { Link } from './links.js';
import { faultLabel, targetCount, type FaultSpec, type ScheduledFault } from './schedule.js';

/** The proxy calls the nemesis makes (a subset of `ProxyApi`, so a real Toxiproxy works too). */
export interface NemesisProxyApi {
  updateProxy(name: string, body: { enabled?: boolean }): Promise<unknown>;
  addToxic(proxy: string, body: { type: string; name?: string; stream?: string; toxicity?: number; attributes: Record<string, number> }): Promise<unknown>;
  removeToxic(proxy: string, name: string): Promise<unknown>;
}

/** What the nemesis may act on. */
export interface NemesisWorld {
  nodes: readonly NodeHandle[];
  leader?: () => Promise<NodeHandle | undefined>;
  primary?: () => NodeHandle;
  links: readonly Link[];
  workers: number;
  /** Client processes (client mode `process`), for pause faults with scope `client`. */
  clients?: { pause(worker: number): boolean; resume(worker: number): boolean };
  /** Workers holding a lock right now (target `holder`). */
  holders?: () => number[];
}

/** How long a `holder` fault waits for some client to hold a lock before it gives up on this window. */
const HOLDER_WAIT_MS = 2000;

interface Toxic {
  proxy: string;
  name: string;
}

/** Undo state of the window in progress. */
interface Active {
  window: ScheduledFault;
  label: string;
  targets: string[];
  disabled: string[];
  toxics: Toxic[];
  killed: NodeHandle[];
  paused: NodeHandle[];
  pausedWorkers: number[];
}

/** Applies fault windows at their planned times; `heal()` undoes whatever is still in effect. */
export class Nemesis {
  private active: Active | undefined;
  private readonly toxicsEver = new Map<string, Toxic>();
  private readonly disabledEver = new Set<string>();
  /** Fault windows applied, for the run summary. */
  applied = 0;

  constructor(
    private readonly schedule: readonly ScheduledFault[],
    private readonly world: NemesisWorld,
    private readonly api: NemesisProxyApi,
    private readonly rng: Rng,
    private readonly record: (rec: OpRecord) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Runs the schedule; `elapsedMs()` is time since the workload started. Returns early when `signal` aborts. */
  async run(signal: AbortSignal, elapsedMs: () => number): Promise<void> {
    for (const w of this.schedule) {
      await sleep(w.startMs - elapsedMs(), signal);
      if (signal.aborted) return;
      await this.start(w);
      await sleep(w.endMs - elapsedMs(), signal);
      await this.stop();
      if (signal.aborted) return;
    }
  }

  /** Undoes the active window and then sweeps: every link enabled, every toxic we added removed, every node up. */
  async heal(): Promise<void> {
    await this.stop();
    const problems: string[] = [];
    for (const name of this.disabledEver) {
      await this.api.updateProxy(name, { enabled: true }).catch((e) => problems.push(`${name}: ${errText(e)}`));
    }
    for (const t of this.toxicsEver.values()) {
      await this.api.removeToxic(t.proxy, t.name).catch(() => {
        /* already gone: fine */
      });
    }
    this.disabledEver.clear();
    this.toxicsEver.clear();
    for (const node of this.world.nodes) {
      try {
        if (node.state() === 'paused') await node.resume();
        else if (node.state() === 'stopped') await node.start();
      } catch (e) {
        problems.push(`${node.name}: ${errText(e)}`);
      }
    }
    if (problems.length > 0) this.log(`heal: ${problems.join('; ')}`);
  }

  /** The workers holding a lock, waiting briefly for one if nobody holds one right now. */
  private async holders(): Promise<number[]> {
    if (!this.world.holders) throw new Error('target "holder" needs a workload with locks (acquire/release ops)');
    const until = performance.now() + HOLDER_WAIT_MS;
    let held = this.world.holders();
    while (held.length === 0 && performance.now() < until) {
      await sleep(2);
      held = this.world.holders();
    }
    if (held.length === 0) this.log(`nemesis: no client held a lock for ${HOLDER_WAIT_MS} ms; this window hits nobody`);
    return held;
  }

  private chooseSeeded<T>(window: ScheduledFault, items: readonly T[], count: number): T[] {
    return this.rng.fork(`window-${window.id}-${window.pick}`).sample(items, count);
  }

  private async pickNodes(window: ScheduledFault, fault: FaultSpec & { target: string }): Promise<NodeHandle[]> {
    const nodes = [...this.world.nodes].sort((a, b) => a.name.localeCompare(b.name));
    if (fault.target === 'leader') {
      const leader = this.world.leader ? await this.world.leader() : undefined;
      if (leader) return [leader];
      this.log(`nemesis: no leader answered; hitting a seeded pick instead`);
      return this.chooseSeeded(window, nodes, 1);
    }
    if (fault.target === 'primary') return [this.world.primary ? this.world.primary() : nodes[0]!];
    return this.chooseSeeded(window, nodes, targetCount(fault.target as never, nodes.length));
  }

  private async start(window: ScheduledFault): Promise<void> {
    const fault = window.fault;
    const label = faultLabel(fault);
    const active: Active = { window, label, targets: [], disabled: [], toxics: [], killed: [], paused: [], pausedWorkers: [] };
    let targets: string[];
    let links: Link[] = [];
    let nodes: NodeHandle[] = [];
    let workers: number[] = [];
    if ((fault.kind === 'link' || fault.kind === 'pause') && fault.scope === 'client') {
      const all = fault.target === 'holder' ? await this.holders() : Array.from({ length: this.world.workers }, (_, i) => i);
      workers = this.chooseSeeded(window, all, targetCount(fault.target, all.length));
      targets = workers.map((w) => `w${w}`);
      if (fault.kind === 'link') links = this.world.links.filter((l) => l.worker !== undefined && workers.includes(l.worker));
    } else {
      nodes = await this.pickNodes(window, fault);
      targets = nodes.map((n) => n.name);
      if (fault.kind === 'link') links = this.world.links.filter((l) => targets.includes(l.node) || targets.includes(l.from));
    }
    active.targets = targets;
    this.active = active;
    const value: Record<string, unknown> = { fault: describeFault(fault, window), targets };
    this.record({ process: 'nemesis', type: 'invoke', f: `start-${label}`, value });
    const errors: string[] = [];
    try {
      if (fault.kind === 'link') {
        await Promise.all(links.map((l) => this.applyLink(active, fault, window, l).catch((e) => errors.push(`${l.name}: ${errText(e)}`))));
      } else if (fault.kind === 'kill') {
        for (const n of nodes) {
          active.killed.push(n);
          await n.kill();
        }
      } else if (workers.length > 0) {
        if (!this.world.clients) throw new Error('pausing clients needs client mode "process"');
        for (const w of workers) {
          if (this.world.clients.pause(w)) active.pausedWorkers.push(w);
          else errors.push(`w${w}: no client process to pause`);
        }
      } else {
        for (const n of nodes) {
          active.paused.push(n);
          await n.pause();
        }
      }
    } catch (e) {
      errors.push(errText(e));
    }
    this.applied++;
    this.log(`nemesis: start ${label} on ${targets.join(', ') || 'nothing'}${errors.length ? ` (errors: ${errors.join('; ')})` : ''}`);
    this.record({
      process: 'nemesis',
      type: 'info',
      f: `start-${label}`,
      value: { ...value, ...(links.length ? { links: links.map((l) => l.name) } : {}) },
      ...(errors.length ? { error: errors.join('; ') } : {}),
    });
  }

  private async applyLink(active: Active, fault: Extract<FaultSpec, { kind: 'link' }>, window: ScheduledFault, link: Link): Promise<void> {
    const add = async (stream: 'upstream' | 'downstream', type: string, attributes: Record<string, number>) => {
      const name = `faultline-${fault.mode}-${stream}`;
      const t = { proxy: link.name, name };
      active.toxics.push(t);
      this.toxicsEver.set(`${t.proxy}/${t.name}`, t);
      await this.api.addToxic(link.name, { type, name, stream, toxicity: 1, attributes });
    };
    switch (fault.mode) {
      case 'down':
        active.disabled.push(link.name);
        this.disabledEver.add(link.name);
        await this.api.updateProxy(link.name, { enabled: false });
        return;
      case 'blackhole':
        await add('upstream', 'timeout', { timeout: 0 });
        await add('downstream', 'timeout', { timeout: 0 });
        return;
      case 'latency':
        await add('downstream', 'latency', { latency: window.latencyMs ?? 100, jitter: 0 });
        return;
      case 'reset':
        await add('upstream', 'reset_peer', { timeout: 0 });
        return;
      case 'bandwidth':
        await add('upstream', 'bandwidth', { rate: fault.rateKBps ?? 0 });
        await add('downstream', 'bandwidth', { rate: fault.rateKBps ?? 0 });
        return;
      case 'reply-loss':
        await add('downstream', 'limit_data', { bytes: 0 });
        return;
    }
  }

  private async stop(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    const value = { targets: active.targets };
    this.record({ process: 'nemesis', type: 'invoke', f: `stop-${active.label}`, value });
    const errors: string[] = [];
    await Promise.all([
      ...active.disabled.map((name) =>
        this.api.updateProxy(name, { enabled: true }).then(
          () => this.disabledEver.delete(name),
          (e) => errors.push(`${name}: ${errText(e)}`),
        ),
      ),
      ...active.toxics.map((t) =>
        this.api.removeToxic(t.proxy, t.name).then(
          () => this.toxicsEver.delete(`${t.proxy}/${t.name}`),
          (e) => errors.push(`${t.proxy}/${t.name}: ${errText(e)}`),
        ),
      ),
    ]);
    for (const n of active.paused) await n.resume().catch((e) => errors.push(`${n.name}: ${errText(e)}`));
    for (const w of active.pausedWorkers) this.world.clients?.resume(w);
    for (const n of active.killed) await n.start().catch((e) => errors.push(`${n.name}: ${errText(e)}`));
    this.log(`nemesis: stop ${active.label} on ${active.targets.join(', ') || 'nothing'}${errors.length ? ` (errors: ${errors.join('; ')})` : ''}`);
    this.record({ process: 'nemesis', type: 'info', f: `stop-${active.label}`, value, ...(errors.length ? { error: errors.join('; ') } : {}) });
  }
}

/** The fault as recorded in the history: its spec plus the values drawn for this window. */
function describeFault(fault: FaultSpec, window: ScheduledFault): Record<string, unknown> {
  const idiom =
    fault.kind !== 'link'
      ? undefined
      : { down: 'enabled:false (refused)', blackhole: 'timeout:0 both ways (silent)', latency: 'latency downstream', reset: 'reset_peer upstream', bandwidth: 'bandwidth both ways', 'reply-loss': 'limit_data 0 downstream (request runs, reply lost)' }[fault.mode];
  return { ...fault, ...(window.latencyMs !== undefined ? { latencyMs: window.latencyMs } : {}), ...(idiom ? { idiom } : {}), window: window.id };
}

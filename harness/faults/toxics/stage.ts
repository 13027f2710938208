/**
 * The contract between a connection's one-way pipeline and the toxics in it. Each toxic becomes one `Stage` per
 * (connection, direction); stages are linked with `next`, so inserting or removing a toxic on a live connection is
 * a pointer swap plus, on removal, a synchronous `flush()` of whatever the stage still holds.
 */
import type { Rng } from '../../seed.js';

/** Where a stage (or the pipeline's source) pushes bytes; the last sink writes to the destination socket. */
export interface Sink {
  write(chunk: Buffer): void;
  /** End of this direction. `kill`: a toxic closes the whole connection (not a half-close of one direction). */
  end(kill: boolean): void;
}

/** What a stage may ask of the connection it lives in. */
export interface StageContext {
  /** Seeded stream for this (connection, toxic): jitter, slicer sizes, toxicity flips. Never `Math.random`. */
  readonly rng: Rng;
  /** Account for bytes a stage holds (+) or releases (-), so the pipeline can pause its source when too much piles up. */
  hold(delta: number): void;
}

/** Attribute values as stored and echoed by the API (Toxiproxy's int64 fields). */
export type Attributes = Record<string, number>;

/** Marker queued behind held data so an EOF is delivered in order. */
export interface EndMark {
  readonly end: true;
  readonly kill: boolean;
}

export type Item = Buffer | EndMark;

export function isEnd(item: Item): item is EndMark {
  return !Buffer.isBuffer(item);
}

/** Milliseconds from a monotonic clock. */
export function nowMs(): number {
  return performance.now();
}

/**
 * One toxic on one connection direction. When its toxicity flip misses, it is a pass-through. Subclasses
 * implement `onData`/`onEnd` (only called while active), `flushHeld` (deliver everything held, in order, cancel
 * timers) and `dispose` (cancel timers, drop held data: the connection is going away).
 */
export abstract class Stage implements Sink {
  next!: Sink;
  private active = true;
  /** Set once this stage has forwarded an EOF: anything after that is dropped. */
  protected ended = false;

  constructor(protected readonly ctx: StageContext, protected attrs: Attributes) {}

  /** Whether the toxicity flip hit (the stage acts) or missed (pass-through). */
  get isActive(): boolean {
    return this.active;
  }

  write(chunk: Buffer): void {
    if (this.active) this.onData(chunk);
    else this.next.write(chunk);
  }

  end(kill: boolean): void {
    if (this.active) this.onEnd(kill);
    else this.next.end(kill);
  }

  /** (Re)start with a fresh flip: a miss flushes what the stage held and turns it into a pass-through. */
  start(toxicity: number): void {
    const hit = this.ctx.rng.chance(toxicity);
    if (this.active && !hit) this.flushHeld();
    const wasActive = this.active;
    this.active = hit;
    if (hit) this.onStart(wasActive);
  }

  /** New attribute values from a PATCH (merged by the caller). */
  update(attrs: Attributes): void {
    this.attrs = attrs;
    if (this.active) this.onUpdate();
  }

  /** The toxic was deleted: deliver what is held; the caller then splices the stage out. */
  remove(): void {
    if (this.active) this.flushHeld();
  }

  protected abstract onData(chunk: Buffer): void;
  protected onEnd(kill: boolean): void {
    this.forwardEnd(kill);
  }
  /** Called when the stage becomes (or stays) active after a flip; `wasActive` tells a restart from a first start. */
  protected onStart(_wasActive: boolean): void {}
  protected onUpdate(): void {}
  protected flushHeld(): void {}
  abstract dispose(): void;

  protected forwardEnd(kill: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.next.end(kill);
  }

  /** Pass one held item on, in order; nothing follows an EOF. */
  protected emit(item: Item): void {
    if (isEnd(item)) this.forwardEnd(item.kill);
    else if (!this.ended) this.next.write(item);
  }
}

/** A FIFO of held items with byte accounting; `shift` is O(1) amortised. */
export class HeldQueue<T extends { item: Item }> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly ctx: StageContext) {}

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  push(entry: T): void {
    if (!isEnd(entry.item)) this.ctx.hold(entry.item.length);
    this.items.push(entry);
  }

  shift(): T | undefined {
    const entry = this.items[this.head];
    if (entry === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (!isEnd(entry.item)) this.ctx.hold(-entry.item.length);
    return entry;
  }

  /** All remaining entries, oldest first; empties the queue. */
  drain(): T[] {
    const out: T[] = [];
    for (let e = this.shift(); e !== undefined; e = this.shift()) out.push(e);
    return out;
  }

  clear(): void {
    this.drain();
  }

  entries(): T[] {
    return this.items.slice(this.head);
  }
}

/**
 * A stage that holds items in a `HeldQueue` and releases them from `release()`, which runs again when the one
 * pending timer set by `releaseIn` fires. By default `flushHeld` delivers the queue in order; `dispose` drops it.
 */
export abstract class QueuedStage<T extends { item: Item } = { item: Item }> extends Stage {
  protected readonly q = new HeldQueue<T>(this.ctx);
  private t: NodeJS.Timeout | undefined;

  /** Emit what is due; call `releaseIn` to come back for the rest. Only called while no timer is pending. */
  protected abstract release(): void;

  /** Runs `release` now, unless a timer already will. */
  protected pump(): void {
    if (this.t === undefined) this.release();
  }

  /** Whether a timer will run `release`. */
  protected get releasePending(): boolean {
    return this.t !== undefined;
  }

  /** Runs `release` after `ms`; only call it while no timer is pending. */
  protected releaseIn(ms: number): void {
    this.t = timer(ms, () => {
      this.t = undefined;
      this.release();
    });
  }

  protected cancel(): void {
    if (this.t !== undefined) clearTimeout(this.t);
    this.t = undefined;
  }

  protected override flushHeld(): void {
    this.cancel();
    for (const h of this.q.drain()) this.emit(h.item);
  }

  dispose(): void {
    this.cancel();
    this.q.clear();
  }
}

/** `setTimeout` that never keeps the process alive on its own (connections and servers do that). */
export function timer(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.max(0, ms));
  t.unref();
  return t;
}

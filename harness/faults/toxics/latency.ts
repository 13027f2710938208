/**
 * `latency`: each chunk is released at arrival + latency + a uniform offset in [-jitter, +jitter), never before
 * the chunk ahead of it, so chunks are pipelined (throughput is not capped) and order is kept.
 */
import { nowMs, QueuedStage, type Item } from './stage.js';

interface Held {
  item: Item;
  arrival: number;
  at: number;
}

export class LatencyStage extends QueuedStage<Held> {
  private lastAt = -Infinity;

  private delay(): number {
    const latency = this.attrs.latency ?? 0;
    const jitter = this.attrs.jitter ?? 0;
    return jitter > 0 ? latency + this.ctx.rng.int(-jitter, jitter - 1) : latency;
  }

  protected onData(chunk: Buffer): void {
    const now = nowMs();
    const at = Math.max(now + this.delay(), this.lastAt);
    this.lastAt = at;
    if (at <= now && this.q.length === 0) {
      this.next.write(chunk);
      return;
    }
    this.q.push({ item: chunk, arrival: now, at });
    this.schedule();
  }

  protected override onEnd(kill: boolean): void {
    if (this.q.length === 0) return this.forwardEnd(kill);
    this.q.push({ item: { end: true, kill }, arrival: nowMs(), at: this.lastAt });
  }

  private schedule(): void {
    if (this.releasePending) return;
    const head = this.q.peek();
    if (head !== undefined) this.releaseIn(head.at - nowMs());
  }

  protected release(): void {
    const now = nowMs();
    for (let head = this.q.peek(); head !== undefined && head.at <= now + 0.5; head = this.q.peek()) {
      this.q.shift();
      this.emit(head.item);
    }
    this.schedule();
  }

  /** New latency/jitter apply to held chunks too, measured from their arrival. */
  protected override onUpdate(): void {
    this.lastAt = -Infinity;
    for (const h of this.q.entries()) {
      h.at = Buffer.isBuffer(h.item) ? Math.max(h.arrival + this.delay(), this.lastAt) : this.lastAt;
      this.lastAt = h.at;
    }
    this.cancel();
    this.pump();
  }

  protected override flushHeld(): void {
    super.flushHeld();
    this.lastAt = -Infinity;
  }
}

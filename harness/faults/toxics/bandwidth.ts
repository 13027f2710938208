/**
 * `bandwidth`: `rate` KB/s with KB = 1000 bytes, i.e. bytes per millisecond. Chunks larger than rate x 100 bytes
 * go out in 100 ms slices. `rate: 0` stalls: nothing is forwarded, the connection stays open, and the backlog is
 * delivered in order when the toxic is removed (or the rate raised).
 */
import { nowMs, QueuedStage } from './stage.js';

export class BandwidthStage extends QueuedStage {
  /** Bytes of the head chunk already sent. */
  private offset = 0;
  /** When the next slice may go; sending is paced from here, so early sends never exceed the rate on average. */
  private cursor = 0;
  private readyAt: number | undefined;

  protected onData(chunk: Buffer): void {
    this.q.push({ item: chunk });
    this.pump();
  }

  protected override onEnd(kill: boolean): void {
    this.q.push({ item: { end: true, kill } });
    this.pump();
  }

  protected release(): void {
    const now = nowMs();
    for (let head = this.q.peek(); head !== undefined; head = this.q.peek()) {
      const item = head.item;
      if (!Buffer.isBuffer(item)) {
        this.q.shift();
        this.emit(item);
        return;
      }
      const rate = this.attrs.rate ?? 0;
      if (rate <= 0) return;
      const len = Math.min(item.length - this.offset, rate * 100);
      if (this.readyAt === undefined) this.readyAt = Math.max(now, this.cursor) + len / rate;
      // Within a millisecond is close enough: timers cannot do better, and the cursor keeps the average exact.
      if (this.readyAt - now > 1) {
        this.releaseIn(this.readyAt - now);
        return;
      }
      this.cursor = this.readyAt;
      this.readyAt = undefined;
      const slice = item.subarray(this.offset, this.offset + len);
      this.offset += len;
      if (this.offset >= item.length) {
        this.q.shift();
        this.offset = 0;
      }
      this.emit(slice);
    }
  }

  protected override onUpdate(): void {
    this.cancel();
    this.readyAt = undefined;
    this.cursor = 0;
    this.pump();
  }

  protected override flushHeld(): void {
    this.cancel();
    const held = this.q.drain();
    for (const [i, h] of held.entries()) {
      this.emit(i === 0 && Buffer.isBuffer(h.item) ? h.item.subarray(this.offset) : h.item);
    }
    this.offset = 0;
    this.readyAt = undefined;
  }
}

/**
 * `slicer`: cuts each chunk into pieces of about `average_size` +- `size_variation` bytes (halving recursively at a
 * seeded random offset) and waits `delay` microseconds after each piece.
 */
import { QueuedStage } from './stage.js';

export class SlicerStage extends QueuedStage {
  /** Piece boundaries of a chunk of `len` bytes. Validation guarantees average >= 1 and 0 <= variation < average. */
  private cut(start: number, end: number, out: number[]): void {
    const avg = this.attrs.average_size ?? 1;
    const variation = this.attrs.size_variation ?? 0;
    if (end - start - avg <= variation) {
      out.push(end);
      return;
    }
    let mid = start + Math.floor((end - start) / 2);
    if (variation > 0) mid += this.ctx.rng.int(-variation, variation - 1);
    this.cut(start, mid, out);
    this.cut(mid, end, out);
  }

  protected onData(chunk: Buffer): void {
    const ends: number[] = [];
    this.cut(0, chunk.length, ends);
    let from = 0;
    for (const to of ends) {
      this.q.push({ item: chunk.subarray(from, to) });
      from = to;
    }
    this.pump();
  }

  protected override onEnd(kill: boolean): void {
    this.q.push({ item: { end: true, kill } });
    this.pump();
  }

  protected release(): void {
    const delayMs = (this.attrs.delay ?? 0) / 1000;
    for (let h = this.q.shift(); h !== undefined; h = this.q.shift()) {
      this.emit(h.item);
      if (delayMs > 0) {
        this.releaseIn(delayMs);
        return;
      }
    }
  }
}

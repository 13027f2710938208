/**
 * `limit_data`: forwards at most `bytes` in this direction (truncating the chunk that crosses the limit), then
 * closes the connection. The count is per connection and survives PATCHes and toxicity re-rolls.
 */
import { Stage } from './stage.js';

export class LimitDataStage extends Stage {
  private sent = 0;

  protected onData(chunk: Buffer): void {
    if (this.ended) return;
    const limit = this.attrs.bytes ?? 0;
    const remaining = Math.max(0, limit - this.sent);
    const piece = remaining < chunk.length ? chunk.subarray(0, remaining) : chunk;
    if (piece.length > 0) {
      this.sent += piece.length;
      this.next.write(piece);
    }
    if (limit - this.sent <= 0) this.forwardEnd(true);
  }

  dispose(): void {}
}

/** `slow_close`: data flows untouched; an EOF in this direction is forwarded only after `delay` ms. */
import { Stage, timer } from './stage.js';

export class SlowCloseStage extends Stage {
  private t: NodeJS.Timeout | undefined;
  private pendingKill = false;

  protected onData(chunk: Buffer): void {
    this.next.write(chunk);
  }

  protected override onEnd(kill: boolean): void {
    if (this.t !== undefined || this.ended) return;
    const delay = this.attrs.delay ?? 0;
    if (delay <= 0) return this.forwardEnd(kill);
    this.pendingKill = kill;
    this.t = timer(delay, () => {
      this.t = undefined;
      this.forwardEnd(kill);
    });
  }

  protected override flushHeld(): void {
    if (this.t === undefined) return;
    clearTimeout(this.t);
    this.t = undefined;
    this.forwardEnd(this.pendingKill);
  }

  dispose(): void {
    if (this.t !== undefined) clearTimeout(this.t);
    this.t = undefined;
  }
}

/**
 * `timeout`: drops every byte in this direction. With `timeout > 0` the connection is closed once that many ms pass
 * with no data arriving (each dropped chunk restarts the clock); `timeout <= 0` is a black hole. Removing the
 * toxic closes the connection (whether or not its toxicity flip hit), so no corrupted stream carries on.
 */
import { Stage, timer } from './stage.js';

export class TimeoutStage extends Stage {
  private t: NodeJS.Timeout | undefined;

  protected override onStart(): void {
    this.restart();
  }

  protected onData(): void {
    this.restart();
  }

  protected override onEnd(kill: boolean): void {
    this.cancel();
    this.forwardEnd(kill);
  }

  protected override onUpdate(): void {
    this.restart();
  }

  private restart(): void {
    this.cancel();
    const ms = this.attrs.timeout ?? 0;
    if (ms > 0 && !this.ended) {
      this.t = timer(ms, () => {
        this.t = undefined;
        this.forwardEnd(true);
      });
    }
  }

  protected override flushHeld(): void {
    this.cancel();
  }

  override remove(): void {
    this.cancel();
    this.forwardEnd(true);
  }

  private cancel(): void {
    if (this.t !== undefined) clearTimeout(this.t);
    this.t = undefined;
  }

  dispose(): void {
    this.cancel();
  }
}

/**
 * `reset_peer`: idle until the first chunk or EOF arrives in this direction, then waits `timeout` ms and closes the
 * connection, dropping the triggering data and everything after it. The connection is reset (RST on both sides)
 * when it was accepted while a `reset_peer` toxic was already attached, else closed with FIN; the pipeline decides
 * that, this stage only asks for a close.
 */
import { Stage, timer } from './stage.js';

export class ResetPeerStage extends Stage {
  private triggered = false;
  private t: NodeJS.Timeout | undefined;

  protected onData(): void {
    this.trigger();
  }

  protected override onEnd(): void {
    this.trigger();
  }

  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    const ms = this.attrs.timeout ?? 0;
    if (ms <= 0) return this.fire();
    this.t = timer(ms, () => this.fire());
  }

  private fire(): void {
    this.t = undefined;
    this.forwardEnd(true);
  }

  /** A pending reset is not cancelled by removal (as in Toxiproxy, the wait is not interruptible): it fires now. */
  protected override flushHeld(): void {
    if (this.t === undefined) return;
    clearTimeout(this.t);
    this.fire();
  }

  dispose(): void {
    if (this.t !== undefined) clearTimeout(this.t);
    this.t = undefined;
  }
}

/**
 * One direction of one connection: source -> stages (the toxics of that stream, in the order they were added) ->
 * destination sink. Edits act on the live connection: `add` appends a stage at the tail, `update` restarts one
 * (new attributes, fresh toxicity flip), `remove` flushes what the stage holds into the next one and splices it
 * out. With no stages the source writes straight into the sink.
 */
import type { Rng } from '../../seed.js';
import { TOXIC_KINDS, type Attributes, type Sink, type Stage, type ToxicType } from './index.js';

/** What the chain needs to know about a toxic to build its stage. */
export interface ToxicDef {
  name: string;
  type: ToxicType;
  toxicity: number;
  attributes: Attributes;
}

/** Held-bytes thresholds: above HIGH the source is paused until stages hold less than LOW. */
const HIGH = 4 * 1024 * 1024;
const LOW = 1024 * 1024;

export class Chain implements Sink {
  private stages: { name: string; stage: Stage }[] = [];
  private head: Sink;
  private held = 0;

  /**
   * @param sink the destination
   * @param rngFor a seeded stream per toxic name for this connection
   * @param onHeld called with `true` when held bytes pass HIGH, `false` when they fall under LOW
   */
  constructor(
    private readonly sink: Sink,
    private readonly rngFor: (toxic: string) => Rng,
    private readonly onHeld: (tooMuch: boolean) => void,
  ) {
    this.head = sink;
  }

  get length(): number {
    return this.stages.length;
  }

  write(chunk: Buffer): void {
    this.head.write(chunk);
  }

  end(kill: boolean): void {
    this.head.end(kill);
  }

  private hold = (delta: number): void => {
    const before = this.held;
    this.held += delta;
    if (before <= HIGH && this.held > HIGH) this.onHeld(true);
    else if (before >= LOW && this.held < LOW) this.onHeld(false);
  };

  add(def: ToxicDef): void {
    const stage = TOXIC_KINDS[def.type].create({ rng: this.rngFor(def.name), hold: this.hold }, { ...def.attributes });
    stage.next = this.sink;
    const tail = this.stages.at(-1);
    if (tail) tail.stage.next = stage;
    else this.head = stage;
    this.stages.push({ name: def.name, stage });
    stage.start(def.toxicity);
  }

  update(def: ToxicDef): void {
    const entry = this.stages.find((s) => s.name === def.name);
    if (!entry) return;
    entry.stage.update({ ...def.attributes });
    entry.stage.start(def.toxicity);
  }

  remove(name: string): void {
    const i = this.stages.findIndex((s) => s.name === name);
    if (i < 0) return;
    const { stage } = this.stages[i]!;
    // Splice first so anything the flush triggers upstream already goes around the removed stage.
    const next = stage.next;
    this.stages.splice(i, 1);
    if (i === 0) this.head = next;
    else this.stages[i - 1]!.stage.next = next;
    stage.remove();
    stage.dispose();
  }

  /** The connection is going away: cancel every timer, drop what is held. */
  dispose(): void {
    for (const { stage } of this.stages) stage.dispose();
    this.stages = [];
    this.head = this.sink;
  }
}

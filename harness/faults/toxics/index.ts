/**
 * The seven toxic types: their attributes (names, order and Go types, as the API echoes and validates them), the
 * ranges that would crash a real Toxiproxy (refused here), and the stage factory.
 */
import { BandwidthStage } from './bandwidth.js';
import { LatencyStage } from './latency.js';
import { LimitDataStage } from './limit-data.js';
import { ResetPeerStage } from './reset-peer.js';
import { SlicerStage } from './slicer.js';
import { SlowCloseStage } from './slow-close.js';
import type { Attributes, Stage, StageContext } from './stage.js';
import { TimeoutStage } from './timeout.js';

export type { Attributes, Sink, Stage, StageContext } from './stage.js';

/** Everything Toxiproxy 2.12 implements ("down" is `enabled: false`, not a toxic). */
export const TOXIC_TYPES = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data'] as const;
export type ToxicType = (typeof TOXIC_TYPES)[number];

/** How one toxic type looks on the wire and becomes a stage. */
export interface ToxicKind {
  /** Go struct name, used in decode error messages (`... into Go struct field LatencyToxic.attributes.latency`). */
  goStruct: string;
  /** Attribute names in echo order, with their Go integer type. */
  attributes: ReadonlyArray<readonly [name: string, goType: 'int64' | 'int']>;
  /** Ranges that crash the real server; a message naming the attribute and the rule, or undefined. */
  refuse?(a: Attributes): string | undefined;
  create(ctx: StageContext, a: Attributes): Stage;
}

export const TOXIC_KINDS: Record<ToxicType, ToxicKind> = {
  latency: {
    goStruct: 'LatencyToxic',
    attributes: [['latency', 'int64'], ['jitter', 'int64']],
    create: (ctx, a) => new LatencyStage(ctx, a),
  },
  bandwidth: {
    goStruct: 'BandwidthToxic',
    attributes: [['rate', 'int64']],
    refuse: (a) => (a.rate! < 0 ? `bandwidth attribute rate must be >= 0 (KB/s; 0 stalls), got ${a.rate}` : undefined),
    create: (ctx, a) => new BandwidthStage(ctx, a),
  },
  slow_close: {
    goStruct: 'SlowCloseToxic',
    attributes: [['delay', 'int64']],
    create: (ctx, a) => new SlowCloseStage(ctx, a),
  },
  timeout: {
    goStruct: 'TimeoutToxic',
    attributes: [['timeout', 'int64']],
    create: (ctx, a) => new TimeoutStage(ctx, a),
  },
  reset_peer: {
    goStruct: 'ResetToxic',
    attributes: [['timeout', 'int64']],
    create: (ctx, a) => new ResetPeerStage(ctx, a),
  },
  slicer: {
    goStruct: 'SlicerToxic',
    attributes: [['average_size', 'int'], ['size_variation', 'int'], ['delay', 'int']],
    refuse: (a) => {
      if (a.average_size! < 1) return `slicer attribute average_size must be >= 1, got ${a.average_size}`;
      if (a.size_variation! < 0) return `slicer attribute size_variation must be >= 0, got ${a.size_variation}`;
      if (a.size_variation! >= a.average_size!) {
        return `slicer attribute size_variation must be < average_size (${a.average_size}), got ${a.size_variation}`;
      }
      return undefined;
    },
    create: (ctx, a) => new SlicerStage(ctx, a),
  },
  limit_data: {
    goStruct: 'LimitDataToxic',
    attributes: [['bytes', 'int64']],
    create: (ctx, a) => new LimitDataStage(ctx, a),
  },
};

export function isToxicType(t: unknown): t is ToxicType {
  return typeof t === 'string' && Object.hasOwn(TOXIC_KINDS, t);
}

/** Every attribute of the type, 0 where missing (as Toxiproxy echoes them). */
export function defaultAttributes(type: ToxicType): Attributes {
  const out: Attributes = {};
  for (const [name] of TOXIC_KINDS[type].attributes) out[name] = 0;
  return out;
}

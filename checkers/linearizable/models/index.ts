/**
 * The registry of built-in sequential models, by the name the CLI and scenarios use (`--model cas-register`).
 * Each entry's `options` lists exactly the option names its factory accepts.
 */
import { ModelConfigError, type Model, type ModelOptions } from '../model.js';
import { casRegisterModel, CAS_REGISTER_OPTIONS } from './cas-register.js';
import type { OptionDoc } from './common.js';
import { fifoQueueModel, FIFO_QUEUE_OPTIONS } from './fifo-queue.js';
import { kvModel, KV_OPTIONS } from './kv.js';
import { multiRegisterModel, MULTI_REGISTER_OPTIONS } from './multi-register.js';
import { mutexModel, MUTEX_OPTIONS } from './mutex.js';
import { registerModel, REGISTER_OPTIONS } from './register.js';
import { setModel, SET_OPTIONS } from './set.js';
import { unorderedQueueModel, UNORDERED_QUEUE_OPTIONS } from './unordered-queue.js';

export type { OptionDoc } from './common.js';
export { registerModel } from './register.js';
export { casRegisterModel } from './cas-register.js';
export { mutexModel } from './mutex.js';
export { multiRegisterModel } from './multi-register.js';
export { kvModel } from './kv.js';
export { setModel } from './set.js';
export { fifoQueueModel } from './fifo-queue.js';
export { unorderedQueueModel } from './unordered-queue.js';

/** A built-in model: its name, one line of help, the options it takes, and its factory. */
export interface ModelInfo {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionDoc[];
  create(opts?: ModelOptions): Model;
}

const entries: ModelInfo[] = [
  {
    name: 'register',
    summary: 'one value: read -> v (legal iff v is the value), write v',
    options: REGISTER_OPTIONS,
    create: (o) => registerModel(o) as Model,
  },
  {
    name: 'cas-register',
    summary: 'one value: read, write, cas [old, new] (legal iff the value is old)',
    options: CAS_REGISTER_OPTIONS,
    create: (o) => casRegisterModel(o) as Model,
  },
  {
    name: 'mutex',
    summary: 'a lock: acquire (legal iff free), release (legal iff held; by the holder with ownerAware)',
    options: MUTEX_OPTIONS,
    create: (o) => mutexModel(o) as Model,
  },
  {
    name: 'multi-register',
    summary: 'registers by key under atomic txns of [r k v] / [w k v] micro-ops; partitioned by connected keys',
    options: MULTI_REGISTER_OPTIONS,
    create: (o) => multiRegisterModel(o) as Model,
  },
  {
    name: 'kv',
    summary: 'independent registers by key: get, put, cas [old, new], append; key from op.key or [k, v] tuples; partitioned by key',
    options: KV_OPTIONS,
    create: (o) => kvModel(o) as Model,
  },
  {
    name: 'set',
    summary: 'a set: add v, remove v, read -> elements (any order)',
    options: SET_OPTIONS,
    create: (o) => setModel(o) as Model,
  },
  {
    name: 'fifo-queue',
    summary: 'a FIFO queue: enqueue v, dequeue -> head (null: observed empty)',
    options: FIFO_QUEUE_OPTIONS,
    create: (o) => fifoQueueModel(o) as Model,
  },
  {
    name: 'unordered-queue',
    summary: 'a queue in any order: enqueue v, dequeue -> any present element (null: observed empty)',
    options: UNORDERED_QUEUE_OPTIONS,
    create: (o) => unorderedQueueModel(o) as Model,
  },
];

/** Built-in models by name. */
export const MODELS: Readonly<Record<string, ModelInfo>> = Object.freeze(Object.fromEntries(entries.map((e) => [e.name, e])));

/** Names of the built-in models, in registry order. */
export function modelNames(): string[] {
  return entries.map((e) => e.name);
}

/** Build a built-in model; throws ModelConfigError for an unknown name or a bad option. */
export function createModel(name: string, opts: ModelOptions = {}): Model {
  if (!Object.prototype.hasOwnProperty.call(MODELS, name)) {
    throw new ModelConfigError(`unknown model ${JSON.stringify(name)}; valid models: ${modelNames().join(', ')}`);
  }
  return MODELS[name]!.create(opts);
}

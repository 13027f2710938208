/**
 * `cas-register`: the `register` model plus `cas` with input `[old, new]`, legal iff the register holds `old`,
 * after which it holds `new`. Option `nilReadAny` gives Knossos's semantics (a read returning null is legal in any
 * state), for histories whose reads record null when the value is unknown.
 */
import type { Model, ModelOptions } from '../model.js';
import { makeRegister } from './register.js';

export { CAS_REGISTER_OPTIONS } from './register.js';

/** The `cas-register` model: read, write, and compare-and-set of one value. */
export function casRegisterModel(opts?: ModelOptions): Model<unknown> {
  return makeRegister('cas-register', true, opts);
}

/** Public API of the linearizability checker: the entry points, the Model contract and the built-in models. */
export { checkLinearizability, checkPaired, toModelOp, describeOp, type LinearizabilityOptions, type PartitionSummary } from './check.js';
export type { Model, ModelOp, ModelOptions, Partition } from './model.js';
export { ModelConfigError } from './model.js';
export { MODELS, createModel, modelNames, type ModelInfo } from './models/index.js';
export { searchPartition, type SearchOp, type SearchOutcome, type SearchStats, type FailureWitness } from './search.js';

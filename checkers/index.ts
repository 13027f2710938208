/** Package entry point: history I/O, checker results and the linearizability checker. */
export * from './history/index.js';
export * from './linearizable/index.js';
export { combineVerdicts, type Anomaly, type CheckResult, type Verdict } from './result.js';
